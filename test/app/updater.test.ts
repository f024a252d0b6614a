/**
 * The update channel's plain-Node half: URL rules and the state machine the settings page
 * shows, driven through a fake UpdaterPort (electron-updater's place) and fake timers; then the
 * same controller reached through the core's `update:*` requests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UpdateController, validateUpdateUrl, updateErrorMessage, type UpdaterEvent, type UpdaterPort } from '../../src-main/core/updater';
import { createAppCore } from '../../src-main/core/app-core';
import { KeyFileSecretBox } from '../../src-main/core/secrets/key-file-secret-box';
import { silentLogger } from '../../src-main/core/log';
import type { UpdateState } from '../../src-shared/ipc/app';

function fakePort() {
  let listener: ((e: UpdaterEvent) => void) | null = null;
  const port = {
    feeds: [] as string[],
    checks: 0,
    installs: 0,
    failNext: null as Error | null,
    setFeedUrl(url: string) {
      port.feeds.push(url);
    },
    async check() {
      port.checks++;
      if (port.failNext) {
        const e = port.failNext;
        port.failNext = null;
        throw e;
      }
    },
    quitAndInstall() {
      port.installs++;
    },
    onEvent(l: (e: UpdaterEvent) => void) {
      listener = l;
      return () => (listener = null);
    },
    fire(e: UpdaterEvent) {
      listener?.(e);
    },
  };
  return port satisfies UpdaterPort;
}

function fakeTimers() {
  let next = 1;
  const timeouts = new Map<number, { fn: () => void; ms: number }>();
  const intervals = new Map<number, { fn: () => void; ms: number }>();
  return {
    timeouts,
    intervals,
    setTimeout: (fn: () => void, ms: number) => (timeouts.set(next, { fn, ms }), next++),
    clearTimeout: (h: unknown) => void timeouts.delete(h as number),
    setInterval: (fn: () => void, ms: number) => (intervals.set(next, { fn, ms }), next++),
    clearInterval: (h: unknown) => void intervals.delete(h as number),
    runTimeouts() {
      const all = [...timeouts.values()];
      timeouts.clear();
      all.forEach((t) => t.fn());
    },
    tick() {
      [...intervals.values()].forEach((t) => t.fn());
    },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function controller(port: ReturnType<typeof fakePort> | null = fakePort()) {
  const timers = fakeTimers();
  const states: UpdateState[] = [];
  const ctl = new UpdateController({ port, emit: (s) => states.push(s), timers, now: () => new Date('2025-05-01T10:00:00Z'), unsupportedReason: 'нет' });
  return { ctl, port: port!, timers, states };
}

describe('update server URL', () => {
  it('https anywhere, http only on this computer, nothing else', () => {
    expect(validateUpdateUrl('')).toEqual({ ok: true, url: null });
    expect(validateUpdateUrl('   ')).toEqual({ ok: true, url: null });
    expect(validateUpdateUrl('https://updates.example.ru/phone/')).toEqual({ ok: true, url: 'https://updates.example.ru/phone/' });
    for (const ok of ['http://127.0.0.1:8080/', 'http://localhost/u', 'http://[::1]:9000/', 'http://127.1.2.3/'])
      expect(validateUpdateUrl(ok).ok, ok).toBe(true);
    for (const bad of ['http://updates.example.ru/', 'http://10.0.0.5/', 'http://127.0.0.1.evil.ru/', 'ftp://x/', 'file:///tmp/u', 'javascript:alert(1)', 'updates.example.ru', 'https://a:b@x.ru/'])
      expect(validateUpdateUrl(bad).ok, bad).toBe(false);
  });

  it('Russian error sentences with the detail kept', () => {
    expect(updateErrorMessage('getaddrinfo ENOTFOUND updates.example.ru')).toMatch(/^Сервер обновлений недоступен: getaddrinfo/);
    expect(updateErrorMessage('Cannot find latest.yml in the latest release artifacts (HttpError: 404)')).toMatch(/^На сервере обновлений нет описания версии/);
    expect(updateErrorMessage('boom')).toBe('Не удалось проверить обновления: boom');
  });
});

describe('UpdateController', () => {
  it('without a port it is unsupported and refuses to check', async () => {
    const { ctl } = controller(null);
    expect(ctl.state()).toEqual({ state: 'unsupported', reason: 'нет' });
    ctl.configure('https://u.example.ru/');
    expect(ctl.state().state).toBe('unsupported');
    await expect(ctl.checkNow()).rejects.toMatchObject({ code: 'updates-unsupported' });
  });

  it('empty URL: disabled, no timers, no checks', async () => {
    const { ctl, port, timers } = controller();
    ctl.configure('');
    expect(ctl.state()).toEqual({ state: 'disabled' });
    expect(timers.timeouts.size + timers.intervals.size).toBe(0);
    await expect(ctl.checkNow()).rejects.toMatchObject({ code: 'updates-disabled' });
    expect(port.checks).toBe(0);
  });

  it('points the feed at the URL, checks after start and every interval; the full path to "перезапустить"', async () => {
    const { ctl, port, timers, states } = controller();
    ctl.configure('https://u.example.ru/phone/');
    expect(port.feeds).toEqual(['https://u.example.ru/phone/']);
    expect(ctl.state()).toEqual({ state: 'idle', lastCheckedAt: null });
    expect([...timers.timeouts.values()].map((t) => t.ms)).toEqual([30_000]);
    expect([...timers.intervals.values()].map((t) => t.ms)).toEqual([4 * 3600_000]);
    // Same URL again: nothing restarts.
    ctl.configure('https://u.example.ru/phone/');
    expect(port.feeds).toHaveLength(1);

    timers.runTimeouts();
    await flush();
    expect(port.checks).toBe(1);
    expect(ctl.state()).toEqual({ state: 'checking' });
    port.fire({ type: 'not-available' });
    expect(ctl.state()).toEqual({ state: 'up-to-date', checkedAt: '2025-05-01T10:00:00.000Z' });

    timers.tick();
    await flush();
    expect(port.checks).toBe(2);
    port.fire({ type: 'available', version: '0.2.0' });
    port.fire({ type: 'progress', percent: 41.6 });
    expect(ctl.state()).toEqual({ state: 'downloading', version: '0.2.0', percent: 42 });
    // A periodic tick during the download does not start another check.
    timers.tick();
    await flush();
    expect(port.checks).toBe(2);
    expect(() => ctl.install()).toThrow(/ещё не загружено/);
    port.fire({ type: 'downloaded', version: '0.2.0' });
    expect(ctl.state()).toEqual({ state: 'downloaded', version: '0.2.0' });
    // Later failures (e.g. the server went away) do not hide the ready update.
    port.fire({ type: 'error', message: 'net::ERR_CONNECTION_REFUSED' });
    expect(ctl.state()).toEqual({ state: 'downloaded', version: '0.2.0' });
    ctl.install();
    expect(port.installs).toBe(1);
    expect(states.map((s) => s.state)).toEqual(['idle', 'checking', 'up-to-date', 'checking', 'available', 'downloading', 'downloaded']);
  });

  it('a failed check is an error state with a Russian message; the next check can succeed', async () => {
    const { ctl, port } = controller();
    ctl.configure('https://u.example.ru/');
    port.failNext = new Error('getaddrinfo ENOTFOUND u.example.ru');
    expect(await ctl.checkNow()).toMatchObject({ state: 'error', message: expect.stringMatching(/^Сервер обновлений недоступен/) });
    const again = await ctl.checkNow();
    expect(again).toEqual({ state: 'checking' });
    expect(port.checks).toBe(2);
  });

  it('turning the URL off stops the timers and ignores late events; a new URL re-points the feed', async () => {
    const { ctl, port, timers } = controller();
    ctl.configure('https://a.example.ru/');
    ctl.configure('');
    expect(ctl.state()).toEqual({ state: 'disabled' });
    expect(timers.timeouts.size + timers.intervals.size).toBe(0);
    port.fire({ type: 'available', version: '9.9.9' });
    expect(ctl.state()).toEqual({ state: 'disabled' });
    ctl.configure('https://b.example.ru/');
    expect(port.feeds).toEqual(['https://a.example.ru/', 'https://b.example.ru/']);
    ctl.configure('http://not-allowed.example.ru/');
    expect(ctl.state()).toEqual({ state: 'disabled' });
  });
});

describe('update:* through the core', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('browser bridge: unsupported; Electron with a port: follows the update URL setting', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-upd-'));
    dirs.push(dir);
    const bare = await createAppCore({ userDataDir: dir, secretBox: new KeyFileSecretBox(dir), log: silentLogger });
    expect(await bare.handle('update:state', undefined)).toMatchObject({ ok: true, value: { state: 'unsupported' } });
    expect(await bare.handle('update:check', undefined)).toMatchObject({ ok: false, error: { code: 'updates-unsupported' } });
    await bare.close();

    const port = fakePort();
    const c = await createAppCore({ userDataDir: dir, secretBox: new KeyFileSecretBox(dir), log: silentLogger, updater: port });
    const seen: UpdateState[] = [];
    c.on('update', (s) => seen.push(s));
    expect(await c.handle('update:state', undefined)).toEqual({ ok: true, value: { state: 'disabled' } });
    await c.handle('settings:update', { updateUrl: 'https://u.example.ru/phone' });
    expect(port.feeds).toEqual(['https://u.example.ru/phone']);
    expect(await c.handle('update:check', undefined)).toEqual({ ok: true, value: { state: 'checking' } });
    port.fire({ type: 'downloaded', version: '0.3.0' });
    expect(await c.handle('update:install', undefined)).toEqual({ ok: true, value: undefined });
    expect(port.installs).toBe(1);
    expect(seen.map((s) => s.state)).toEqual(['idle', 'checking', 'downloaded']);
    await c.close();

    // Restart: the stored URL configures the updater at once.
    const port2 = fakePort();
    const c2 = await createAppCore({ userDataDir: dir, secretBox: new KeyFileSecretBox(dir), log: silentLogger, updater: port2 });
    expect(port2.feeds).toEqual(['https://u.example.ru/phone']);
    expect(await c2.handle('update:install', undefined)).toMatchObject({ ok: false, error: { code: 'update-not-ready' } });
    await c2.close();
  });
});
