/** A phone number that places a call through Mango when clicked (click-to-call). */
import { useState } from 'react';
import { dialNumber } from '../actions';
import { formatPhone } from '../format';
import { S } from '../strings';
import { IconPhone } from './icons';

export function PhoneLink({ number, className }: { number: string | null | undefined; className?: string }) {
  const [busy, setBusy] = useState(false);
  if (!number) return <span className={`phone muted ${className ?? ''}`}>{S.calls.noNumber}</span>;
  const shown = formatPhone(number);
  return (
    <button
      type="button"
      className={`phone-link ${className ?? ''}`}
      title={S.callback.title(shown)}
      disabled={busy}
      data-testid="phone-link"
      onClick={async (e) => {
        e.stopPropagation();
        setBusy(true);
        try {
          await dialNumber(number);
        } finally {
          setBusy(false);
        }
      }}
    >
      <span className="phone-text">{shown}</span>
      <IconPhone size={14} className="phone-icon" />
    </button>
  );
}
