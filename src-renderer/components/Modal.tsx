/**
 * A modal dialog: the focus goes to its first field on open (or to the child with autoFocus),
 * Tab/Shift+Tab stay inside it, and it returns to what had it (the opener) on close. The backdrop
 * closes it only for a click that both began and ended on it (a text selection dragged out of a
 * field does not). A dialog with typed-in data (`dirty`) asks «Закрыть без сохранения?» before
 * Esc, the backdrop or ✕ throw it away.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { S } from '../strings';
import { IconX } from './icons';

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
  '[contenteditable="true"]',
].join(',');
const FIELDS = 'input:not([disabled]):not([type="hidden"]):not([readonly]), select:not([disabled]), textarea:not([disabled]):not([readonly])';

/** What Tab may reach inside `root`, in order (hidden elements left out). */
export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => !el.hidden && el.getClientRects().length > 0);
}

/**
 * Pure: where Tab (or Shift+Tab) from `current` goes in a dialog whose tabbable elements are
 * `items`, or null to let the browser move it (it stays inside anyway). Wraps at both ends and
 * pulls the focus back in from outside.
 */
export function trapTarget<T>(items: readonly T[], current: T | null, back: boolean): T | null {
  if (items.length === 0) return null;
  const i = current == null ? -1 : items.indexOf(current);
  if (i < 0) return back ? items[items.length - 1] : items[0];
  if (back && i === 0) return items[items.length - 1];
  if (!back && i === items.length - 1) return items[0];
  return null;
}

export function Modal({
  title,
  onClose,
  children,
  wide,
  dirty = false,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  /** Something was typed: Esc, the backdrop and ✕ ask before throwing it away («Отмена» does not). */
  dirty?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Taken while rendering, before a child's autoFocus moves the focus into the dialog.
  const [opener] = useState(() => (typeof document !== 'undefined' && document.activeElement instanceof HTMLElement ? document.activeElement : null));
  const downOnBackdrop = useRef(false);
  const [confirming, setConfirming] = useState(false);
  const latest = useRef({ onClose, dirty, confirming });
  latest.current = { onClose, dirty, confirming };

  const requestClose = () => {
    if (latest.current.dirty) setConfirming(true);
    else latest.current.onClose();
  };
  const requestRef = useRef(requestClose);
  requestRef.current = requestClose;

  // Initial focus, and its return to the opener on close.
  useEffect(() => {
    const root = box.current;
    if (root && !root.contains(document.activeElement)) {
      const first = root.querySelector<HTMLElement>(`.modal-body :is(${FIELDS})`) ?? focusables(root).find((el) => !el.closest('.modal-head')) ?? root;
      first.focus();
    }
    return () => {
      // The opener may be gone (a menu closed with the dialog's opening): then nothing to return to.
      if (opener && opener.isConnected && opener !== document.body) opener.focus();
    };
  }, [opener]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const root = box.current;
      if (!root) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        if (latest.current.confirming) setConfirming(false);
        else requestRef.current();
        return;
      }
      if (e.key === 'Tab') {
        const target = trapTarget(focusables(root), document.activeElement as HTMLElement | null, e.shiftKey);
        if (target) {
          e.preventDefault();
          target.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // The question takes the focus on its safe answer (back to the form).
  const stayBtn = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) stayBtn.current?.focus();
  }, [confirming]);

  return (
    <div
      className="modal-backdrop"
      onMouseDown={(e) => {
        downOnBackdrop.current = e.target === e.currentTarget;
      }}
      onMouseUp={(e) => {
        const both = downOnBackdrop.current && e.target === e.currentTarget;
        downOnBackdrop.current = false;
        if (both) requestClose();
      }}
    >
      <div className={`modal${wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-label={title} ref={box} tabIndex={-1}>
        <div className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="icon-btn" onClick={requestClose} aria-label={S.close} title={S.close} data-testid="modal-close">
            <IconX size={18} />
          </button>
        </div>
        {confirming ? (
          <div className="modal-confirm" role="alertdialog" aria-label={S.modal.discardQuestion} data-testid="modal-discard">
            <span>{S.modal.discardQuestion}</span>
            <div className="modal-confirm-actions">
              <button type="button" className="btn btn-sm btn-danger" data-testid="modal-discard-yes" onClick={() => onClose()}>
                {S.modal.discard}
              </button>
              <button type="button" className="btn btn-sm" ref={stayBtn} data-testid="modal-discard-no" onClick={() => setConfirming(false)}>
                {S.modal.keepEditing}
              </button>
            </div>
          </div>
        ) : null}
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}
