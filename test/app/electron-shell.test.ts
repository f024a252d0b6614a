/**
 * The Electron glue without Electron's binary (it cannot be downloaded here): `electron` is
 * replaced by fakes, and the real modules are checked for what they ask of it — hardened web
 * preferences, navigation/new-window/webview/permission denial, openExternal gating, the IPC
 * wrapper's sender checks, and a preload that exposes exactly the contract.
 */
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_NAMES, REQUEST_NAMES } from '../../src-shared/ipc/contract';

const fake = vi.hoisted(() => {
  const appHandlers = new Map<string, (...a: unknown[]) => void>();
  const ipcHandlers = new Map<string, (...a: unknown[]) => unknown>();
  const ipcOn = new Map<string, (...a: unknown[]) => void>();
  const exposed: Record<string, unknown> = {};
  const rendererListeners = new Map<string, (...a: unknown[]) => void>();
  const state = {
    opened: [] as string[],
    invoked: [] as [string, unknown][],
    sent: [] as string[],
    permissionHandler: null as null | ((wc: unknown, p: string, cb: (ok: boolean) => void) => void),
    checkHandler: null as null | ((...a: unknown[]) => boolean),
  };
  return { appHandlers, ipcHandlers, ipcOn, exposed, rendererListeners, state };
});

vi.mock('electron', () => ({
  app: { isPackaged: true, on: (n: string, h: (...a: unknown[]) => void) => fake.appHandlers.set(n, h) },
  shell: { openExternal: async (u: string) => void fake.state.opened.push(u) },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (h: typeof fake.state.permissionHandler) => (fake.state.permissionHandler = h),
      setPermissionCheckHandler: (h: typeof fake.state.checkHandler) => (fake.state.checkHandler = h),
      setDevicePermissionHandler: () => {},
      setDisplayMediaRequestHandler: () => {},
      on: () => {},
    },
  },
  ipcMain: {
    handle: (n: string, h: (...a: unknown[]) => unknown) => fake.ipcHandlers.set(n, h),
    removeHandler: (n: string) => fake.ipcHandlers.delete(n),
    on: (n: string, h: (...a: unknown[]) => void) => fake.ipcOn.set(n, h),
    off: (n: string) => fake.ipcOn.delete(n),
  },
  contextBridge: { exposeInMainWorld: (k: string, v: unknown) => (fake.exposed[k] = v) },
  ipcRenderer: {
    invoke: async (name: string, args: unknown) => {
      fake.state.invoked.push([name, args]);
      return name === 'session:state' ? { ok: true, value: { loggedIn: false } } : { ok: false, error: { code: 'x', message: 'Ошибка' } };
    },
    send: (ch: string) => fake.state.sent.push(ch),
    on: (ch: string, l: (...a: unknown[]) => void) => fake.rendererListeners.set(ch, l),
  },
}));

beforeEach(() => {
  fake.state.opened.length = 0;
  fake.state.invoked.length = 0;
});

