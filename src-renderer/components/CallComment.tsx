/**
 * «Комментарий к звонку»: the comment as one muted line (the whole text, author and time in its
 * title), the small action that opens the editor, and the one editor used in the history, on the
 * contact card and in the call popup.
 */
import { useEffect, useRef, useState } from 'react';
import { CALL_COMMENT_MAX, type Call, type CallComment } from '../../src-shared/wire';
import { saveCallComment } from '../actions';
import { toAppError } from '../api';
import { formatDateTime } from '../format';
import { S } from '../strings';
import { IconPencil } from './icons';

export function CommentText({ comment, className = '' }: { comment: CallComment; className?: string }) {
  return (
    <span className={`call-comment muted ${className}`} data-testid="call-comment" title={S.comment.title(comment.text, comment.by.name, formatDateTime(comment.at))}>
      {comment.text}
    </span>
  );
}

/**
 * Whether to offer «Комментарий» on a call: where the relay would save it. `canComment` is the
 * relay's word for this employee; absent (an older relay, a copy that does not say) the action
 * shows as before and the relay decides. An admin may always: a feed item written before they
 * became one must not hide it.
 */
export function mayComment(call: Call, isAdmin: boolean): boolean {
  return isAdmin || call.canComment !== false;
}

/**
 * The small action that opens the editor: «+ Комментарий» on a call without one, «✎ Изменить»
 * on a call with one (so the two look different at a glance). `label` overrides the text (the
 * popup's «Добавить комментарий»).
 */
export function CommentAction({ onClick, has = false, label, className = '' }: { onClick: () => void; has?: boolean; label?: string; className?: string }) {
  return (
    <button
      type="button"
      className={`link-btn comment-action${has ? ' comment-action-edit' : ''} ${className}`}
      title={has ? S.comment.change : S.comment.actionAddTitle}
      aria-label={label ? undefined : has ? S.comment.change : S.comment.actionAddTitle}
      data-testid="comment-edit"
      data-has-comment={has ? 'true' : undefined}
      onClick={onClick}
    >
      {has && !label ? <IconPencil size={12} /> : null}
      {label ?? (has ? S.comment.actionEdit : S.comment.actionAdd)}
    </button>
  );
}

/**
 * Writes the call's comment: «Сохранить» or Ctrl+Enter saves (empty text removes it), «Отмена» or
 * Escape closes without saving; a refusal stays in the editor in the relay's words.
 */
export function CommentEditor({
  call,
  onDone,
  onCancel,
  className = '',
}: {
  call: Call;
  onDone: (updated: Call) => void;
  onCancel: () => void;
  className?: string;
}) {
  const [text, setText] = useState(call.comment?.text ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    const el = area.current;
    if (el) {
      el.focus();
      el.setSelectionRange(el.value.length, el.value.length);
    }
    return () => {
      alive.current = false;
    };
  }, []);
  // Characters as the relay counts them (an emoji is one).
  const length = [...text.trim()].length;
  const tooLong = length > CALL_COMMENT_MAX;

  const save = async () => {
    if (busy || tooLong) return;
    setBusy(true);
    setError(null);
    try {
      const updated = await saveCallComment(call.id, text);
      if (alive.current) onDone(updated);
    } catch (e) {
      if (alive.current) setError(toAppError(e).message);
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  // The editor replaced the row's «+ Комментарий» button, which unmounted: closing it would drop
  // the focus to the page's start. A keyboard user goes back to that button instead.
  const cancelToOpener = () => {
    const near = box.current?.parentElement ?? null;
    onCancel();
    setTimeout(() => {
      const active = document.activeElement;
      if (active && active !== document.body && document.contains(active)) return;
      const sel = `[data-call-id="${call.id}"] [data-testid="comment-edit"]`;
      const target = near?.querySelector<HTMLElement>(sel) ?? document.querySelector<HTMLElement>(sel);
      target?.focus();
    }, 0);
  };

  return (
    <div
      className={`comment-editor ${className}`}
      data-testid="comment-editor"
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void save();
        } else if (e.key === 'Escape') {
          // Not the page's or a dialog's Escape: only this editor closes.
          e.preventDefault();
          e.stopPropagation();
          cancelToOpener();
        }
      }}
      ref={box}
    >
      <textarea
        ref={area}
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={S.comment.placeholder}
        aria-label={S.comment.label}
        aria-invalid={tooLong || !!error}
        data-testid="comment-text"
      />
      <div className="comment-actions">
        <button type="button" className="btn btn-primary btn-sm" disabled={busy || tooLong} onClick={() => void save()} data-testid="comment-save">
          {busy ? S.saving : S.save}
        </button>
        <button type="button" className="btn btn-sm" onClick={cancelToOpener} data-testid="comment-cancel">
          {S.cancel}
        </button>
        {error ? (
          <span className="comment-error" role="alert" title={error} data-testid="comment-error">
            {error}
          </span>
        ) : tooLong ? (
          <span className="comment-error" role="alert">
            {S.comment.tooLong(CALL_COMMENT_MAX, length)}
          </span>
        ) : (
          <span className="muted small comment-hint">{call.comment ? `${S.comment.hint}. ${S.comment.clearHint}` : S.comment.hint}</span>
        )}
      </div>
    </div>
  );
}
