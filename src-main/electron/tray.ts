/**
 * The tray icon: connection state at a glance, the "Приём звонков" toggle, popup options,
 * start at login, and the only way to quit (closing the window keeps the app running).
 */
import { Menu, Tray, type MenuItemConstructorOptions } from 'electron';
import type { ConnectionState, SessionState } from '../../src-shared/ipc/telephony';
import type { Attention } from '../../src-shared/ipc/app';
import { missedCallersLabel, UNREAD_LETTERS, withPlural } from '../../src-shared/plural';
import type { AppCore } from '../core/app-core';
import type { PopupOptions } from '../core/settings';
import { trayIcon, type TrayTone } from './tray-icon';

export interface TrayDeps {
  core: AppCore;
  title: string;
  /** Opens the main window, optionally at a route such as '#/mail'. */
  showMain: (hash?: string) => void;
  quit: () => void;
  onError: (message: string) => void;
}

export function connectionLabel(c: ConnectionState): string {
  switch (c.state) {
    case 'connected':
      return 'Подключено';
    case 'connecting':
      return 'Подключение…';
    case 'reconnecting':
      return `Нет связи, повтор через ${c.retryInSec} с`;
    case 'logged-out':
      return c.reason ? `Не выполнен вход: ${c.reason}` : 'Не выполнен вход';
  }
}

/** «Перезвонить 3 абонентам · 12 непрочитанных писем», or '' when nothing waits. */
export function attentionLabel(a: Attention): string {
  const parts: string[] = [];
  if (a.missedCalls) parts.push(missedCallersLabel(a.missedCalls));
  if (a.unreadMail) parts.push(withPlural(a.unreadMail, UNREAD_LETTERS));
  return parts.join(' · ');
}

function tone(c: ConnectionState): TrayTone {
  return c.state === 'connected' ? 'connected' : c.state === 'logged-out' ? 'logged-out' : 'reconnecting';
}

export class AppTray {
  private readonly tray: Tray;
  private connection: ConnectionState = { state: 'logged-out' };
  private session: SessionState | null = null;
  private attention: Attention = { missedCalls: 0, unreadMail: 0 };
  private readonly offs: (() => void)[] = [];

  constructor(private readonly d: TrayDeps) {
    this.tray = new Tray(trayIcon('logged-out'));
    this.tray.on('click', () => d.showMain());
    this.offs.push(
      d.core.on('connection', (c) => {
        this.connection = c;
        this.render();
      }),
      d.core.on('session', (s) => {
        this.session = s;
        this.render();
      }),
      d.core.onShell('settings', () => this.render()),
      d.core.onShell('attention', (a) => {
        this.attention = a;
        this.render();
      }),
    );
    void d.core.api.invoke('app:attention', undefined).then((a) => {
      this.attention = a;
      this.render();
    });
    void Promise.all([d.core.api.invoke('connection:state', undefined), d.core.api.invoke('session:state', undefined)]).then(
      ([c, s]) => {
        this.connection = c;
        this.session = s;
        this.render();
      },
    );
    this.render();
  }

  private render(): void {
    const { core } = this.d;
    const settings = core.getSettings();
    const me = this.session?.loggedIn ? this.session.me : null;
    const popupWhen = (when: PopupOptions['when'], label: string): MenuItemConstructorOptions => ({
      label,
      type: 'radio',
      checked: settings.popup.when === when,
      click: () => core.updateSettings({ popup: { when } }),
    });
    const menu = Menu.buildFromTemplate([
      { label: connectionLabel(this.connection), enabled: false },
      ...(me ? [{ label: me.name, enabled: false }] : []),
      ...(this.attention.missedCalls ? [{ label: missedCallersLabel(this.attention.missedCalls), click: () => this.d.showMain('#/') }] : []),
      ...(this.attention.unreadMail ? [{ label: `Непрочитанные письма: ${this.attention.unreadMail}`, click: () => this.d.showMain('#/mail') }] : []),
      { type: 'separator' },
      {
        label: 'Приём звонков',
        type: 'checkbox',
        enabled: !!me,
        checked: !!me?.acceptCalls,
        click: (item) => {
          core.api.invoke('me:setAcceptCalls', { acceptCalls: item.checked }).catch((e: { message?: string }) => {
            this.d.onError(e.message ?? 'Не удалось переключить приём звонков');
            this.render();
          });
        },
      },
      { label: 'Открыть', click: () => this.d.showMain() },
      { type: 'separator' },
      {
        label: 'Всплывающее окно',
        submenu: [
          popupWhen('ring', 'При звонке'),
          popupWhen('answer', 'Когда я ответил'),
          popupWhen('never', 'Не показывать'),
          { type: 'separator' },
          {
            label: 'На экране с курсором',
            type: 'checkbox',
            checked: settings.popup.display === 'cursor',
            click: (item) => core.updateSettings({ popup: { display: item.checked ? 'cursor' : 'primary' } }),
          },
          {
            label: 'Уведомления Windows/системы',
            type: 'checkbox',
            checked: settings.popup.notification,
            click: (item) => core.updateSettings({ popup: { notification: item.checked } }),
          },
        ],
      },
      {
        label: 'Запускать при входе в систему',
        type: 'checkbox',
        checked: settings.startAtLogin,
        // The shell applies it to the OS when the settings change (src-main/electron/main.ts).
        click: (item) => core.updateSettings({ startAtLogin: item.checked }),
      },
      { type: 'separator' },
      { label: 'Выход', click: () => this.d.quit() },
    ]);
    this.tray.setContextMenu(menu);
    this.tray.setImage(trayIcon(tone(this.connection)));
    const waiting = attentionLabel(this.attention);
    this.tray.setToolTip(`${this.d.title} — ${connectionLabel(this.connection)}${waiting ? `\n${waiting}` : ''}`);
  }

  destroy(): void {
    for (const off of this.offs) off();
    this.tray.destroy();
  }
}
