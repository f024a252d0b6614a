/** A compact call row for short lists (main page, contact timeline), with the call's comment. */
import { useState } from 'react';
import type { Call, Contact } from '../../src-shared/wire';
import { callNumber, callStatusLabel, formatDateTime, formatDuration, formatTime } from '../format';
import { href } from '../router';
import { contactForNumber, useContacts } from '../stores/contacts';
import { CommentAction, CommentEditor, CommentText } from './CallComment';
import { DirectionIcon } from './icons';
import { PhoneLink } from './PhoneLink';

export function CallLine({
  call,
  showDate = false,
  showEmployee = true,
  contact,
  onCommented,
}: {
  call: Call;
  showDate?: boolean;
  showEmployee?: boolean;
  contact?: Contact | null;
  /** The call with its comment as saved (lists not kept in a store update themselves). */
  onCommented?: (call: Call) => void;
}) {
  const byPhone = useContacts((s) => s.byPhone);
  const [editing, setEditing] = useState(false);
  const number = callNumber(call);
  const c = contact === undefined ? contactForNumber(byPhone, number) : contact;
  return (
    <div className={`call-line status-${call.status}`} data-testid="call-line" data-call-id={call.id}>
      <span className="cl-time">{showDate ? formatDateTime(call.startedAt) : formatTime(call.startedAt)}</span>
      <DirectionIcon call={call} />
      <span className="cl-who">
        <PhoneLink number={number} />
        {c ? (
          <a className="cl-contact" href={href(`/contacts/${c.id}`)}>
            {c.name}
            {c.company ? <span className="muted"> · {c.company}</span> : null}
          </a>
        ) : null}
      </span>
      {/* Kept (empty) without the employee, so the columns after it stay in their tracks. */}
      <span className="cl-emp muted" title={showEmployee ? call.employee?.name : undefined}>
        {showEmployee ? (call.employee?.name ?? '') : ''}
      </span>
      <span className="cl-dur">{call.status === 'answered' ? formatDuration(call.talkSeconds) : ''}</span>
      <span className={`cl-status status-${call.status}`}>{callStatusLabel(call)}</span>
      <span className="cl-act">{editing ? null : <CommentAction has={!!call.comment} onClick={() => setEditing(true)} />}</span>
      {/* Below the row, across it: the comment, or its editor. */}
      {editing ? (
        <CommentEditor
          className="cl-below"
          call={call}
          onCancel={() => setEditing(false)}
          onDone={(updated) => {
            setEditing(false);
            onCommented?.(updated);
          }}
        />
      ) : call.comment ? (
        <CommentText className="cl-below" comment={call.comment} />
      ) : null}
    </div>
  );
}
