/** One incoming/outgoing call card: who calls, on which line, history, and the three actions. */
import { useState } from 'react';
import type { CallPopup } from '../../src-shared/ipc/telephony';
import { dialNumber } from '../actions';
import { callNumber, callStatusLabel, formatDateTime, formatDuration, formatPhone } from '../format';
import { navigate } from '../router';
import { S } from '../strings';
import { usePopups } from '../stores/popups';
import { CreateContactDialog } from './CreateContact';
import { DirectionIcon, IconX } from './icons';

export function PopupCard({ popup, compact = false }: { popup: CallPopup; compact?: boolean }) {
  const { call, contact } = popup;
  const [creating, setCreating] = useState(false);
  const [createdId, setCreatedId] = useState<number | null>(null);
  const dismiss = usePopups((s) => s.dismiss);
  const number = callNumber(call);
  const contactId = contact?.id ?? createdId;
  const recent = popup.recentCalls.filter((c) => c.id !== call.id).slice(0, compact ? 3 : 5);
  const line = call.to.line;
  const isIn = call.direction !== 'out';
  return (
    <article className={`popup-card phase-${call.phase}`} data-testid="call-popup" data-call-id={call.id}>
      <header className="popup-head">
        <span className="popup-kind">
          <DirectionIcon call={call} size={16} />
          {isIn ? S.popup.incoming : S.popup.outgoing}
        </span>
        <span className={`badge badge-${call.phase}`}>{callStatusLabel(call)}</span>
        <button type="button" className="icon-btn" onClick={() => dismiss(call.id)} aria-label={S.popup.dismiss} title={S.popup.dismiss}>
          <IconX size={16} />
        </button>
      </header>
      <div className="popup-number" data-testid="popup-number">
        {number ? formatPhone(number) : S.popup.hiddenNumber}
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
        {call.employee ? (
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
              <li key={c.id}>
                <DirectionIcon call={c} size={14} />
                <span className="mini-when">{formatDateTime(c.startedAt)}</span>
                <span className={`mini-status status-${c.status}`}>{callStatusLabel(c)}</span>
                <span className="mini-dur">{c.status === 'answered' ? formatDuration(c.talkSeconds) : ''}</span>
                <span className="mini-emp">{c.employee?.name ?? ''}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
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
        <button type="button" className="btn" data-testid="popup-call-back" disabled={!number} onClick={() => number && void dialNumber(number)}>
          {S.popup.callBack}
        </button>
      </footer>
      {creating && number ? (
        <CreateContactDialog phone={number} onClose={() => setCreating(false)} onCreated={(c) => setCreatedId(c.id)} />
      ) : null}
    </article>
  );
}
