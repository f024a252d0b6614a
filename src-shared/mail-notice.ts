/**
 * The desktop notification for new mail, the same in the Electron shell and in the browser:
 * one message names its sender and subject and opens it; several are summed up in one
 * notification (a burst after a night offline must not become fifty). Mail already read
 * elsewhere before it reached the app is not news. Nor is mail the account's «Правила» moved
 * out of INBOX or marked read: the sync runs them before announcing (src-main/core/mail/rules.ts).
 */
import type { MailSummary } from './ipc/mail';
import { withPlural } from './plural';

export interface MailNotice {
  title: string;
  body: string;
  /** Where a click leads (a hash route of the main window). */
  route: string;
  /** A tag so a newer notice of the same account replaces the older one. */
  tag: string;
}

const sender = (m: MailSummary) => m.from?.name || m.from?.email || 'Неизвестный отправитель';
const subject = (m: MailSummary) => m.subject.trim() || '(без темы)';

export function mailNotice(accountId: number, messages: MailSummary[]): MailNotice | null {
  const news = messages.filter((m) => !m.seen).sort((a, b) => b.id - a.id);
  if (!news.length) return null;
  const tag = `mail-${accountId}`;
  if (news.length === 1) {
    const m = news[0];
    const snippet = m.snippet.trim();
    return { title: `Новое письмо от ${sender(m)}`, body: snippet ? `${subject(m)}\n${snippet.slice(0, 140)}` : subject(m), route: `#/mail/f/${m.folderId}/m/${m.id}`, tag };
  }
  const n = news.length;
  const lines = news.slice(0, 3).map((m) => `${sender(m)}: ${subject(m)}`);
  if (n > 3) lines.push(`и ещё ${n - 3}`);
  return {
    title: withPlural(n, ['новое письмо', 'новых письма', 'новых писем']),
    body: lines.join('\n'),
    route: `#/mail/f/${news[0].folderId}`,
    tag,
  };
}
