import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { ADMIN_PASSWORD, callEvent, connectWs, jsonRequest, login, makeCa, postSignedTo, request, sleep, startOpsRelay, tmpDir, type OpsRelay, type TestCa } from './support';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * deploy/nginx.conf with only what a test must change: loopback ports, the test certificate,
 * the relay's port, and the test's client addresses added to the Mango allow-list. Wrapped
 * in a minimal main configuration with every path under a temporary prefix.
 */
function renderNginx(o: { dir: string; httpPort: number; httpsPort: number; relayPorts: number[]; cert: string; key: string; extraMangoAllow: string[] }): string {
  let site = readFileSync('deploy/nginx.conf', 'utf8');
  const replace = (from: string | RegExp, to: string) => {
    const next = site.replace(from, to);
    if (next === site) throw new Error(`deploy/nginx.conf no longer contains ${String(from)}; update the test renderer`);
    site = next;
  };
  replace(/^(\s*)server 127\.0\.0\.1:8080;/m, o.relayPorts.map((p) => `$1server 127.0.0.1:${p};`).join('\n'));
  replace(/^\s*listen \[::\]:80;\n/m, '');
  replace(/^\s*listen \[::\]:443 ssl;\n/m, '');
  replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${o.httpPort};`);
  replace(/^(\s*)listen 443 ssl;/m, `$1listen 127.0.0.1:${o.httpsPort} ssl;`);
  replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${o.cert};`);
  replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${o.key};`);
  replace(/(location \/api\/mango-webhook \{[^}]*?)(\n\s*deny all;)/, `$1${o.extraMangoAllow.map((a) => `\n        allow ${a};`).join('')}$2`);
  const tmpPaths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((n) => `    ${n}_temp_path ${join(o.dir, `${n}_temp`)};`).join('\n');
  return `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${join(o.dir, 'nginx.pid')};
