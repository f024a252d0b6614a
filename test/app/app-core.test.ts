import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppCore, type AppCore } from '../../src-main/core/app-core';
import { KeyFileSecretBox } from '../../src-main/core/secrets/key-file-secret-box';
import { silentLogger } from '../../src-main/core/log';
import { REQUEST_NAMES } from '../../src-shared/ipc/contract';
import { createMailFactory } from '../../src-main/core/mail-adapter';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function core(extra: Partial<Parameters<typeof createAppCore>[0]> = {}): Promise<AppCore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-core-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const c = await createAppCore({ userDataDir: dir, secretBox: new KeyFileSecretBox(dir), log: silentLogger, ...extra });
  cleanup.push(() => c.close());
  return c;
}

describe('app core: the IPC contract boundary', () => {
  it('rejects unknown request names', async () => {
    const c = await core();
    for (const name of ['x', '__proto__', 'hasOwnProperty', 1, null])
      expect(await c.handle(name, undefined)).toMatchObject({ ok: false, error: { code: 'unknown-request' } });
  });

  it('rejects malformed args of every request with a clear bad-request error', async () => {
    const c = await core();
    for (const name of REQUEST_NAMES) {
      // A number is never a valid argument in this contract (all args are objects or undefined).
      const r = await c.handle(name, 12345);
      expect(r, name).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      if (!r.ok) expect(r.error.message).toContain(`Неверные параметры запроса ${name}`);
    }
  });

  it('answers local requests while logged out and refuses relay ones', async () => {
    const c = await core({ relayUrl: 'https://crm.example.ru' });
    expect(await c.handle('session:state', undefined)).toEqual({ ok: true, value: { relayUrl: 'https://crm.example.ru', login: '', loggedIn: false, me: null } });
    expect(await c.handle('connection:state', undefined)).toEqual({ ok: true, value: { state: 'logged-out' } });
    expect(await c.handle('popups:list', undefined)).toEqual({ ok: true, value: [] });
    expect(await c.handle('calls:list', {})).toMatchObject({ ok: false, error: { code: 'not-logged-in' } });
    expect(await c.handle('admin:employees', undefined)).toMatchObject({ ok: false, error: { code: 'not-logged-in' } });
  });

  it('delegates mail:* requests to the mail handler with parsed args, and forwards its events', async () => {
    const seen: [string, unknown][] = [];
    let emit: ((e: 'mail:accounts', p: never) => void) | null = null;
    const c = await core({
      mailFactory: (ctx) => {
        expect(ctx.store.db.open).toBe(true);
        emit = (e, p) => ctx.emit(e, p);
        return { handle: async (name, args) => (seen.push([name, args]), ['ok']) };
      },
    });
    expect(await c.handle('mail:presets', undefined)).toEqual({ ok: true, value: ['ok'] });
    expect(seen).toEqual([['mail:presets', undefined]]);
    // Validated by the contract before the mail handler sees it.
    expect(await c.handle('mail:presets', { x: 1 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await c.handle('mail:nonexistent', undefined)).toMatchObject({ ok: false, error: { code: 'unknown-request' } });
    expect(seen).toHaveLength(1);
    const events: unknown[] = [];
    c.onAny((e, p) => events.push([e, p]));
    emit!('mail:accounts', [] as never);
    expect(events).toEqual([['mail:accounts', []]]);
  });

  it('runs the real mail capability on the same SQLite file through the namespaced migrations', async () => {
    const c = await core({ mailFactory: createMailFactory({ autoStart: false }) });
    expect(await c.handle('mail:accounts:list', undefined)).toEqual({ ok: true, value: [] });
    const presets = await c.handle('mail:presets', undefined);
    expect(presets.ok && Array.isArray(presets.value) && presets.value.length > 0).toBe(true);
    const ns = c.store.db.prepare(`SELECT DISTINCT namespace FROM schema_version ORDER BY namespace`).all();
    expect(ns).toEqual([{ namespace: 'core' }, { namespace: 'mail' }]);
  });

  it('without a mail capability, mail requests fail clearly', async () => {
    const c = await core();
    expect(await c.handle('mail:presets', undefined)).toMatchObject({ ok: false, error: { code: 'mail-unavailable', message: 'Почта недоступна' } });
  });

  it('maps relay-unreachable and bad URLs on login to Russian messages', async () => {
    const c = await core();
    const r = await c.handle('session:login', { relayUrl: 'http://127.0.0.1:1', login: 'a', password: 'b' });
    expect(r).toMatchObject({ ok: false, error: { code: 'relay-unreachable' } });
    const ftp = await c.handle('session:login', { relayUrl: 'ftp://example.ru', login: 'a', password: 'b' });
    expect(ftp).toMatchObject({ ok: false, error: { code: 'bad-url', message: 'Адрес сервера должен начинаться с http:// или https://' } });
  });
});
