/**
 * Electron entry (bundled to dist/main/main.cjs). Thin glue around the app core: windows,
 * tray, popups, notifications, IPC. Everything the app does lives in src-main/core.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, Menu, powerMonitor, shell } from 'electron';
import { createAppCore, type AppCore } from '../core/app-core';
import { consoleLogger } from '../core/log';
import { KeyFileSecretBox } from '../core/secrets/key-file-secret-box';
import type { SecretBox } from '../core/secrets/secret-box';
import { registerAppScheme, serveAppScheme } from './protocol';
import { denyPermissions, hardenApp, openExternalSafely } from './security';
import { createMailFactory } from '../core/mail-adapter';
import { SafeStorageSecretBox } from './safe-storage-box';
import { WindowRegistry } from './window-registry';
import { registerIpc } from './ipc';
import { MainWindow } from './main-window';
import { PopupWindow } from './popup-window';
import { AppTray, attentionLabel } from './tray';
import { CallNotifications, MailNotifications } from './notifications';
import { setStartAtLogin, startedHidden } from './autostart';
import { followShellSettings } from './shell-settings';
import { electronUpdaterPort } from './updater';

const APP_ID = 'ru.asgard.phone';
const TITLE = 'АСГАРД Телефония';
const log = consoleLogger;

// Before `ready`: the scheme's privileges, the sandbox for every renderer, one instance only.
registerAppScheme();
app.enableSandbox();
if (process.platform === 'win32') app.setAppUserModelId(APP_ID);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  hardenApp();
  let core: AppCore | null = null;
  let mainWindow: MainWindow | null = null;
  // Held for the app's lifetime: an unreferenced Tray is garbage-collected and its icon vanishes.
  let tray: AppTray | null = null;

  app.on('second-instance', () => mainWindow?.show());
  app.on('activate', () => mainWindow?.show());
  // Closing every window keeps the app in the tray; only the tray's "Выход" quits.
  app.on('window-all-closed', () => {});
  app.on('will-quit', (e) => {
    if (!core) return;
    e.preventDefault();
    const c = core;
    core = null;
    void c.close().finally(() => app.quit());
  });

  app.whenReady().then(async () => {
    denyPermissions();
    if (process.platform !== 'darwin') Menu.setApplicationMenu(null);

    const appRoot = app.getAppPath();
    const preload = path.join(appRoot, 'dist', 'preload', 'preload.cjs');
    const rendererDir = path.join(appRoot, 'dist', 'renderer');
    const userDataDir = app.getPath('userData');

    const c = await createAppCore({
      userDataDir,
      secretBox: pickSecretBox(userDataDir),
      relayUrl: process.env.RELAY_URL || process.env.ASGARD_RELAY_URL || undefined,
      mailFactory: createMailFactory({
        openExternal: openExternalSafely,
        openPath: async (p) => {
          const err = await shell.openPath(p);
          if (err) throw new Error(err);
        },
      }),
      log,
      shellInfo: {
        shell: 'electron',
        electron: process.versions.electron ?? null,
        chromium: process.versions.chrome ?? null,
        buildDate: bundleDate(),
      },
      // electron-updater only works in an installed app (it reads app-update.yml from it).
      updater: app.isPackaged ? electronUpdaterPort(log) : null,
      updaterUnavailableReason: 'Обновления работают только в установленном приложении (это запуск для разработки)',
    });
    core = c;
    serveAppScheme(rendererDir, c);

    const registry = new WindowRegistry();
    registerIpc(c, registry);
    const main = new MainWindow({ preload, registry, title: TITLE });
    mainWindow = main;
    const popup = new PopupWindow({ preload, registry, options: () => c.getSettings().popup, openInMain: (hash) => main.show(hash) });
    const notifications = new CallNotifications({
      enabled: () => c.getSettings().popup.notification,
      onClickPopup: () => popup.reveal(),
      onClickMissed: () => main.show('#/'),
    });
    c.on('popup', (p) => {
      popup.apply(p);
      notifications.onPopup(p);
    });
    c.onShell('missed-reminder', ({ calls }) => notifications.onMissedReminder(calls));
    // Told in the window too; natively when the main window is not in front (the popup's
    // «Перезвонить» was pressed with it in the tray, say).
    c.on('feed', (item) => {
      if (item.news && item.payload.kind === 'command-failed' && !main.window?.isFocused()) notifications.onCommandFailed(item.payload.command, () => main.show('#/'));
    });
    c.onShell('popup-layout', ({ height }) => popup.setContentHeight(height));
    const mailNotifications = new MailNotifications({ enabled: () => c.getSettings().mailNotifications, open: (route) => main.show(route) });
    c.on('mail:new', ({ accountId, messages }) => mailNotifications.onNewMail(accountId, messages));
    c.on('mail:sendNotice', (n) => {
      if (!main.window?.isFocused()) mailNotifications.onSendNotice(n);
    });
    // What waits for the user: a count on the dock / Unity launcher, a dot on Windows' taskbar.
    c.onShell('attention', (a) => {
      app.setBadgeCount(a.missedCalls + a.unreadMail);
      main.setAttention(a, attentionLabel(a));
    });

    tray = new AppTray({
      core: c,
      title: TITLE,
      showMain: (hash) => main.show(hash),
      quit: () => app.quit(),
      onError: (message) => dialog.showErrorBox(TITLE, message),
    });

    // Start at login and the popup corner follow the settings, from the page or the tray.
    followShellSettings({ core: c, setStartAtLogin, isPackaged: app.isPackaged, relayoutPopup: () => popup.relayout(), log });

    // After sleep the socket is usually dead without knowing it: reconnect now, keep lastId.
    powerMonitor.on('resume', () => c.resume());
    powerMonitor.on('unlock-screen', () => c.resume());

    if (!startedHidden()) main.show();
  }).catch((e: unknown) => {
    log.error('start failed', e);
    dialog.showErrorBox(TITLE, `Приложение не запустилось: ${e instanceof Error ? e.message : String(e)}`);
    app.exit(1);
  });
  app.on('quit', () => tray?.destroy());
}

/** When this build was made: the main bundle's modification time (null if unreadable). */
function bundleDate(): string | null {
  try {
    return fs.statSync(fileURLToPath(import.meta.url)).mtime.toISOString();
  } catch {
    return null;
  }
}

function pickSecretBox(userDataDir: string): SecretBox {
  const safe = new SafeStorageSecretBox();
  if (safe.isAvailable()) return safe;
  // No OS keyring (e.g. a bare Linux session): an owner-only key file beats a hard-coded key.
  log.warn('safeStorage unavailable: using an owner-only key file for secrets');
  return new KeyFileSecretBox(userDataDir);
}