error_log ${join(o.dir, 'error.log')} info;
events { worker_connections 256; }
http {
    access_log ${join(o.dir, 'access.log')};
${tmpPaths}
${site}
}
`;
}

interface Nginx {
  base: string;
  httpPort: number;
  stop(): Promise<void>;
}

/** Debian's nginx running deploy/nginx.conf (rendered) in front of the given relay ports. */
async function startNginx(tmpRoot: string, ca: TestCa, relayPorts: number[], extraMangoAllow: string[]): Promise<Nginx> {
  if (!NGINX) throw new Error('nginx is not installed: run `npm run setup:test` (apt-get install nginx-light)');
  const cert = ca.issue(`nginx-${relayPorts.join('-')}`);
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const dir = join(tmpRoot, `nginx-${httpsPort}`);
  mkdirSync(dir);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, renderNginx({ dir, httpPort, httpsPort, relayPorts, cert: cert.certFile, key: cert.keyFile, extraMangoAllow }));
  try {
    execFileSync(NGINX, ['-t', '-p', dir, '-c', conf], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`nginx -t refused the rendered deploy/nginx.conf:\n${(err as { stderr?: Buffer }).stderr?.toString()}`);
  }
  const nginx: ChildProcess = spawn(NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  nginx.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (nginx.exitCode !== null) return;
    const exited = new Promise((res) => nginx.once('exit', res));
    nginx.kill('SIGQUIT');
    await Promise.race([exited, sleep(5000)]);
    if (nginx.exitCode === null) nginx.kill('SIGKILL');
  };
  const base = `https://127.0.0.1:${httpsPort}`;
  for (let i = 0; i < 200; i++) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${log}`);
    try {
      await request(`${base}/healthz`, { ca: ca.ca, agent: false });
      return { base, httpPort, stop };
    } catch {
      await sleep(25);
    }
  }
  await stop();
  throw new Error(`nginx did not come up: ${log}`);
}

function handshakeProtocol(port: number, ca: Buffer, maxVersion?: tls.SecureVersion): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ...(maxVersion ? { maxVersion } : {}) }, () => {
      resolve(s.getProtocol());
      s.end();
    });
    s.on('error', reject);
  });
}

describe("deploy/nginx.conf with Debian's nginx in front of the relay", () => {
  const tmp = tmpDir('asgard-nginx-');
  let ca: TestCa;
  let r: OpsRelay;
  let proxy: Nginx;
  let base: string;
  let httpPort: number;

  beforeAll(async () => {
    ca = makeCa(tmp.dir);
    // The relay as deploy/relay.env.example sets it up behind nginx: plain HTTP on loopback,
    // TRUST_PROXY=1, and here also its own allow-list (only 127.0.0.3 may post callbacks).
    r = await startOpsRelay({ trustProxy: true, mangoAllowedIps: ['127.0.0.3/32'] });
    proxy = await startNginx(tmp.dir, ca, [r.relay.port], ['127.0.0.1', '127.0.0.3']);
    base = proxy.base;
    httpPort = proxy.httpPort;
  });

  afterAll(async () => {
    await proxy?.stop();
    await r?.close();
    tmp.remove();
  });

  it('offers TLS 1.2 (for Mango) and 1.3, with the certificate verified', async () => {
    expect(await handshakeProtocol(Number(new URL(base).port), ca.ca, 'TLSv1.2')).toBe('TLSv1.2');
    expect(await handshakeProtocol(Number(new URL(base).port), ca.ca)).toBe('TLSv1.3');
  });

  it('passes a signed webhook through; the relay sees the client address from X-Forwarded-For and the request id from nginx', async () => {
    const ev = callEvent('nginx');
    const res = await postSignedTo(`${base}/api/mango-webhook/events/call`, ev, { ca: ca.ca, localAddress: '127.0.0.3', agent: false });
    expect(res.status).toBe(200);
    expect(await r.sql('SELECT 1 FROM mango_events WHERE entry_id = $1', [ev.entry_id])).toHaveLength(1);
    const reqId = res.headers['x-request-id'];
    expect(reqId).toMatch(/^[0-9a-f]{32}$/); // nginx's $request_id, kept by the relay
    const line = r.logs.find('request').find((l) => l.reqId === reqId);
    expect(line).toMatchObject({ ip: '127.0.0.3', path: '/api/mango-webhook/events/call', status: 200 });
  });

  it("refuses callbacks from addresses outside nginx's allow-list before they reach the relay", async () => {
    const ev = callEvent('nginx-deny');
    const before = r.logs.find('request').length;
    const res = await postSignedTo(`${base}/api/mango-webhook/events/call`, ev, { ca: ca.ca, localAddress: '127.0.0.2', agent: false });
    expect(res.status).toBe(403);
    expect(res.body).toContain('nginx');
    expect(await r.sql('SELECT 1 FROM mango_events WHERE entry_id = $1', [ev.entry_id])).toHaveLength(0);
    expect(r.logs.find('request').length).toBe(before);
  });

  it("cannot be fooled by a client's own X-Forwarded-For: the relay judges the real source", async () => {
    const ev = callEvent('nginx-spoof');
    const res = await postSignedTo(`${base}/api/mango-webhook/events/call`, ev, { ca: ca.ca, localAddress: '127.0.0.1', agent: false, headers: { 'x-forwarded-for': '127.0.0.3' } });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: 'ip-not-allowed' });
    expect(await r.sql('SELECT 1 FROM mango_events WHERE entry_id = $1', [ev.entry_id])).toHaveLength(0);
    expect(r.logs.find(/not in MANGO_ALLOWED_IPS/).at(-1)).toMatchObject({ ip: '127.0.0.1' });
  });

  it('carries the WebSocket feed (upgrade through nginx, wss://) with live items', async () => {
    const adminToken = await login(base, 'admin', ADMIN_PASSWORD, { ca: ca.ca });
    const created = await jsonRequest(`${base}/api/admin/employees`, 'POST', { login: 'petrov', name: 'Петров', role: 'to', password: 'petrov-password' }, { ca: ca.ca, token: adminToken });
    expect(created.status).toBe(201);
    const petrov = await login(base, 'petrov', 'petrov-password', { ca: ca.ca });

    const admin = await connectWs(base, adminToken, { ca: ca.ca });
    await admin.waitFor((m) => m.some((x) => x.type === 'welcome') && m.some((x) => x.type === 'synced'), 'welcome and synced through nginx');
    const seen = admin.messages.length;
    // A live change pushed to admins: Petrov switches off accepting calls.
    expect((await jsonRequest(`${base}/api/me/status`, 'PUT', { acceptCalls: false }, { ca: ca.ca, token: petrov })).status).toBe(200);
    await admin.waitFor((m) => m.slice(seen).some((x) => x.type === 'item'), 'a live item through nginx');
    admin.ws.close();
    expect(await admin.waitClosed()).toBe(1005);
  });

  it('keeps /metrics for the monitoring host and redirects plain HTTP to HTTPS', async () => {
    expect((await request(`${base}/metrics`, { ca: ca.ca, localAddress: '127.0.0.1', agent: false })).status).toBe(200);
    expect((await request(`${base}/metrics`, { ca: ca.ca, localAddress: '127.0.0.2', agent: false })).status).toBe(403);
    const plain = await request(`http://127.0.0.1:${httpPort}/api/calls?x=1`, { agent: false });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://127.0.0.1/api/calls?x=1');
  });

  it('gives the WebSocket location long timeouts and only Mango plus the test addresses the webhook', () => {
    const conf = readFileSync('deploy/nginx.conf', 'utf8');
    const ws = /location = \/api\/ws \{([^}]*)\}/.exec(conf)![1];
    expect(ws).toMatch(/proxy_read_timeout 1h;/);
    expect(ws).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    const hook = /location \/api\/mango-webhook \{([^}]*)\}/.exec(conf)![1];
    expect([...hook.matchAll(/allow (\S+);/g)].map((m) => m[1])).toEqual(['81.88.80.132', '81.88.80.133', '81.88.82.36', '81.88.82.44', '81.88.82.45']);
    expect(hook).toMatch(/deny all;/);
    expect(conf).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
  });
});

