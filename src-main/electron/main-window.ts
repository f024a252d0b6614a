/**
 * The main window. Closing it does not quit (the app lives in the tray); it is destroyed to
 * give its memory back and recreated on demand, which takes a fraction of a second.
 */
import { BrowserWindow } from 'electron';
import { APP_ORIGIN } from '../core/ipc-guard';
import { secureWebPreferences } from './security';
import type { WindowRegistry } from './window-registry';

export class MainWindow {
  private win: BrowserWindow | null = null;

  constructor(
    private readonly o: { preload: string; registry: WindowRegistry; title: string },
  ) {}

  /** Shows (creating if needed) and focuses the main window, optionally at a route like '#/calls'. */
  show(hash?: string): void {
    if (!this.win || this.win.isDestroyed()) this.create(hash);
    else if (hash) void this.win.webContents.executeJavaScript(`location.hash = ${JSON.stringify(hash)}`).catch(() => {});
    const w = this.win!;
    if (w.isMinimized()) w.restore();
    if (w.isVisible()) w.focus();
    else w.once('ready-to-show', () => w.show());
  }

  get window(): BrowserWindow | null {
    return this.win && !this.win.isDestroyed() ? this.win : null;
  }

  private create(hash?: string): void {
    const win = new BrowserWindow({
      width: 1100,
      height: 740,
      minWidth: 760,
      minHeight: 520,
      show: false,
      title: this.o.title,
      autoHideMenuBar: true,
      backgroundColor: '#f5f6f8',
      webPreferences: secureWebPreferences(this.o.preload),
    });
    this.o.registry.add(win, 'main');
    win.on('closed', () => {
      if (this.win === win) this.win = null;
    });
    void win.loadURL(`${APP_ORIGIN}/index.html${hash ?? '#/'}`);
    this.win = win;
  }
}
