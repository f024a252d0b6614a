/**
 * One incoming/outgoing call card: who calls, on which line, history (with the comments on the
 * last calls), and the actions. While the call is being talked and once it has ended (the card
 * stays a while after the employee's own conversation), «Добавить комментарий» writes notes or
 * its outcome right there. While I am talking on the call, «Перевести» hands it to a colleague;
 * «Перезвонить» only once it has ended (no calling back someone still on the line).
 */
import { useEffect, useRef, useState } from 'react';
import type { CallPopup } from '../../src-shared/ipc/telephony';
import { call as invoke } from '../api';
import { dialNumber } from '../actions';
import { callNumber, callStatusLabel, formatDateTime, formatDuration, formatPhone } from '../format';
import { navigate } from '../router';
import { S } from '../strings';
import { commandFailureTitle } from '../../src-shared/command-notice';
import { useCommandFailures } from '../stores/command-failures';
import { usePopups } from '../stores/popups';
import { useIsAdmin, useMe } from '../stores/session';
import { CommentAction, CommentEditor, CommentText, mayComment } from './CallComment';
import { CreateContactDialog } from './CreateContact';
import { DirectionIcon, IconX } from './icons';
import { TransferForm } from './TransferForm';

/**
 * `collapsed`: another card of the stack is the open one; this one shows a single line (who,
 * status, ✕) and opens on a click. A card with a form being filled in never folds.
 */
