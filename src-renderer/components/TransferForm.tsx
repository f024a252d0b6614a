/**
 * «Перевести звонок»: the compact form that takes the place of the popup's footer. «Кому» lists
 * the colleagues the core offers (loaded when the form opens, so «не принимает звонки» is fresh);
 * «Перевести сразу» / «С консультацией» send the transfer; a refusal stays in the form in the
 * core's words.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { Colleague, TransferMethod } from '../../src-shared/wire';
import { call, toAppError } from '../api';
import { S } from '../strings';

export function TransferForm({ callId, onDone, onCancel }: { callId: number; onDone: (to: Colleague) => void; onCancel: () => void }) {
  const [colleagues, setColleagues] = useState<Colleague[] | null>(null);
  const [toId, setToId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const alive = useRef(true);
  const select = useRef<HTMLSelectElement>(null);
  const selectId = useId();

  useEffect(() => {
    alive.current = true;
    call('colleagues:list')
      .then((list) => {
        if (alive.current) setColleagues(list);
      })
      .catch((e: unknown) => {
        if (!alive.current) return;
        setColleagues([]);
        setError(toAppError(e).message);
      });
    return () => {
      alive.current = false;
    };
  }, []);

  // Ready to pick with the keyboard once the list is there (disabled until then, so not before).
  const loaded = colleagues !== null;
  useEffect(() => {
    if (loaded) select.current?.focus();
  }, [loaded]);

  const to = colleagues?.find((c) => String(c.id) === toId) ?? null;

  const send = async (method: TransferMethod) => {
    if (busy || !to) return;
    setBusy(true);
    setError(null);
    try {
      await call('calls:transfer', { callId, toEmployeeId: to.id, method });
      if (alive.current) onDone(to);
    } catch (e) {
      if (alive.current) setError(toAppError(e).message);
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  // A failed load also leaves an empty list: then only its error is shown, not «Некому перевести».
  const nobody = colleagues !== null && colleagues.length === 0 && !error;
  return (
    <div
      className="transfer-form"
      data-testid="transfer-form"
      aria-busy={busy}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) {
          // Only the form closes, not the popup or a dialog.
          e.preventDefault();
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      {nobody ? (
        <p className="transfer-nobody muted" data-testid="transfer-nobody">
          {S.transfer.nobody}
        </p>
      ) : (
        <div className="transfer-to">
          <label htmlFor={selectId}>{S.transfer.to}</label>
          <select
            ref={select}
            id={selectId}
            className="input-sm"
            data-testid="transfer-to"
            value={toId}
            disabled={busy || colleagues === null}
            onChange={(e) => setToId(e.target.value)}
          >
            <option value="" disabled>
              {colleagues === null ? S.transfer.loading : S.transfer.choose}
            </option>
            {(colleagues ?? []).map((c) => (
              <option key={c.id} value={String(c.id)}>
                {S.transfer.option(c.name, c.extension) + (c.acceptCalls ? '' : S.transfer.notAccepting)}
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="transfer-actions">
        {nobody ? null : (
          <>
            <button type="button" className="btn btn-primary btn-sm" data-testid="transfer-blind" title={S.transfer.blindTitle} disabled={busy || !to} onClick={() => void send('blind')}>
              {S.transfer.blind}
            </button>
            <button type="button" className="btn btn-sm" data-testid="transfer-hold" title={S.transfer.holdTitle} disabled={busy || !to} onClick={() => void send('hold')}>
              {S.transfer.hold}
            </button>
          </>
        )}
        <button type="button" className="btn btn-ghost btn-sm" data-testid="transfer-cancel" disabled={busy} onClick={onCancel}>
          {S.cancel}
        </button>
      </div>
      {error ? (
        <p className="transfer-error" role="alert" data-testid="transfer-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
