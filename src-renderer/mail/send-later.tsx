/**
 * «Отправить позже» (the time picker under the compose form) and what follows «Отправить»: the
 * «Письмо отправляется… Отменить» toast for the undo window (its length is the core's setting,
 * told by the `sendAt` of the answer), then «Письмо отправлено» when the outbox reports it.
 */
import { useState } from 'react';
import { call, on, toAppError } from '../api';
import { formatTime, pad2, toDateInput } from '../format';
import { navigate } from '../router';
import { toast, useToasts } from '../stores/toasts';
import type { MailOutboxStatus } from '../../src-shared/ipc/mail';
import { M } from './strings';

/** «26.11 09:00» (with the year when it is not this one), local time. */
export function formatSendAt(d: string | number | Date, now: Date = new Date()): string {
  const x = new Date(d);
  const year = x.getFullYear() === now.getFullYear() ? '' : `.${x.getFullYear()}`;
  return `${pad2(x.getDate())}.${pad2(x.getMonth() + 1)}${year} ${formatTime(x)}`;
}

/** The value a `datetime-local` input takes for a time («2025-11-26T09:00»). */
export function toLocalInput(d: Date): string {
  return `${toDateInput(d)}T${formatTime(d)}`;
}

/** A `datetime-local` value as epoch ms, or the reason it cannot be used. */
export function parseSendAt(value: string, now = Date.now()): { at: number } | { error: string } {
  // Without a zone the string is read as local time, which is what the input shows.
  const at = value ? new Date(value).getTime() : NaN;
  if (!Number.isFinite(at)) return { error: M.composeForm.pickTime };
  if (at <= now) return { error: M.composeForm.pastTime };
  return { at };
}

/** The quick choices offered from `now`: only future ones, none twice. */
export function quickSendTimes(now: Date = new Date()): { label: string; at: number }[] {
  const at = (dayOffset: number, h: number) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + dayOffset, h, 0, 0, 0).getTime();
  const inHour = new Date(now.getTime() + 60 * 60_000);
  inHour.setSeconds(0, 0);
  const out: { label: string; at: number }[] = [{ label: M.composeForm.inHour, at: inHour.getTime() }];
  if (at(0, 18) - now.getTime() > 60 * 60_000) out.push({ label: M.composeForm.today18, at: at(0, 18) });
  out.push({ label: M.composeForm.tomorrow9, at: at(1, 9) }, { label: M.composeForm.tomorrow14, at: at(1, 14) });
  // Next Monday, unless that is tomorrow (already offered).
  const toMonday = ((8 - now.getDay()) % 7) || 7;
  if (toMonday > 1) out.push({ label: M.composeForm.monday9, at: at(toMonday, 9) });
  return out;
}

/** The picker: quick choices send at once; a typed time is checked first. */
export function SendLaterPanel({ disabled, onPick, onClose }: { disabled: boolean; onPick: (at: number) => void; onClose: () => void }) {
  const [value, setValue] = useState(() => toLocalInput(new Date(Date.now() + 60 * 60_000)));
  const [error, setError] = useState<string | null>(null);
  const pick = () => {
    const r = parseSendAt(value);
    if ('error' in r) setError(r.error);
    else onPick(r.at);
  };
  return (
    <div className="mail-send-later" role="group" aria-label={M.composeForm.sendLaterTitle} data-testid="send-later">
      <strong>{M.composeForm.sendLaterTitle}</strong>
      <div className="row-gap mail-send-later-quick">
        {quickSendTimes().map((q) => (
          <button type="button" key={q.label} className="btn btn-sm" disabled={disabled} onClick={() => onPick(q.at)} title={formatSendAt(q.at)}>
            {q.label}
          </button>
        ))}
      </div>
      <div className="row-gap">
        <input
          type="datetime-local"
          aria-label={M.composeForm.sendLaterAt}
          value={value}
          min={toLocalInput(new Date())}
          onChange={(e) => {
            setValue(e.target.value);
            setError(null);
          }}
          data-testid="send-later-at"
        />
        <button type="button" className="btn btn-sm btn-primary" disabled={disabled} onClick={pick} data-testid="send-later-schedule">
          {M.composeForm.schedule}
        </button>
        <button type="button" className="btn btn-sm btn-ghost" onClick={onClose}>
          {M.composeForm.cancel}
        </button>
      </div>
      {error ? <div className="error-text small" role="alert" data-testid="send-later-error">{error}</div> : null}
    </div>
  );
}

/** Takes a scheduled message back into the compose form (as a draft), or says it is too late. */
export async function cancelSend(outboxId: number): Promise<boolean> {
  try {
    const { draftId } = await call('mail:outbox:cancel', { id: outboxId });
    toast.info(M.composeForm.undone);
    navigate(`/mail/compose?draft=${draftId}`);
    return true;
  } catch (e) {
    toast.info(toAppError(e).message);
    return false;
  }
}

function announce(status: MailOutboxStatus, error: string | null): void {
  if (status === 'sent') toast.ok(M.composeForm.sent);
  // A failure is told by `mail:sendNotice` (send-notices.ts), once, with the way to the outbox.
  else if (status === 'failed') return;
  else toast.info(`${M.composeForm.queued}${error ? ` ${error}` : ''}`);
}

/** What the user hears after `mail:send` (`chosen`: the time was picked with «Отправить позже»). */
export function afterSend(r: { outboxId: number; status: MailOutboxStatus; error: string | null; sendAt: string | null }, chosen: boolean): void {
  if (r.status !== 'scheduled' || !r.sendAt) {
    announce(r.status, r.error);
    return;
  }
  if (chosen) {
    toast.ok(M.composeForm.scheduled(formatSendAt(r.sendAt)));
    return;
  }
  // The undo window: the outcome is told once the outbox sends it.
  const off = on('mail:outbox', (it) => {
    if (it.id !== r.outboxId || it.status === 'scheduled' || it.status === 'sending') return;
    off();
    announce(it.status, it.lastError);
  });
  const ms = Math.max(1000, Date.parse(r.sendAt) - Date.now());
  useToasts.getState().push(
    {
      kind: 'info',
      text: M.composeForm.undoing,
      // The mail leaves when the window closes, whatever the pointer does.
      deadline: true,
      action: {
        label: M.composeForm.undo,
        testId: 'undo-send',
        run: () => {
          off();
          void cancelSend(r.outboxId);
        },
      },
    },
    ms,
  );
}
