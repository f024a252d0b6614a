/**
 * What the Electron shell does when the app's settings change, wherever they changed (the
 * settings page, the tray): start at login goes to the OS (autostart.ts), the popup window
 * moves to its new corner. No `electron` import: main.ts passes the real functions in.
 */
import type { AppCore } from '../core/app-core';
import type { Logger } from '../core/log';
import type { Settings } from '../core/settings';

export interface ShellSettingsDeps {
  core: Pick<AppCore, 'getSettings' | 'onShell'>;
  /** autostart.ts's setStartAtLogin. */
  setStartAtLogin: (on: boolean) => void;
  /** A development run never registers the bare electron binary at login. */
  isPackaged: boolean;
  relayoutPopup: () => void;
  log: Pick<Logger, 'warn' | 'info'>;
}

export function followShellSettings(d: ShellSettingsDeps): () => void {
  const apply = (on: boolean) => {
    if (!d.isPackaged) return d.log.info(`start at login ${on ? 'on' : 'off'} not applied: development run`);
    try {
      d.setStartAtLogin(on);
    } catch (e) {
      d.log.warn('start at login failed', e);
    }
  };
  let prev: Settings = d.core.getSettings();
  // The OS entry follows the setting at every start (an update may have moved the executable).
  apply(prev.startAtLogin);
  return d.core.onShell('settings', (next) => {
    if (next.startAtLogin !== prev.startAtLogin) apply(next.startAtLogin);
    if (next.popup.position !== prev.popup.position || next.popup.display !== prev.popup.display) d.relayoutPopup();
    prev = next;
  });
}
