import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyFileSecretBox } from '../../src-main/core/secrets/key-file-secret-box';
import { createAppCore } from '../../src-main/core/app-core';
import { silentLogger } from '../../src-main/core/log';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-secret-'));
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Every byte of every file under `dir` (SQLite WAL and SHM included). */
function allFileContents(dir: string): { file: string; data: Buffer }[] {
  const out: { file: string; data: Buffer }[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    out.push({ file, data: fs.readFileSync(file) });
  }
  return out;
}

function expectNowhere(dir: string, secret: string): void {
  const needles = [Buffer.from(secret, 'utf8'), Buffer.from(secret, 'utf16le')];
  const files = allFileContents(dir);
  expect(files.length).toBeGreaterThan(0);
  for (const { file, data } of files)
    for (const n of needles) expect(data.includes(n), `${secret} in clear in ${file}`).toBe(false);
}

describe('KeyFileSecretBox', () => {
  it('round-trips, uses a fresh IV each time and rejects tampering', async () => {
    const box = new KeyFileSecretBox(tmpDir());
    const a = await box.encrypt('пароль-123');
    const b = await box.encrypt('пароль-123');
    expect(a).not.toBe(b);
    expect(await box.decrypt(a)).toBe('пароль-123');
    const raw = Buffer.from(a.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    await expect(box.decrypt('k1:' + raw.toString('base64'))).rejects.toThrow();
  });

  it('creates the key file owner-only and reuses it across instances', async () => {
    const dir = tmpDir();
    const cipher = await new KeyFileSecretBox(dir).encrypt('x');
    if (process.platform !== 'win32') expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(await new KeyFileSecretBox(dir).decrypt(cipher)).toBe('x');
    await expect(new KeyFileSecretBox(tmpDir()).decrypt(cipher)).rejects.toThrow();
  });

  it('tightens a key file whose permissions were loosened', async () => {
    if (process.platform === 'win32') return;
    const dir = tmpDir();
    await new KeyFileSecretBox(dir).encrypt('x');
    fs.chmodSync(path.join(dir, 'secret.key'), 0o644);
    await new KeyFileSecretBox(dir).encrypt('y');
    expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
  });
});

describe('the relay token at rest', () => {
  it('never appears in clear in any file of the user-data dir, and survives a restart', async () => {
    const TOKEN = 'tok_' + 'Zq9'.repeat(12) + Date.now();
    const PASSWORD = 'SuperSecretPassword-' + Date.now();
    const employee = {
      id: 5, login: 'ivanov', name: 'Иванов', role: 'to', extension: '101', mangoUserId: null, email: null,
      phones: [], active: true, acceptCalls: true, acceptCallsManual: false,
    };
    const seenAuth: string[] = [];
    // A stand-in for the relay's login and /api/me; the feed socket is refused (the app keeps retrying).
    const server = http.createServer((req, res) => {
      seenAuth.push(String(req.headers.authorization ?? ''));
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/api/auth/login') {
          const { password } = JSON.parse(body);
          if (password !== PASSWORD) {
            res.statusCode = 401;
            return res.end(JSON.stringify({ error: 'invalid-credentials', message: 'Неверный логин или пароль' }));
          }
          return res.end(JSON.stringify({ token: TOKEN, expiresAt: '2999-01-01T00:00:00Z', employee }));
        }
        if (req.url === '/api/me') return res.end(JSON.stringify(employee));
        res.statusCode = 404;
        res.end(JSON.stringify({ error: 'not-found', message: 'нет' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(r)));
    server.on('upgrade', (_req, socket) => socket.destroy());
    const relayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const dir = tmpDir();
    const core = await createAppCore({ userDataDir: dir, secretBox: new KeyFileSecretBox(dir), log: silentLogger, feed: { backoff: { baseMs: 50, maxMs: 100 } } });
    const bad = await core.handle('session:login', { relayUrl, login: 'ivanov', password: 'wrong-password' });
    expect(bad).toEqual({ ok: false, error: { code: 'invalid-credentials', message: 'Неверный логин или пароль' } });
    const ok = await core.handle('session:login', { relayUrl, login: 'ivanov', password: PASSWORD });
    expect(ok.ok).toBe(true);
    // The renderer's view of the session never carries the token.
    expect(JSON.stringify(ok)).not.toContain(TOKEN);
    expect(JSON.stringify(await core.handle('session:state', undefined))).not.toContain(TOKEN);
    await core.close();

    expectNowhere(dir, TOKEN);
    expectNowhere(dir, PASSWORD);

    // Restarted: the token is decrypted from the store and used.
    const again = await createAppCore({ userDataDir: dir, secretBox: new KeyFileSecretBox(dir), log: silentLogger, feed: { backoff: { baseMs: 50, maxMs: 100 } } });
    cleanup.push(() => again.close());
    const state = await again.handle('session:state', undefined);
    expect(state).toMatchObject({ ok: true, value: { loggedIn: true, login: 'ivanov', relayUrl } });
    const me = await again.handle('contacts:lookup', { phone: '+79161234567' });
    expect(me.ok).toBe(false); // 404 from the stand-in, but the request went out authenticated:
    expect(seenAuth).toContain(`Bearer ${TOKEN}`);
    expectNowhere(dir, TOKEN);
  });
});
