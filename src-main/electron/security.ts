/**
 * Deny-by-default hardening for every webContents the app ever creates: no navigation away,
 * no <webview>, no new windows (links go to the OS browser after parsing), no permissions.
 */
import { app, session, shell, type WebPreferences } from 'electron';
import { safeExternalUrl } from '../core/external-url';
import { isOwnBlobUrl, isOwnFrameUrl } from '../core/ipc-guard';

export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    devTools: !app.isPackaged,
  };
}

export function openExternalSafely(raw: string): void {
  const url = safeExternalUrl(raw);
  if (url) void shell.openExternal(url).catch(() => {});
}

export function hardenApp(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (e, url) => {
      // In-app routing is by hash (no navigation event); anything else is a link to open outside.
      if (!isOwnFrameUrl(url)) openExternalSafely(url);
      e.preventDefault();
    });
    contents.on('will-redirect', (e) => e.preventDefault());
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openExternalSafely(url);
      return { action: 'deny' };
    });
  });
}

/** Must run after `app.ready`. */
export function denyPermissions(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.setDevicePermissionHandler(() => false);
  s.setDisplayMediaRequestHandler((_req, callback) => callback({}));
  // Downloads only of files our own page built (a blob: of app://asgard: «Выгрузить в CSV», a
  // saved attachment), with Electron's save dialog; anything else (a link in a mail) is refused.
  s.on('will-download', (e, item) => {
    if (!isOwnBlobUrl(item.getURL())) e.preventDefault();
  });
}