describe('hardening', () => {
  it('windows get sandboxed, isolated, node-less web preferences', async () => {
    const { secureWebPreferences } = await import('../../src-main/electron/security');
    expect(secureWebPreferences('/p/preload.cjs')).toMatchObject({
      preload: '/p/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it('blocks navigation, redirects, webviews and new windows; links leave only as safe URLs', async () => {
    const { hardenApp } = await import('../../src-main/electron/security');
    hardenApp();
    const contents = new EventEmitter() as EventEmitter & { setWindowOpenHandler: (h: (d: { url: string }) => unknown) => void };
    let openHandler: ((d: { url: string }) => unknown) | null = null;
    contents.setWindowOpenHandler = (h) => (openHandler = h);
    fake.appHandlers.get('web-contents-created')!({}, contents);
    const ev = () => ({ prevented: false, preventDefault() { this.prevented = true; } });
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const e = ev();
      contents.emit(name, e, 'https://example.ru/');
      expect(e.prevented, name).toBe(true);
    }
    const e = ev();
    contents.emit('will-navigate', e, 'app://asgard/index.html#/x');
    expect(e.prevented).toBe(true);
    expect(openHandler!({ url: 'https://crm.asgard-service.ru/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.state.opened).toEqual(['https://example.ru/', 'https://crm.asgard-service.ru/']);
  });

  it('denies every permission request and check', async () => {
    const { denyPermissions } = await import('../../src-main/electron/security');
    denyPermissions();
    const answers: boolean[] = [];
    for (const p of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal'])
      fake.state.permissionHandler!({}, p, (ok) => answers.push(ok));
    expect(answers).toEqual([false, false, false, false, false]);
    expect(fake.state.checkHandler!()).toBe(false);
  });
});

describe('IPC wrapper', () => {
  it('registers every contract request, answers our frames, refuses others and malformed args', async () => {
    const { registerIpc } = await import('../../src-main/electron/ipc');
    const { WindowRegistry } = await import('../../src-main/electron/window-registry');
    const registry = new WindowRegistry();
    // One known window (id 1, main) without Electron: register through the role map directly.
    (registry as unknown as { byId: Map<number, unknown> }).byId.set(1, { role: 'main', queue: { markReady() {}, push() {} } });
    const handled: [unknown, unknown][] = [];
    const core = {
      handle: async (n: unknown, a: unknown) => (handled.push([n, a]), { ok: true as const, value: 'done' }),
      onAny: () => () => {},
    };
    registerIpc(core as never, registry);
    expect([...fake.ipcHandlers.keys()].sort()).toEqual([...REQUEST_NAMES].sort());
    const mainFrame = { url: 'app://asgard/index.html#/' };
    const event = (id: number, frame: { url: string } | null, sub = false) => ({
      sender: { id, isDestroyed: () => false, mainFrame: sub ? {} : frame },
      senderFrame: frame,
    });
    const call = (name: string, e: unknown, args?: unknown) => fake.ipcHandlers.get(name)!(e, args);
    expect(await call('session:state', event(1, mainFrame))).toEqual({ ok: true, value: 'done' });
    expect(await call('session:state', event(2, mainFrame))).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    expect(await call('session:state', event(1, { url: 'https://evil.example/' }))).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    expect(await call('session:state', event(1, mainFrame, true))).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    expect(await call('session:state', event(1, null))).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    expect(await call('me:setAcceptCalls', event(1, mainFrame), { acceptCalls: 'yes' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(handled).toEqual([['session:state', undefined]]);
  });
});

describe('preload', () => {
  it('exposes exactly invoke and on, limited to the contract, never the raw IPC event', async () => {
    Object.assign(globalThis, { __ASGARD_REQUEST_NAMES__: REQUEST_NAMES, __ASGARD_EVENT_NAMES__: EVENT_NAMES });
    await import('../../src-preload/preload');
    const api = fake.exposed.asgard as { invoke: (n: unknown, a?: unknown) => Promise<unknown>; on: (n: unknown, l: unknown) => () => void };
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    expect(Object.isFrozen(api)).toBe(true);

    expect(await api.invoke('session:state')).toEqual({ loggedIn: false });
    await expect(api.invoke('calls:list', {})).rejects.toEqual({ code: 'x', message: 'Ошибка' });
    await expect(api.invoke('evil:thing', {})).rejects.toMatchObject({ code: 'unknown-request' });
    expect(fake.state.invoked.map(([n]) => n)).toEqual(['session:state', 'calls:list']);

    expect(() => api.on('not-an-event', () => {})).toThrow();
    const got: unknown[][] = [];
    const off = api.on('popup', (...a: unknown[]) => got.push(a));
    await new Promise((r) => setTimeout(r, 5));
    expect(fake.state.sent).toEqual(['asgard:ready']);
    const deliver = fake.rendererListeners.get('asgard:event')!;
    deliver({ sender: 'IpcRendererEvent' }, 'popup', { callId: 1 });
    deliver({ sender: 'IpcRendererEvent' }, 'session', { x: 1 });
    expect(got).toEqual([[{ callId: 1 }]]);
    off();
    deliver({}, 'popup', { callId: 2 });
    expect(got).toHaveLength(1);
  });
});
