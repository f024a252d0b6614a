/**
 * The Electron glue for settings and updates, with `electron` and `electron-updater` faked
 * (Electron's binary cannot be downloaded here): the popup window goes to the corner the
 * settings name and may ring without a user gesture; start at login reaches autostart only in
 * an installed app; electron-updater gets a generic feed and its events reach the core.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { PopupOptionsSchema, SettingsSchema, type PopupOptions, type Settings } from '../../src-main/core/settings';
import { popupBounds } from '../../src-main/core/popups';
import type { UpdaterEvent } from '../../src-main/core/updater';
import { makeCall } from './fixtures';

const fake = vi.hoisted(() => ({ windows: [] as unknown[] }));

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  class FakeWebContents extends EventEmitter {
    static next = 1;
    id = FakeWebContents.next++;
    isLoading = () => false;
    isDestroyed = () => false;
    send() {}
    executeJavaScript = async () => {};
  }
  class BrowserWindow extends EventEmitter {
    webContents = new FakeWebContents();
    bounds: unknown = null;
    shown = 0;
    constructor(readonly opts: Record<string, unknown>) {
      super();
      fake.windows.push(this);
    }
    setAlwaysOnTop() {}
    setVisibleOnAllWorkspaces() {}
    loadURL = async () => {};
    isDestroyed = () => false;
    setBounds(b: unknown) {
      this.bounds = b;
    }
    showInactive() {
      this.shown++;
    }
    hide() {}
    moveTop() {}
    destroy() {}
  }
  const display = (x: number) => ({ workArea: { x, y: 0, width: 1920, height: 1040 } });
  return {
    app: { isPackaged: true, on: () => {} },
    BrowserWindow,
    screen: {
      getPrimaryDisplay: () => display(0),
      getCursorScreenPoint: () => ({ x: 2500, y: 10 }),
      getDisplayNearestPoint: () => display(1920),
    },
  };
});

describe('popup window placement', () => {
  it('popupBounds puts the stack in each corner of the work area, margin in', () => {
    const wa = { x: 100, y: 50, width: 1000, height: 800 };
    const size = { width: 380, height: 210 };
    expect(popupBounds(wa, 'bottom-right', size, 12)).toEqual({ x: 708, y: 628, width: 380, height: 210 });
    expect(popupBounds(wa, 'top-right', size, 12)).toEqual({ x: 708, y: 62, width: 380, height: 210 });
    expect(popupBounds(wa, 'bottom-left', size, 12)).toEqual({ x: 112, y: 628, width: 380, height: 210 });
    expect(popupBounds(wa, 'top-left', size, 12)).toEqual({ x: 112, y: 62, width: 380, height: 210 });
    // Never larger than the screen.
    expect(popupBounds({ x: 0, y: 0, width: 300, height: 100 }, 'top-left', size, 0)).toEqual({ x: 0, y: 0, width: 300, height: 100 });
  });

  it('the real PopupWindow follows the corner setting, moves when it changes, and may play sound unprompted', async () => {
    const { PopupWindow } = await import('../../src-main/electron/popup-window');
    const { WindowRegistry } = await import('../../src-main/electron/window-registry');
    let options: PopupOptions = PopupOptionsSchema.parse({ position: 'top-left' });
    const popup = new PopupWindow({ preload: '/p.cjs', registry: new WindowRegistry(), options: () => options, openInMain: () => {} });
    popup.apply({ callId: 1, open: true, call: makeCall(1), contact: null, recentCalls: [], recentMails: [] });
    const win = fake.windows.at(-1) as { bounds: unknown; shown: number; opts: { webPreferences: Record<string, unknown> } };
    expect(win.opts.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, autoplayPolicy: 'no-user-gesture-required' });
    // The cursor is on the second screen (x from 1920): top-left of that one.
    expect(win.bounds).toEqual({ x: 1932, y: 12, width: 380, height: 210 });
    expect(win.shown).toBe(1);

    options = { ...options, position: 'bottom-right', display: 'primary' };
    popup.relayout();
    expect(win.bounds).toEqual({ x: 1920 - 380 - 12, y: 1040 - 210 - 12, width: 380, height: 210 });
  });
});

describe('start at login follows the settings', () => {
  function fakeCore(initial: Partial<Settings> = {}) {
    const listeners = new Set<(s: Settings) => void>();
    let current = SettingsSchema.parse(initial);
    return {
      getSettings: () => current,
      onShell: (_e: 'settings', l: (s: Settings) => void) => (listeners.add(l), () => listeners.delete(l)),
      change(patch: Partial<Settings>) {
        current = { ...current, ...patch };
        listeners.forEach((l) => l(current));
      },
    };
  }

  it('installed app: applied at start and on every change (page or tray), not on unrelated changes', async () => {
    const { followShellSettings } = await import('../../src-main/electron/shell-settings');
    const core = fakeCore({ startAtLogin: true });
    const calls: boolean[] = [];
    let relayouts = 0;
    followShellSettings({ core: core as never, setStartAtLogin: (on) => calls.push(on), isPackaged: true, relayoutPopup: () => relayouts++, log: { warn() {}, info() {} } });
    expect(calls).toEqual([true]);
    core.change({ startAtLogin: false });
    core.change({ updateUrl: 'https://u.example.ru/' });
    core.change({ popup: { ...core.getSettings().popup, position: 'top-right' } });
    expect(calls).toEqual([true, false]);
    expect(relayouts).toBe(1);
  });

  it('development run: never registers the bare electron binary; a failing OS call is only logged', async () => {
    const { followShellSettings } = await import('../../src-main/electron/shell-settings');
    const dev = fakeCore();
    const calls: boolean[] = [];
    followShellSettings({ core: dev as never, setStartAtLogin: (on) => calls.push(on), isPackaged: false, relayoutPopup: () => {}, log: { warn() {}, info() {} } });
    dev.change({ startAtLogin: true });
    expect(calls).toEqual([]);

    const broken = fakeCore();
    const warned: string[] = [];
    followShellSettings({
      core: broken as never,
      setStartAtLogin: () => {
        throw new Error('no permission');
      },
      isPackaged: true,
      relayoutPopup: () => {},
      log: { warn: (m) => warned.push(m), info() {} },
    });
    broken.change({ startAtLogin: true });
    expect(warned).toEqual(['start at login failed', 'start at login failed']);
  });
});

describe('electron-updater port', () => {
  it('generic feed at the settings URL; events mapped; install restarts the app', async () => {
    const { electronUpdaterPort } = await import('../../src-main/electron/updater');
    const updater = Object.assign(new EventEmitter(), {
      feeds: [] as unknown[],
      checks: 0,
      installed: [] as unknown[],
      setFeedURL(o: unknown) {
        this.feeds.push(o);
      },
      async checkForUpdates() {
        this.checks++;
        return null;
      },
      quitAndInstall(...a: unknown[]) {
        this.installed.push(a);
      },
    });
    const port = electronUpdaterPort({ info() {}, warn() {}, error() {} }, updater as never);
    expect(updater).toMatchObject({ autoDownload: true, autoInstallOnAppQuit: true, allowDowngrade: false });
    port.setFeedUrl('https://u.example.ru/phone/');
    expect(updater.feeds).toEqual([{ provider: 'generic', url: 'https://u.example.ru/phone/' }]);
    await port.check();
    expect(updater.checks).toBe(1);

    const got: UpdaterEvent[] = [];
    const off = port.onEvent((e) => got.push(e));
    updater.emit('checking-for-update');
    updater.emit('update-available', { version: '0.2.0' });
    updater.emit('download-progress', { percent: 50 });
    updater.emit('update-downloaded', { version: '0.2.0' });
    updater.emit('update-not-available', { version: '0.1.0' });
    updater.emit('error', new Error('boom'));
    expect(got).toEqual([
      { type: 'checking' },
      { type: 'available', version: '0.2.0' },
      { type: 'progress', percent: 50 },
      { type: 'downloaded', version: '0.2.0' },
      { type: 'not-available' },
      { type: 'error', message: 'boom' },
    ]);
    off();
    expect(updater.listenerCount('update-available')).toBe(0);
    port.quitAndInstall();
    expect(updater.installed).toEqual([[false, true]]);
  });
});
