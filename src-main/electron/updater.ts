/**
 * electron-updater behind the core's UpdaterPort: a generic-provider feed at the URL from the
 * settings (src-main/core/updater.ts decides when to check and what the UI shows). Downloads
 * start on their own once an update is found; installing waits for the user's
 * "Перезапустить и обновить" (or happens at the next quit).
 */
import { autoUpdater, type AppUpdater } from 'electron-updater';
import type { Logger } from '../core/log';
import type { UpdaterEvent, UpdaterPort } from '../core/updater';

export function electronUpdaterPort(log: Logger, updater: AppUpdater = autoUpdater): UpdaterPort {
  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = true;
  updater.allowPrerelease = false;
  updater.allowDowngrade = false;
  updater.logger = {
    info: (m?: unknown) => log.info(`updater: ${String(m)}`),
    warn: (m?: unknown) => log.warn(`updater: ${String(m)}`),
    error: (m?: unknown) => log.error(`updater: ${String(m)}`),
    debug: () => {},
  };
  return {
    setFeedUrl: (url) => updater.setFeedURL({ provider: 'generic', url }),
    check: async () => {
      await updater.checkForUpdates();
    },
    // Not silent (the NSIS progress shows), and the app starts again afterwards.
    quitAndInstall: () => updater.quitAndInstall(false, true),
    onEvent: (listener: (e: UpdaterEvent) => void) => {
      const handlers = {
        'checking-for-update': () => listener({ type: 'checking' }),
        'update-available': (info: { version: string }) => listener({ type: 'available', version: info.version }),
        'update-not-available': () => listener({ type: 'not-available' }),
        'download-progress': (p: { percent: number }) => listener({ type: 'progress', percent: p.percent }),
        'update-downloaded': (info: { version: string }) => listener({ type: 'downloaded', version: info.version }),
        error: (err: Error) => listener({ type: 'error', message: err?.message ?? String(err) }),
      };
      for (const [name, h] of Object.entries(handlers)) updater.on(name as 'error', h as never);
      return () => {
        for (const [name, h] of Object.entries(handlers)) updater.off(name as 'error', h as never);
      };
    },
  };
}
