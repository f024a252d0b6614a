/** `#/mail/outbox`: messages not sent yet, with the error and the next attempt; `#/mail/drafts`. */
import { useCallback, useEffect, useState } from 'react';
import { call, on, toAppError } from '../api';
import { formatDateTime } from '../format';
import { href, navigate } from '../router';
import { toast } from '../stores/toasts';
import type { MailDraftView, MailOutboxItem } from '../../src-shared/ipc/mail';
import { M } from './strings';
import { formatSendAt } from './send-later';
import { draftSavesSettled } from './store';
import { askConfirm } from '../stores/confirm';

/** A failed item the outbox will try again by itself: waiting, not given up. */
function retrying(it: MailOutboxItem): boolean {
  return it.status === 'failed' && it.nextAttemptAt !== null;
}

/**
 * The badge: a scheduled item says when it goes out (or that it is going, in the undo window);
 * a failed one that will be retried says it waits, so «Не отправлено» is left for the given-up.
 */
function statusText(it: MailOutboxItem): string {
  if (retrying(it)) return M.outboxPage.waitingRetry;
  if (it.status !== 'scheduled') return M.outboxPage.status[it.status];
  return it.userScheduled && it.sendAt ? M.outboxPage.scheduledFor(formatSendAt(it.sendAt)) : M.outboxPage.undoWindow;
}

export function OutboxPage() {
  const [items, setItems] = useState<MailOutboxItem[] | null>(null);
  const [showSent, setShowSent] = useState(false);
  const load = useCallback(() => {
    call('mail:outbox:list', { includeSent: showSent })
      .then(setItems)
      .catch((e) => toast.error(toAppError(e).message));
  }, [showSent]);
  useEffect(() => {
    load();
    return on('mail:outbox', () => load());
  }, [load]);

  const act = (fn: () => Promise<unknown>) => fn().then(load, (e) => toast.error(toAppError(e).message));

  return (
    <div className="page" data-testid="mail-outbox">
      <div className="page-head">
        <h1>{M.outboxPage.title}</h1>
        <label className="check">
          <input type="checkbox" checked={showSent} onChange={(e) => setShowSent(e.target.checked)} />
          {M.outboxPage.showSent}
        </label>
        <a className="btn" href={href('/mail')}>{M.backToMail}</a>
      </div>
      <div className="card">
        {items === null ? <p className="muted">{M.loading}</p> : null}
        {items?.length === 0 ? <p className="muted empty">{M.outboxPage.empty}</p> : null}
        {items?.map((it) => (
          <div className={`mail-outbox-item status-${it.status}`} key={it.id} data-testid="outbox-item">
            <div className="mail-outbox-main">
              <div className="mail-outbox-subject">{it.subject || '(без темы)'}</div>
              <div className="muted small">
                {it.to.join(', ')} · {formatDateTime(it.createdAt)} · {M.outboxPage.attempts(it.attempts)}
              </div>
              {it.lastError ? <div className={`${retrying(it) ? 'muted' : 'error-text'} small`} data-testid="outbox-error">{it.lastError}</div> : null}
              {it.status === 'failed' && it.nextAttemptAt ? (
                <div className="muted small">{M.outboxPage.nextAttempt}: {formatDateTime(it.nextAttemptAt)}</div>
              ) : null}
            </div>
            <span
              className={`badge badge-${it.status === 'failed' && !retrying(it) ? 'missed' : it.status === 'sent' ? 'answered' : 'ringing'}`}
              data-testid="outbox-status"
            >
              {statusText(it)}
            </span>
            {it.status === 'scheduled' ? (
              <div className="row-gap">
                <button type="button" className="btn btn-sm" onClick={() => act(() => call('mail:outbox:sendNow', { id: it.id }))} data-testid="outbox-send-now">
                  {M.outboxPage.retry}
                </button>
                <button
                  type="button"
                  className="btn btn-sm btn-ghost"
                  onClick={() => act(() => call('mail:outbox:cancel', { id: it.id }).then(() => toast.info(M.outboxPage.cancelled)))}
                  data-testid="outbox-cancel"
                >
                  {M.outboxPage.cancel}
                </button>
              </div>
            ) : null}
            {it.status === 'failed' || it.status === 'queued' ? (
              <div className="row-gap">
                <button type="button" className="btn btn-sm" onClick={() => act(() => call('mail:outbox:retry', { id: it.id }))} data-testid="outbox-retry">
                  {M.outboxPage.retry}
                </button>
                <button type="button" className="btn btn-sm btn-ghost" onClick={() => void askConfirm(M.outboxPage.confirmRemove, M.outboxPage.remove).then((ok) => { if (ok) void act(() => call('mail:outbox:delete', { id: it.id })); })}>
                  {M.outboxPage.remove}
                </button>
              </div>
            ) : null}
          </div>
        ))}
      </div>
    </div>
  );
}

