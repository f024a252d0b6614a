/**
 * `mail:sendNotice` → what the user hears: an error toast when a message first fails (with a way
 * to the outbox), an ok toast when a message that had failed went out at last. The core tells
 * each once per message, so retries stay quiet. In a browser with the page hidden, also a
 * notification (the Electron shell shows its own native one).
 */
import { browserNotify } from '../browser-notify';
import { navigate } from '../router';
import { toast, useToasts } from '../stores/toasts';
import type { MailSendNotice } from '../../src-shared/ipc/mail';
import { M } from './strings';

function subjectOf(n: MailSendNotice): string {
  return n.item.subject.trim() || M.draftsPage.noSubject;
}

export function sendNoticeText(n: MailSendNotice): string {
  return n.kind === 'failed'
    ? M.outboxPage.failedNotice(subjectOf(n), n.reason ?? '', n.willRetry)
    : M.outboxPage.sentAfterFailure(subjectOf(n));
}

function notifyHidden(n: MailSendNotice, text: string): void {
  const title = n.kind === 'failed' ? M.outboxPage.failedNoticeTitle : M.outboxPage.status.sent;
  browserNotify({ title, body: text, tag: `mail-send-${n.item.id}`, route: '/mail/outbox', onlyWhenHidden: true });
}

export function onSendNotice(n: MailSendNotice): void {
  const text = sendNoticeText(n);
  if (n.kind === 'failed') {
    useToasts.getState().push({
      kind: 'error',
      text,
      action: { label: M.outboxPage.open, testId: 'toast-open-outbox', run: () => navigate('/mail/outbox') },
    });
  } else {
    toast.ok(text);
  }
  notifyHidden(n, text);
}
