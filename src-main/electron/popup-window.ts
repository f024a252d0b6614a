/**
 * The call popup: one frameless, always-on-top window in the corner the settings name
 * (bottom-right by default) of the screen with the mouse cursor (or the primary one), showing every open popup stacked (the renderer's
 * `#/popup` view). Shown without taking focus, resized as calls come and go, hidden when the
 * last call ends. Kept alive hidden after first use so the next call appears at once.
 */
import { BrowserWindow, screen, type Display } from 'electron';
import type { CallPopup } from '../../src-shared/ipc/telephony';
import { APP_ORIGIN } from '../core/ipc-guard';
import { popupBounds } from '../core/popups';
import type { PopupOptions } from '../core/settings';
import { secureWebPreferences } from './security';
import type { WindowRegistry } from './window-registry';

const WIDTH = 380;
const CARD_HEIGHT = 210;
const MAX_CARDS = 3;
const MARGIN = 12;

export class PopupWindow {
  private win: BrowserWindow | null = null;
  private readonly open = new Map<number, CallPopup>();
  private display: Display | null = null;
  /** What the page last measured (popups:layout); until then, a card's height per call. */
  private contentHeight: number | null = null;

  constructor(
    private readonly o: {
      preload: string;
      registry: WindowRegistry;
      options: () => PopupOptions;
      /** The popup's "open card" links: shown in the main window, not in the small popup. */
      openInMain: (hash: string) => void;
    },
  ) {}

  /** Feed every contract `popup` event here. */
  apply(p: CallPopup): void {
    const had = this.open.size;
    if (p.open) this.open.set(p.callId, p);
    else this.open.delete(p.callId);
    if (this.open.size === 0) return this.hide();
    if (had === 0) this.display = null; // a new stack: on the screen the user is at now
    this.layoutAndShow();
  }

  /** The settings changed (corner, screen): move an open stack at once. */
  relayout(): void {
    if (!this.open.size || !this.win || this.win.isDestroyed()) return;
    this.display = null;
    this.layoutAndShow();
  }

  /** The page's content height: a card grew (a comment, the transfer form) or shrank. */
  setContentHeight(height: number): void {
    this.contentHeight = height;
    if (this.open.size && this.win && !this.win.isDestroyed()) this.layoutAndShow();
  }

  /** Brings the popup forward (a click on its notification). */
  reveal(): void {
    if (this.win && !this.win.isDestroyed() && this.open.size) {
      this.win.showInactive();
      this.win.moveTop();
    }
  }

  private ensureWindow(): BrowserWindow {
    if (this.win && !this.win.isDestroyed()) return this.win;
    const win = new BrowserWindow({
      width: WIDTH,
      height: CARD_HEIGHT,
      show: false,
      frame: false,
      resizable: false,
      movable: true,
      minimizable: false,
      maximizable: false,
      fullscreenable: false,
      skipTaskbar: true,
      alwaysOnTop: true,
      hasShadow: true,
      title: 'Звонок',
      backgroundColor: '#ffffff',
      // The ring tone plays before anyone touched this window: no user gesture will come.
      webPreferences: { ...secureWebPreferences(this.o.preload), autoplayPolicy: 'no-user-gesture-required' },
    });
    // Above ordinary always-on-top windows and full-screen apps, where the platform allows it.
    win.setAlwaysOnTop(true, 'pop-up-menu');
    if (process.platform === 'darwin') win.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true });
    this.o.registry.add(win, 'popup');
    win.on('closed', () => {
      if (this.win === win) this.win = null;
    });
    // The popup view routes like the main window does ("#/contacts/12"); such a route belongs
    // to the main window: open it there and put the popup back on its own view.
    win.webContents.on('did-navigate-in-page', (_e, url, isMainFrame) => {
      if (!isMainFrame) return;
      const hash = new URL(url).hash;
      if (!hash || hash.startsWith('#/popup')) return;
      this.o.openInMain(hash);
      void win.webContents.executeJavaScript(`location.replace('#/popup')`).catch(() => {});
    });
    void win.loadURL(`${APP_ORIGIN}/index.html#/popup`);
    this.win = win;
    return win;
  }

  private pickDisplay(): Display {
    if (this.o.options().display === 'primary') return screen.getPrimaryDisplay();
    return screen.getDisplayNearestPoint(screen.getCursorScreenPoint());
  }

  private layoutAndShow(): void {
    const win = this.ensureWindow();
    this.display ??= this.pickDisplay();
    // The page's measure, within the screen (the work area, so the window never runs off it: the
    // page scrolls beyond, newest card first); before it reports, a card's height per call.
    const height = Math.min(this.contentHeight ?? Math.min(this.open.size, MAX_CARDS) * CARD_HEIGHT, this.display.workArea.height - 2 * MARGIN);
    win.setBounds(popupBounds(this.display.workArea, this.o.options().position, { width: WIDTH, height }, MARGIN));
    const show = () => {
      if (!win.isDestroyed() && this.open.size) win.showInactive();
    };
    // The first time, wait for the page so no blank frame flashes up; then show at once.
    if (win.webContents.isLoading()) win.once('ready-to-show', show);
    else show();
  }

  private hide(): void {
    this.contentHeight = null;
    if (this.win && !this.win.isDestroyed()) this.win.hide();
  }

  destroy(): void {
    if (this.win && !this.win.isDestroyed()) this.win.destroy();
    this.win = null;
  }
}
