import { describe, expect, it } from 'vitest';
import { guardRequest, isOwnBlobUrl, isOwnFrameUrl, ReadyQueue, type SenderInfo, type WindowRole } from '../../src-main/core/ipc-guard';

const windows = new Map<number, WindowRole>([
  [1, 'main'],
  [2, 'popup'],
]);
const roleOf = (id: number) => windows.get(id) ?? null;
const from = (over: Partial<SenderInfo> = {}): SenderInfo => ({
  webContentsId: 1,
  frameUrl: 'app://asgard/index.html#/',
  isMainFrame: true,
  ...over,
});

describe('ipc guard: senders', () => {
  it('accepts our main window on app://asgard', () => {
    expect(guardRequest(from(), roleOf, 'session:state', undefined)).toEqual({ ok: true, role: 'main', name: 'session:state', args: undefined });
  });

  it.each([
    ['an unknown webContents', from({ webContentsId: 99 })],
    ['a destroyed sender', from({ webContentsId: null })],
    ['a subframe of our window', from({ isMainFrame: false })],
    ['a frame without URL', from({ frameUrl: null })],
    ['file://', from({ frameUrl: 'file:///tmp/index.html' })],
    ['https page', from({ frameUrl: 'https://evil.example/' })],
    ['another app:// host', from({ frameUrl: 'app://evil/index.html' })],
    ['app:// with credentials', from({ frameUrl: 'app://x:y@asgard/index.html' })],
    ['a look-alike host', from({ frameUrl: 'app://asgard.evil/index.html' })],
    ['the dev server', from({ frameUrl: 'http://127.0.0.1:5173/' })],
    ['garbage URL', from({ frameUrl: 'not a url' })],
  ])('rejects %s', (_why, sender) => {
    const r = guardRequest(sender, roleOf, 'session:state', undefined);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('forbidden-sender');
  });

  it('parses origins strictly', () => {
    expect(isOwnFrameUrl('app://asgard/popup.html?x#/popup')).toBe(true);
    expect(isOwnFrameUrl('APP://ASGARD/index.html')).toBe(true);
    expect(isOwnFrameUrl('app://asgard:8080/index.html')).toBe(false);
  });

  it('lets through downloads of our own page’s blobs only', () => {
    expect(isOwnBlobUrl('blob:app://asgard/3f2a9c1e-0b7d-4c55-9a8e-1d2f3a4b5c6d')).toBe(true);
    for (const url of ['blob:null/3f2a9c1e', 'blob:https://evil.example/3f2a', 'https://evil.example/x.csv', 'app://asgard/index.html', 'blob:app://asgard.evil/x', '', null])
      expect(isOwnBlobUrl(url), String(url)).toBe(false);
  });

  it('limits the popup window to what its buttons need', () => {
    const popup = from({ webContentsId: 2, frameUrl: 'app://asgard/index.html#/popup' });
    expect(guardRequest(popup, roleOf, 'popups:dismiss', { callId: 3 }).ok).toBe(true);
    expect(guardRequest(popup, roleOf, 'calls:callback', { toNumber: '+79161234567' }).ok).toBe(true);
    expect(guardRequest(popup, roleOf, 'settings:get', undefined).ok).toBe(true);
    const args: Record<string, unknown> = { 'me:setAcceptCalls': { acceptCalls: false }, 'settings:update': { popup: { sound: false } } };
    for (const name of ['admin:employees', 'session:logout', 'admin:mangoGet', 'me:setAcceptCalls', 'settings:update', 'update:install', 'update:check', 'app:about']) {
      const r = guardRequest(popup, roleOf, name, args[name]);
      expect(r.ok, name).toBe(false);
    }
  });
});

describe('ipc guard: requests', () => {
  it('rejects names outside the contract', () => {
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 42, null, undefined]) {
      const r = guardRequest(from(), roleOf, name, undefined);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('unknown-request');
    }
  });

  it.each([
    ['missing object', 'me:setAcceptCalls', undefined],
    ['wrong type', 'me:setAcceptCalls', { acceptCalls: 'yes' }],
    ['extra arg where none', 'session:state', { x: 1 }],
    ['bad URL', 'session:login', { relayUrl: 'not a url', login: 'a', password: 'b' }],
    ['empty password', 'session:login', { relayUrl: 'http://x', login: 'a', password: '' }],
    ['too long', 'contacts:lookup', { phone: '1'.repeat(65) }],
    ['non-integer id', 'popups:dismiss', { callId: 1.5 }],
    ['limit out of range', 'calls:list', { limit: 100000 }],
    ['short admin password', 'admin:createEmployee', { login: 'a', name: 'b', role: 'to', password: '123' }],
    ['unknown role', 'admin:createEmployee', { login: 'a', name: 'b', role: 'king', password: '123456' }],
  ])('rejects malformed args: %s', (_why, name, args) => {
    const r = guardRequest(from(), roleOf, name, args);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-request');
      expect(r.error.message).toContain(name);
    }
  });

  it('returns parsed args with defaults filled', () => {
    const r = guardRequest(from(), roleOf, 'calls:list', {});
    expect(r).toMatchObject({ ok: true, args: { limit: 200 } });
  });
});

describe('ReadyQueue', () => {
  it('holds events until ready, then passes them straight through, in order', () => {
    const sent: unknown[] = [];
    const q = new ReadyQueue((e, p) => sent.push([e, p]), 3);
    q.push('popup', 1);
    q.push('nonsense', 0);
    q.push('connection', 2);
    expect(sent).toEqual([]);
    q.markReady();
    q.push('feed', 3);
    expect(sent).toEqual([['popup', 1], ['connection', 2], ['feed', 3]]);
    q.reset();
    for (let i = 0; i < 5; i++) q.push('feed', 10 + i);
    q.markReady();
    expect(sent.slice(3)).toEqual([['feed', 12], ['feed', 13], ['feed', 14]]);
  });
});

import { safeExternalUrl } from '../../src-main/core/external-url';

describe('safeExternalUrl (shell.openExternal gate)', () => {
  it('allows http(s) with a host, mailto and tel', () => {
    expect(safeExternalUrl('https://crm.asgard-service.ru/x?y=1')).toBe('https://crm.asgard-service.ru/x?y=1');
    expect(safeExternalUrl('mailto:ivan@example.ru')).toBe('mailto:ivan@example.ru');
    expect(safeExternalUrl('tel:+79161234567')).toBe('tel:+79161234567');
  });
  it.each(['javascript:alert(1)', 'file:///etc/passwd', 'app://asgard/index.html', 'smb://host/share', 'ms-msdt:/id', 'http://user:pw@host/', 'http://', 'tel:<script>', 'data:text/html,x', 42, null])(
    'refuses %s',
    (u) => expect(safeExternalUrl(u)).toBeNull(),
  );
});