export function PopupCard({ popup, compact = false, collapsed = false, onExpand }: { popup: CallPopup; compact?: boolean; collapsed?: boolean; onExpand?: () => void }) {
  const { call, contact } = popup;
  const [creating, setCreating] = useState(false);
  const [createdId, setCreatedId] = useState<number | null>(null);
  const [commenting, setCommenting] = useState(false);
  const [transferring, setTransferring] = useState(false);
  const [transferredTo, setTransferredTo] = useState<string | null>(null);
  const transferFailure = useCommandFailures((s) => s.transfers.get(call.id));
  const me = useMe();
  const dismiss = usePopups((s) => s.dismiss);
  const isAdmin = useIsAdmin();
  const ended = call.phase === 'ended' || call.status !== 'active';
  // Notes are taken while talking too (the relay saves a live call's comment the same way).
  const canComment = (ended || call.phase === 'talking') && mayComment(call, isAdmin);
  const number = callNumber(call);
  const contactId = contact?.id ?? createdId;
  const recent = popup.recentCalls.filter((c) => c.id !== call.id).slice(0, compact ? 3 : 5);
  const line = call.to.line;
  const isIn = call.direction !== 'out';
  // Only the conversation going on at my own phone can be transferred (the relay refuses others):
  // who talks now (talkingExtensions: after a transfer, the colleague), else, from relays before
  // it, the call's employee.
  // While the call goes on, whoever talks now; the first answerer (`employee`) is history's.
  const talkingNames = call.phase === 'talking' && call.talkingEmployees?.length ? call.talkingEmployees.map((e) => e.name).join(', ') : null;
  const canTransfer =
    call.phase === 'talking' && me != null && (call.talkingExtensions ? !!me.extension && call.talkingExtensions.includes(me.extension) : call.employee?.id === me.id);
  // A form is being filled in (the transfer form only while it shows: it goes when the talk ends).
  const busy = commenting || creating || (transferring && canTransfer);
  useKeepWhileBusy(call.id, busy);
  if (collapsed && !busy) {
    return (
      <article className={`popup-card popup-card-folded phase-${call.phase}`} data-testid="call-popup" data-call-id={call.id} data-collapsed="true">
        <button type="button" className="popup-fold" onClick={onExpand} title={S.popup.expand} aria-expanded={false} data-testid="popup-expand">
          <DirectionIcon call={call} size={14} />
          <span className="popup-fold-number" data-testid="popup-number">{number ? formatPhone(number) : S.popup.hiddenNumber}</span>
          <span className="popup-fold-name">{contact ? contact.name || S.contact.unnamed : S.popup.newNumber}</span>
          <span className={`badge badge-${call.phase}`} data-testid="popup-status">{callStatusLabel(call)}</span>
        </button>
        <button type="button" className="icon-btn" onClick={() => dismiss(call.id)} aria-label={S.popup.dismiss} title={S.popup.dismiss}>
          <IconX size={16} />
        </button>
      </article>
    );
  }
  return (
    <article className={`popup-card phase-${call.phase}`} data-testid="call-popup" data-call-id={call.id}>
      <header className="popup-head">
        <span className="popup-kind">
          <DirectionIcon call={call} size={16} />
          <span className="popup-kind-text">{isIn ? S.popup.incoming : S.popup.outgoing}</span>
        </span>
        <button type="button" className="icon-btn" onClick={() => dismiss(call.id)} aria-label={S.popup.dismiss} title={S.popup.dismiss}>
          <IconX size={16} />
        </button>
      </header>
      {/* The status goes beside the number, or under it when it does not fit («В голосовом меню»). */}
      <div className="popup-numline">
        <div className="popup-number" data-testid="popup-number">
          {number ? formatPhone(number) : S.popup.hiddenNumber}
        </div>
        <span className={`badge badge-${call.phase}`} data-testid="popup-status">{callStatusLabel(call)}</span>
      </div>
      {contact ? (
        <div className="popup-who">
          <div className="popup-name" data-testid="popup-name">{contact.name || S.contact.unnamed}</div>
          {contact.company ? <div className="popup-company">{contact.company}</div> : null}
        </div>
      ) : (
        <div className="popup-who">
          <div className="popup-name popup-new" data-testid="popup-name">{S.popup.newNumber}</div>
        </div>
      )}
      <dl className="popup-meta">
        {line ? (
          <>
            <dt>{S.popup.line}</dt>
            <dd>{formatPhone(line)}</dd>
          </>
        ) : null}
        {talkingNames ? (
          <>
            <dt>{S.popup.talking}</dt>
            <dd data-testid="popup-talking">{talkingNames}</dd>
          </>
        ) : call.employee ? (
          <>
            <dt>{S.calls.employee}</dt>
            <dd>{call.employee.name}</dd>
          </>
        ) : null}
      </dl>
      <section className="popup-section">
        <h3>{S.popup.lastCalls}</h3>
        {recent.length === 0 ? (
          <p className="muted small">{S.popup.noCalls}</p>
        ) : (
          <ul className="mini-calls">
            {recent.map((c) => (
              <li key={c.id} data-testid="popup-recent-call" data-call-id={c.id}>
                <DirectionIcon call={c} size={14} />
                <span className="mini-when">{formatDateTime(c.startedAt)}</span>
                <span className={`mini-status status-${c.status}`}>{callStatusLabel(c)}</span>
                <span className="mini-dur">{c.status === 'answered' ? formatDuration(c.talkSeconds) : ''}</span>
                <span className="mini-emp">{c.employee?.name ?? ''}</span>
                {c.comment ? <CommentText className="mini-comment" comment={c.comment} /> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      {commenting ? (
        <section className="popup-section">
          {/* Written after the call: the card has done its job. During it, the card stays (transfer, more notes). */}
          <CommentEditor call={call} onCancel={() => setCommenting(false)} onDone={() => (ended ? void dismiss(call.id) : setCommenting(false))} />
        </section>
      ) : call.comment || canComment ? (
        <section className="popup-section popup-comment">
          {call.comment ? <CommentText comment={call.comment} /> : null}
          {canComment ? (
            <CommentAction
              className="popup-comment-action"
              label={call.comment ? S.comment.change : S.comment.add}
              onClick={() => setCommenting(true)}
            />
          ) : null}
        </section>
      ) : null}
      {popup.recentMails.length > 0 ? (
        <section className="popup-section">
          <h3>{S.popup.lastMails}</h3>
          <ul className="mini-mails">
            {popup.recentMails.slice(0, 3).map((m, i) => (
              <li key={i}>
                <span className="mini-when">{formatDateTime(m.date)}</span>
                <span className="mini-subject" title={m.from}>{m.subject}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {transferFailure ? (
        // Said in the card itself, where «Перевести» was pressed: a toast would cover the cards.
        <p className="transfer-error" role="alert" data-testid="transfer-failed">
          {`${commandFailureTitle(transferFailure)}: ${transferFailure.reason}`}
        </p>
      ) : transferredTo ? (
        <p className="transfer-done" role="status" data-testid="transfer-done">
          {S.transfer.started(transferredTo)}
        </p>
      ) : null}
      {transferring && canTransfer ? (
        <TransferForm
          callId={call.id}
          onCancel={() => setTransferring(false)}
          onDone={(to) => {
            setTransferring(false);
            setTransferredTo(to.name);
          }}
        />
      ) : (
        <footer className="popup-actions">
          {contactId != null ? (
            <button type="button" className="btn btn-primary" data-testid="popup-open-card" onClick={() => navigate(`/contacts/${contactId}`)}>
              {S.popup.openCard}
            </button>
          ) : (
            <button type="button" className="btn btn-primary" data-testid="popup-create-contact" disabled={!number} onClick={() => setCreating(true)}>
              {S.popup.createContact}
            </button>
          )}
          {ended ? (
            <button type="button" className="btn" data-testid="popup-call-back" disabled={!number} onClick={() => number && void dialNumber(number)}>
              {S.popup.callBack}
            </button>
          ) : null}
          {canTransfer ? (
            <button type="button" className="btn" data-testid="popup-transfer" title={S.transfer.actionTitle} onClick={() => {
                useCommandFailures.getState().clearTransfer(call.id);
                setTransferring(true);
              }}>
              {S.transfer.action}
            </button>
          ) : null}
        </footer>
      )}
      {creating && number ? (
        <CreateContactDialog phone={number} onClose={() => setCreating(false)} onCreated={(c) => setCreatedId(c.id)} />
      ) : null}
    </article>
  );
}

/**
 * No hide timer may take the card away while a form in it is being filled in; once the form is
 * closed (saved, cancelled, the transfer sent or refused) the card goes by its usual rule again:
 * pressing «Перевести» once must not leave an ended call's card up for good.
 */
function useKeepWhileBusy(callId: number, busy: boolean): void {
  const kept = useRef(false);
  useEffect(() => {
    if (busy === kept.current) return;
    kept.current = busy;
    void invoke('popups:keep', { callId, keep: busy }).catch(() => {});
  }, [callId, busy]);
}
