/**
 * The app's own settings through the core: schema defaults, tolerant reading of stored values,
 * `settings:get` / `settings:update` validation, the relay address change ending the session,
 * and "о программе".
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppCore, type AppCore } from '../../src-main/core/app-core';
import { KeyFileSecretBox } from '../../src-main/core/secrets/key-file-secret-box';
import { silentLogger } from '../../src-main/core/log';
import { parseSettings, SettingsSchema } from '../../src-main/core/settings';
import type { Settings } from '../../src-shared/ipc/app';
import pkg from '../../package.json';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-settings-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function core(extra: Partial<Parameters<typeof createAppCore>[0]> = {}, dir = tmp()): Promise<AppCore> {
  const c = await createAppCore({ userDataDir: dir, secretBox: new KeyFileSecretBox(dir), log: silentLogger, ...extra });
  cleanup.push(() => c.close());
  return c;
}

/** A tiny fake relay: login, logout, health (with or without a version), the feed socket refused. */
async function fakeRelay(o: { version?: string } = {}): Promise<{ url: string; logouts: number }> {
  const state = { url: '', logouts: 0 };
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/healthz') return json(200, { ok: true, db: 'pg', ...(o.version ? { version: o.version } : {}) });
    if (req.url === '/api/auth/login') {
      return json(200, {
        token: 'tok-' + Math.random().toString(36).slice(2),
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        employee: {
          id: 7, login: 'ivanov', name: 'Иванов', role: 'to', extension: '101', mangoUserId: null, email: null, phones: [],
          active: true, acceptCalls: true, acceptCallsManual: false,
        },
      });
    }
    if (req.url === '/api/auth/logout') {
      state.logouts++;
      return json(200, { ok: true });
    }
    json(404, { error: { code: 'not-found', message: 'Не найдено' } });
  });
  server.on('upgrade', (_req, socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

describe('settings schema', () => {
  it('has the documented defaults, language fixed to Russian', () => {
    const s = SettingsSchema.parse({});
    expect(s.popup).toEqual({ when: 'ring', minDigits: 5, display: 'cursor', notification: true, position: 'bottom-right', durationSec: 0, sound: true });
    expect(s).toMatchObject({ startAtLogin: false, updateUrl: '', language: 'ru', relayUrl: '' });
  });

  it('reads stored settings field by field: one bad value does not reset the others', () => {
    const s = parseSettings({ relayUrl: 'https://crm.example.ru', startAtLogin: true, language: 'en', popup: { position: 'middle', durationSec: 30, sound: false } });
    expect(s.relayUrl).toBe('https://crm.example.ru');
    expect(s.startAtLogin).toBe(true);
    expect(s.language).toBe('ru');
    expect(s.popup).toMatchObject({ position: 'bottom-right', durationSec: 30, sound: false, when: 'ring' });
    expect(parseSettings(null)).toEqual(SettingsSchema.parse({}));
    expect(parseSettings('garbage')).toEqual(SettingsSchema.parse({}));
  });
});

describe('settings:get / settings:update', () => {
  it('merges popup fields one by one, persists across restarts and announces the change', async () => {
    const dir = tmp();
    const c1 = await core({}, dir);
    const seen: Settings[] = [];
    c1.on('settings', (s) => seen.push(s));
    const res = await c1.handle('settings:update', { popup: { position: 'top-left', durationSec: 20 } });
    expect(res).toMatchObject({ ok: true, value: { loggedOut: false, settings: { popup: { position: 'top-left', durationSec: 20, sound: true, when: 'ring' } } } });
    await c1.handle('settings:update', { popup: { sound: false } });
    expect(seen.map((s) => [s.popup.position, s.popup.durationSec, s.popup.sound])).toEqual([
      ['top-left', 20, true],
      ['top-left', 20, false],
    ]);
    await c1.close();

    const c2 = await core({}, dir);
    expect(await c2.handle('settings:get', undefined)).toMatchObject({ ok: true, value: { popup: { position: 'top-left', durationSec: 20, sound: false } } });
  });

  it('refuses unknown keys, out-of-range values, a changed language and a bad relay address', async () => {
    const c = await core();
    for (const bad of [
      { popup: { position: 'center' } },
      { popup: { durationSec: -1 } },
      { popup: { durationSec: 1.5 } },
      { popup: { durationSec: 601 } },
      { language: 'en' },
      { login: 'someone' },
      { token: 'x' },
      { popup: { sound: 'yes' } },
    ]) {
      expect(await c.handle('settings:update', bad), JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    }
    expect(await c.handle('settings:update', { relayUrl: 'ftp://relay' })).toMatchObject({ ok: false, error: { code: 'bad-url' } });
    expect(await c.handle('settings:update', { relayUrl: 'не адрес' })).toMatchObject({ ok: false, error: { code: 'bad-url' } });
    // Nothing of the refused patches was stored.
    expect(await c.handle('settings:get', undefined)).toEqual({ ok: true, value: SettingsSchema.parse({}) });
  });

  it('update server: https only, http only on loopback; stored normalized', async () => {
    const c = await core();
    expect(await c.handle('settings:update', { updateUrl: 'http://updates.example.ru/' })).toMatchObject({ ok: false, error: { code: 'bad-update-url' } });
    expect(await c.handle('settings:update', { updateUrl: 'https://user:pw@updates.example.ru/' })).toMatchObject({ ok: false, error: { code: 'bad-update-url' } });
    expect(await c.handle('settings:update', { updateUrl: '  https://updates.example.ru/phone#x ' })).toMatchObject({
      ok: true,
      value: { settings: { updateUrl: 'https://updates.example.ru/phone' } },
    });
    expect(await c.handle('settings:update', { updateUrl: 'http://127.0.0.1:8080/u/' })).toMatchObject({ ok: true });
    expect(await c.handle('settings:update', { updateUrl: '' })).toMatchObject({ ok: true, value: { settings: { updateUrl: '' } } });
  });

  it('a new relay address while logged in logs out (the token belongs to the old relay) and prefills the login form', async () => {
    const relay = await fakeRelay();
    const dir = tmp();
    const c = await core({ feed: { backoff: { baseMs: 10_000, maxMs: 10_000 } } }, dir);
    const login = await c.handle('session:login', { relayUrl: relay.url, login: 'ivanov', password: 'secret' });
    expect(login).toMatchObject({ ok: true, value: { loggedIn: true } });

    // The same address (spelled with a trailing slash) keeps the session.
    expect(await c.handle('settings:update', { relayUrl: relay.url + '/' })).toMatchObject({ ok: true, value: { loggedOut: false } });
    expect(await c.handle('session:state', undefined)).toMatchObject({ ok: true, value: { loggedIn: true } });

    // The tray's synchronous path cannot switch relays under a live session.
    expect(() => c.updateSettings({ relayUrl: 'https://other.example.ru' })).toThrow(/странице настроек/);
    expect(c.getSettings().relayUrl).toBe(relay.url);

    const sessions: { loggedIn: boolean; relayUrl: string }[] = [];
    c.on('session', (s) => sessions.push({ loggedIn: s.loggedIn, relayUrl: s.relayUrl }));
    const res = await c.handle('settings:update', { relayUrl: 'https://new-relay.example.ru/' });
    // The window switches to the login form already showing the new address.
    expect(sessions).toEqual([{ loggedIn: false, relayUrl: 'https://new-relay.example.ru' }]);
    expect(res).toMatchObject({ ok: true, value: { loggedOut: true, settings: { relayUrl: 'https://new-relay.example.ru' } } });
    expect(relay.logouts).toBe(1);
    expect(await c.handle('session:state', undefined)).toMatchObject({ ok: true, value: { loggedIn: false, relayUrl: 'https://new-relay.example.ru', login: 'ivanov' } });
    expect(await c.handle('calls:list', {})).toMatchObject({ ok: false, error: { code: 'not-logged-in' } });

    // The token is gone from disk too: a restart does not resume a session on either relay.
    await c.close();
    const again = await core({}, dir);
    expect(await again.handle('session:state', undefined)).toMatchObject({ ok: true, value: { loggedIn: false, relayUrl: 'https://new-relay.example.ru' } });
  });

  it('the tray path (core.updateSettings) validates like the request', async () => {
    const c = await core();
    expect(() => c.updateSettings({ updateUrl: 'http://evil.example/' })).toThrow(/https/);
    expect(c.updateSettings({ startAtLogin: true }).startAtLogin).toBe(true);
  });
});

describe('app:about', () => {
  it('browser bridge: app name and version from package.json, Electron honestly absent, the relay version when it tells one', async () => {
    const relay = await fakeRelay({ version: '1.4.2' });
    const c = await core({ relayUrl: relay.url });
    const res = await c.handle('app:about', undefined);
    expect(res).toMatchObject({
      ok: true,
      value: { name: 'АСГАРД Телефония', version: pkg.version, shell: 'browser', electron: null, chromium: null, node: process.versions.node, relayVersion: '1.4.2', buildDate: null },
    });
    if (res.ok) expect((res.value as { os: string }).os).toContain(`(${process.arch})`);
  });

  it('Electron shell: its versions and build date; a relay that reports no version (or is down) gives null', async () => {
    const relay = await fakeRelay();
    const c = await core({ relayUrl: relay.url, shellInfo: { shell: 'electron', electron: '40.1.0', chromium: '144.0.1', buildDate: '2025-05-01T10:00:00.000Z' } });
    expect(await c.handle('app:about', undefined)).toMatchObject({
      ok: true,
      value: { shell: 'electron', electron: '40.1.0', chromium: '144.0.1', buildDate: '2025-05-01T10:00:00.000Z', relayVersion: null },
    });
    const down = await core({ relayUrl: 'http://127.0.0.1:9' });
    expect(await down.handle('app:about', undefined)).toMatchObject({ ok: true, value: { relayVersion: null, version: pkg.version } });
  });
});
