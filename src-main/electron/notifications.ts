/** Native notifications: a ringing call, a missed one, missed-call reminders, new mail. */
import { Notification } from 'electron';
import { mailNotice } from '../../src-shared/mail-notice';
import type { MailSendNotice, MailSummary } from '../../src-shared/ipc/mail';
import type { CallPopup } from '../../src-shared/ipc/telephony';
import type { Call, CommandFailure } from '../../src-shared/wire';
import { formatPhone } from '../../src-shared/phone';
import { commandFailureTitle } from '../../src-shared/command-notice';

function caller(call: Call, contactName?: string | null, company?: string | null): string {
  const number = formatPhone(call.clientNumber ?? call.from.number) || 'Неизвестный номер';
  const who = [contactName, company].filter(Boolean).join(', ');
  return who ? `${who}\n${number}` : number;
}

export class CallNotifications {
  private readonly shown = new Set<number>();

  constructor(private readonly o: { enabled: () => boolean; onClickPopup: () => void; onClickMissed: () => void }) {}

  onPopup(p: CallPopup): void {
    if (!Notification.isSupported() || !this.o.enabled()) return;
    if (p.open && !this.shown.has(p.callId)) {
      this.shown.add(p.callId);
      if (this.shown.size > 200) this.shown.delete(this.shown.values().next().value as number);
      this.show(
        p.call.direction === 'out' ? 'Исходящий звонок' : 'Входящий звонок',
        caller(p.call, p.contact?.name, p.contact?.company),
        this.o.onClickPopup,
      );
    } else if (!p.open && p.call.status === 'missed' && p.call.direction === 'in') {
      this.show('Пропущенный звонок', caller(p.call, p.contact?.name, p.contact?.company), this.o.onClickMissed);
    }
  }

  onMissedReminder(calls: Call[]): void {
    if (!Notification.isSupported() || !this.o.enabled() || !calls.length) return;
    const list = calls.slice(0, 3).map((c) => formatPhone(c.clientNumber ?? c.from.number)).join(', ');
    this.show(`Пропущенные звонки: ${calls.length}`, `Перезвоните: ${list}${calls.length > 3 ? '…' : ''}`, this.o.onClickMissed);
  }

  /**
   * Mango reported a command failed after accepting it (a click-to-call the billing forbids, a
   * transfer of a call that ended): the app's window says it too, but it may be hidden in the tray.
   */
  onCommandFailed(f: CommandFailure, onClick: () => void): void {
    if (!Notification.isSupported()) return;
    this.show(commandFailureTitle(f), f.reason, onClick);
  }

  private show(title: string, body: string, onClick: () => void): void {
    const n = new Notification({ title, body, silent: false });
    n.on('click', onClick);
    n.show();
  }
}

/** New inbox mail (the core's 'mail:new'), when the setting allows; a click opens it. */
export class MailNotifications {
  /** The last notice per account: a newer one replaces it instead of stacking up. */
  private readonly current = new Map<number, Notification>();

  constructor(private readonly o: { enabled: () => boolean; open: (route: string) => void }) {}

  onNewMail(accountId: number, messages: MailSummary[]): void {
    if (!Notification.isSupported() || !this.o.enabled()) return;
    const notice = mailNotice(accountId, messages);
    if (!notice) return;
    this.current.get(accountId)?.close();
    const n = new Notification({ title: notice.title, body: notice.body, silent: false });
    n.on('click', () => this.o.open(notice.route));
    n.on('close', () => this.current.get(accountId) === n && this.current.delete(accountId));
    this.current.set(accountId, n);
    n.show();
  }

  /**
   * A message failed to go out (first time only), or went out after failing: the window says it
   * too, but it may be in the tray. Not behind the new-mail setting: it is about the user's own mail.
   */
  onSendNotice(n: MailSendNotice): void {
    if (!Notification.isSupported()) return;
    const subject = n.item.subject.trim() || '(без темы)';
    const title = n.kind === 'failed' ? 'Письмо не отправлено' : 'Письмо отправлено';
    const body =
      n.kind === 'failed'
        ? `«${subject}»: ${n.reason ?? ''} ${n.willRetry ? 'Отправим автоматически.' : 'Откройте «Исходящие».'}`.replace(/\s+/g, ' ').trim()
        : `«${subject}» отправлено после неудачной попытки.`;
    const note = new Notification({ title, body, silent: false });
    note.on('click', () => this.o.open('#/mail/outbox'));
    note.show();
  }
}