describe('two relay instances on one PostgreSQL behind deploy/nginx.conf', () => {
  const tmp = tmpDir('asgard-nginx2-');
  let ca: TestCa;
  let a: OpsRelay;
  let b: OpsRelay;
  let proxy: Nginx;

  beforeAll(async () => {
    ca = makeCa(tmp.dir);
    // Same database, same RELAY_SECRET_KEY (the salt is encrypted with it); started together,
    // so the migrations race and must still apply once.
    a = await startOpsRelay({ trustProxy: true, secretKey: 'two-instances-key' });
    b = await startOpsRelay({ trustProxy: true, secretKey: 'two-instances-key' }, { databaseUrl: a.databaseUrl });
    proxy = await startNginx(tmp.dir, ca, [a.relay.port, b.relay.port], ['127.0.0.1']);
  });
  afterAll(async () => {
    await proxy?.stop();
    await b?.close();
    await a?.close();
    tmp.remove();
  });

  it('delivers a webhook taken by either instance to an app connected to either', async () => {
    const token = await login(proxy.base, 'admin', ADMIN_PASSWORD, { ca: ca.ca });
    expect((await jsonRequest(`${proxy.base}/api/admin/employees`, 'POST', { login: 'sidorov', name: 'Сидоров', role: 'to', extension: '101', password: 'sidorov-password' }, { ca: ca.ca, token })).status).toBe(201);
    const sid = await login(proxy.base, 'sidorov', 'sidorov-password', { ca: ca.ca });
    // The app on instance B, the call's events straight to instance A.
    const app = await connectWs(b.url, sid);
    await app.waitFor((m) => m.some((x) => x.type === 'synced'), 'synced on B');
    const ev: Record<string, unknown> = { ...callEvent('two'), to: { number: '101', extension: '101', line_number: '74951234567' }, call_state: 'Appeared', location: 'abonent' };
    expect((await postSignedTo(`${a.url}/api/mango-webhook/events/call`, ev)).status).toBe(200);
    expect((await postSignedTo(`${b.url}/api/mango-webhook/events/call`, ev)).status).toBe(200); // a repeat on the other instance
    await app.waitFor((m) => m.some((x) => x.type === 'item' && x.item.payload.kind === 'call'), 'the call on B', 10_000);
    expect(await a.sql('SELECT 1 FROM mango_events WHERE entry_id = $1', [ev.entry_id])).toHaveLength(1);
    app.ws.close();
  });

  it('a rolling restart behind nginx: closing one instance under a burst loses nothing', async () => {
    const results: Array<{ entry: string; status: number | null; error: string | null }> = [];
    let stop = false;
    let sent = 0;
    const agent = new (await import('node:https')).Agent({ keepAlive: true, maxSockets: 16, ca: ca.ca });
    const worker = async () => {
      while (!stop) {
        const ev = callEvent('roll');
        sent++;
        try {
          const res = await postSignedTo(`${proxy.base}/api/mango-webhook/events/call`, ev, { agent });
          results.push({ entry: ev.entry_id as string, status: res.status, error: null });
        } catch (e) {
          results.push({ entry: ev.entry_id as string, status: null, error: (e as NodeJS.ErrnoException).code ?? String(e) });
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    // Bounded waits: on a loaded 2-core CI machine (Chromium e2e alongside) a burst is slow,
    // and a stuck burst must fail with a reason rather than hang.
    const deadline = Date.now() + 120_000;
    while (sent < 80 && Date.now() < deadline) await sleep(2);
    await a.relay.close();
    const after = sent;
    while (sent < after + 80 && Date.now() < deadline) await sleep(2);
    stop = true;
    await Promise.all(workers);
    expect(sent, 'the burst kept going through the restart').toBeGreaterThanOrEqual(after + 80);
    agent.destroy();

    const bad = results.filter((x) => x.status !== 200);
    expect(bad, 'every callback answered 200 by one instance or the other').toEqual([]);
    const stored = new Set((await b.sql<{ entry_id: string }>('SELECT entry_id FROM mango_events')).map((x) => x.entry_id));
    expect(results.filter((x) => !stored.has(x.entry))).toEqual([]);
  }, 180_000);
});
