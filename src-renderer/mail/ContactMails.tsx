/**
 * On a contact's card (the `contactTimeline` slot): the mails from or to the contact's
 * addresses, newest first, and «Написать письмо».
 */
import { useEffect, useState } from 'react';
import { call } from '../api';
import { formatDateTime } from '../format';
import { href } from '../router';
import type { Contact } from '../../src-shared/wire';
import type { MailSummary } from '../../src-shared/ipc/mail';
import { M } from './strings';
import { useMail } from './store';

export function ContactMails({ contact }: { contact: Contact }) {
  const [mails, setMails] = useState<MailSummary[] | null>(null);
  const tick = useMail((s) => s.tick);
  const emails = contact.emails.map((e) => e.trim().toLowerCase()).filter(Boolean);
  const key = emails.join(',');
  useEffect(() => {
    if (!emails.length) {
      setMails([]);
      return;
    }
    let live = true;
    call('mail:messages:byAddress', { emails, limit: 20 })
      .then((m) => live && setMails(m))
      .catch(() => live && setMails([]));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);

  if (!emails.length) return null;
  return (
    <div className="mail-contact" data-testid="contact-mails">
      <div className="card-head">
        <h3>{M.contact.mails}</h3>
        <a className="btn btn-sm" href={href(`/mail/compose?to=${encodeURIComponent(emails[0])}`)} data-testid="contact-write-mail">
          {M.contact.write}
        </a>
      </div>
      {mails?.length === 0 ? <p className="muted empty">{M.contact.noMails}</p> : null}
      {mails?.map((m) => {
        const incoming = m.from ? emails.includes(m.from.email) : false;
        return (
          <a key={m.id} className={`mail-contact-row${m.seen ? '' : ' unread'}`} href={href(`/mail/f/${m.folderId}/m/${m.id}`)}>
            <span className="mail-contact-dir" title={incoming ? 'Входящее письмо' : 'Исходящее письмо'}>{incoming ? '✉↓' : '✉↑'}</span>
            <span className="grow mail-contact-subject">{m.subject || '(без темы)'}</span>
            <span className="muted small nowrap">{formatDateTime(m.date)}</span>
          </a>
        );
      })}
    </div>
  );
}
