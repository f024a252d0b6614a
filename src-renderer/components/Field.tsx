/**
 * A labelled form field: the label names the control exactly ("API Key"), the hint describes
 * it (aria-describedby), so screen readers and tests find fields by the guide's names.
 */
import { cloneElement, isValidElement, useId, type ReactElement, type ReactNode } from 'react';

export function Field({ label, hint, children, extra }: { label: string; hint?: ReactNode; children: ReactElement<{ id?: string; 'aria-describedby'?: string }>; extra?: ReactNode }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const control = isValidElement(children) ? cloneElement(children, { id, 'aria-describedby': hintId }) : children;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {control}
      {hint ? (
        <small className="hint" id={hintId}>
          {hint}
        </small>
      ) : null}
      {extra}
    </div>
  );
}