/**
 * At the top of the mailbox's «Черновики» folder: the drafts kept on this computer that have no
 * copy there yet (saved offline, a server refusing them), with the way to them; none: no notice.
 */
export function DraftsFolderNotice({ accountId }: { accountId: number }) {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    draftSavesSettled()
      .then(() => call('mail:drafts:list', { accountId }))
      .then((list) => live && setCount(list.filter((d) => !d.onServer).length))
      .catch(() => live && setCount(null));
    return () => {
      live = false;
    };
  }, [accountId]);
  if (!count) return null;
  return (
    <div className="mail-list-note mail-drafts-notice" data-testid="drafts-folder-notice">
      <a href={href('/mail/drafts')} data-testid="drafts-folder-notice-link">{M.draftsPage.folderNotice(count)}</a>
      <div className="muted small">{M.draftsPage.folderNoticeHint}</div>
    </div>
  );
}

export function DraftsPage() {
  const [items, setItems] = useState<MailDraftView[] | null>(null);
  const load = useCallback(() => {
    // A letter just left in the compose form may still be saving.
    draftSavesSettled()
      .then(() => call('mail:drafts:list', {}))
      .then(setItems)
      .catch((e) => toast.error(toAppError(e).message));
  }, []);
  useEffect(load, [load]);
  const remove = async (d: MailDraftView) => {
    if (!(await askConfirm(M.draftsPage.confirmRemove(d.subject || M.draftsPage.noSubject), M.draftsPage.remove))) return;
    call('mail:drafts:delete', { id: d.id })
      .then(() => toast.info(M.draftsPage.removed))
      .catch((e) => toast.error(toAppError(e).message))
      .finally(load);
  };
  return (
    <div className="page" data-testid="mail-drafts">
      <div className="page-head">
        <h1>{M.draftsPage.title}</h1>
        <a className="btn" href={href('/mail')}>{M.backToMail}</a>
      </div>
      <p className="muted">{M.draftsPage.intro}</p>
      <div className="card">
        {items === null ? <p className="muted">{M.loading}</p> : null}
        {items?.length === 0 ? <p className="muted empty">{M.draftsPage.empty}</p> : null}
        {items?.map((d) => (
          <div
            className="mail-outbox-item mail-draft-row"
            key={d.id}
            data-testid="draft-item"
            // The whole row opens the draft (the link stays for the keyboard); «Удалить» is its own.
            onClick={(e) => {
              if (!(e.target as HTMLElement).closest('a, button')) navigate(`/mail/compose?draft=${d.id}`);
            }}
          >
            <div className="mail-outbox-main">
              <a href={href(`/mail/compose?draft=${d.id}`)} className="mail-outbox-subject">{d.subject || M.draftsPage.noSubject}</a>
              <div className="muted small">
                {d.to.join(', ')} · {formatDateTime(d.updatedAt)}
              </div>
            </div>
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => void remove(d)} data-testid="draft-remove">
              {M.draftsPage.remove}
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
