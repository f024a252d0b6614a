/**
 * Start at login into the tray (`--hidden`). Windows and macOS through Electron's login-item
 * settings; Linux through an XDG autostart .desktop file, which Electron does not manage.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { app } from 'electron';

export const HIDDEN_ARG = '--hidden';
const DESKTOP_FILE = 'asgard-phone.desktop';

export function setStartAtLogin(enabled: boolean): void {
  if (process.platform === 'linux') return setLinuxAutostart(enabled);
  app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
}

function setLinuxAutostart(enabled: boolean): void {
  const dir = path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'autostart');
  const file = path.join(dir, DESKTOP_FILE);
  if (!enabled) {
    fs.rmSync(file, { force: true });
    return;
  }
  // An AppImage moves with the user: its own path, not the mounted one, is what must start.
  const exec = process.env.APPIMAGE || process.execPath;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    file,
    [
      '[Desktop Entry]',
      'Type=Application',
      `Name=${app.getName()}`,
      `Exec="${exec.replace(/"/g, '\\"')}" ${HIDDEN_ARG}`,
      'X-GNOME-Autostart-enabled=true',
      'Terminal=false',
      '',
    ].join('\n'),
  );
}

export function startedHidden(argv: readonly string[] = process.argv): boolean {
  return argv.includes(HIDDEN_ARG) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAsHidden);
}
