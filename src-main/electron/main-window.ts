/**
 * The main window. Closing it does not quit (the app lives in the tray); it is destroyed to
 * give its memory back and recreated on demand, which takes a fraction of a second.
 */
import { BrowserWindow } from 'electron';
import type { Attention } from '../../src-shared/ipc/app';
import { APP_ORIGIN } from '../core/ipc-guard';
import { attentionBadge } from './tray-icon';
import { secureWebPreferences } from './security';
import type { WindowRegistry } from './window-registry';

export class MainWindow {
  private win: BrowserWindow | null = null;
  private attention: { count: number; label: string } = { count: 0, label: '' };

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

  /** Windows' taskbar overlay: a red dot while missed calls or unread mail wait (kept across re-creation). */
  setAttention(a: Attention, label: string): void {
    this.attention = { count: a.missedCalls + a.unreadMail, label };
    if (this.win && !this.win.isDestroyed()) this.applyAttention(this.win);
  }

  private applyAttention(win: BrowserWindow): void {
    if (process.platform !== 'win32') return;
    win.setOverlayIcon(this.attention.count ? attentionBadge() : null, this.attention.label);
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
    win.once('ready-to-show', () => this.applyAttention(win));
    void win.loadURL(`${APP_ORIGIN}/index.html${hash ?? '#/'}`);
    this.win = win;
  }
}
