/**
 * The mail UI (`#/mail…`), rendered by the shell for every mail route:
 *   /mail                       folders, list, reader (first account's INBOX)
 *   /mail/f/:folderId[/m/:id]   a folder (search with ?q=), a message open
 *   /mail/compose?mode=…        new / reply / replyAll / forward / draft
 *   /mail/outbox, /mail/drafts  not yet sent; saved drafts
 *   /mail/settings              accounts
 * Importing this module also registers the contact-card slot with the contact's mails.
 */
import { useEffect } from 'react';
import { parseHash, useRoute } from '../router';
import { registerSlot } from '../slots';
import { AccountsSettings } from './AccountsSettings';
import { Compose } from './Compose';
import { ContactMails } from './ContactMails';
import { MailHome } from './MailHome';
import { DraftsPage, OutboxPage } from './Outbox';
import { useMail } from './store';
import './mail.css';

registerSlot('contactTimeline', ContactMails);

function num(s: string | undefined): number | null {
  if (!s) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export function MailRoutes({ path }: { path: string }) {
  const route = useRoute();
  const load = useMail((s) => s.load);
  useEffect(() => {
    void load();
  }, [load]);
  // The shell passes the path; the query comes from the current hash.
  const parts = parseHash(path).parts;
  const query = route.section === 'mail' ? route.query : new URLSearchParams();
  switch (parts[0]) {
    case 'settings':
      return <AccountsSettings query={query} />;
    case 'compose':
      return <Compose key={query.toString()} query={query} />;
    case 'outbox':
      return <OutboxPage />;
    case 'drafts':
      return <DraftsPage />;
    case 'f':
      return <MailHome folderId={num(parts[1])} messageId={parts[2] === 'm' ? num(parts[3]) : null} query={query.get('q') ?? ''} />;
    default:
      return <MailHome folderId={null} messageId={null} query={query.get('q') ?? ''} />;
  }
}

export default MailRoutes;
