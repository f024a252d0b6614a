import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { createTestDatabase } from '../support/pg';
import { TEST_MANGO_KEY, TEST_MANGO_SALT } from '../support/relay';
import { buildRelay } from '../../scripts/build-relay';
import { callEvent, makeCa, postSignedTo, request, sleep, tmpDir, type TestCa } from './support';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function peerFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
      s.end();
    });
    s.on('error', reject);
  });
}

/** `npm run relay` (server/main.ts) as a real process: TLS from files, SIGHUP, SIGTERM. */
describe('the relay bundle (dist/relay/main.mjs) as a process', () => {
  const tmp = tmpDir('asgard-main-');
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ca: TestCa;
  let child: ChildProcess;
  let out = '';
  let port: number;
  const certFile = join(tmp.dir, 'cert.pem');
  const keyFile = join(tmp.dir, 'key.pem');
  let second: ReturnType<TestCa['issue']>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ca = makeCa(tmp.dir);
    const first = ca.issue('first');
    second = ca.issue('second');
    copyFileSync(first.certFile, certFile);
    copyFileSync(first.keyFile, keyFile);
    port = await freePort();
    // The production entry: the bundle the systemd unit runs, built from this checkout.
    child = spawn(process.execPath, [await buildRelay()], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        DATA_DIR: join(tmp.dir, 'data'),
        MANGO_API_KEY: TEST_MANGO_KEY,
        MANGO_API_SALT: TEST_MANGO_SALT,
        TLS_CERT: certFile,
        TLS_KEY: keyFile,
        RECONCILE_EVERY_MS: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`relay exited: ${out}`);
      try {
        if ((await request(`https://127.0.0.1:${port}/healthz`, { ca: ca.ca, agent: false })).status === 200) return;
      } catch {
        /* not yet */
      }
      await sleep(100);
    }
    throw new Error(`relay did not start: ${out}`);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await db?.drop();
    tmp.remove();
  });

  it('serves HTTPS, re-reads the certificate on SIGHUP, and exits 0 on SIGTERM after answering', async () => {
    const hook = `https://127.0.0.1:${port}/api/mango-webhook/events/call`;
    const ev = callEvent('proc');
    expect((await postSignedTo(hook, ev, { ca: ca.ca, agent: false })).status).toBe(200);

    copyFileSync(second.certFile, certFile);
    copyFileSync(second.keyFile, keyFile);
    child.kill('SIGHUP');
    const want = new X509Certificate(second.cert).fingerprint256;
    let got = '';
    for (let i = 0; i < 100 && got !== want; i++) {
      await sleep(20);
      got = await peerFingerprint(port, ca.ca);
    }
    expect(got).toBe(want);

    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; signal?: string });
    const msgs = lines.map((l) => l.msg);
    expect(msgs).toContain('relay started');
    expect(msgs).toContain('TLS certificate reloaded');
    expect(lines.find((l) => l.msg === 'shutting down')?.signal).toBe('SIGTERM');
    expect(msgs.at(-1)).toBe('relay stopped');
    expect(out.split('\n').filter((l) => l.trim() && !l.startsWith('{'))).toEqual([]); // nothing but JSON on stdout/stderr
  });
});
