/** Native notifications next to the popup: a ringing call, a missed one, missed-call reminders. */
import { Notification } from 'electron';
import type { CallPopup } from '../../src-shared/ipc/telephony';
import type { Call } from '../../src-shared/wire';
import { formatPhone } from '../../src-shared/phone';

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

  private show(title: string, body: string, onClick: () => void): void {
    const n = new Notification({ title, body, silent: false });
    n.on('click', onClick);
    n.show();
  }
}
