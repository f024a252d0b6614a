/**
 * One action at a time on a settings form: `busy` while any runs (its buttons disable), `running`
 * names which (its button says so), and its failure stays in `error` to be shown in the form.
 * mail/useBusyAction is the same for places without a form: there a failure is a toast.
 */
import { useState } from 'react';
import { toAppError } from './api';

export interface FormAction<W extends string> {
  busy: boolean;
  running: W | null;
  error: string | null;
  setError: (message: string | null) => void;
  run: (what: W, fn: () => Promise<unknown>) => Promise<void>;
}

export function useFormAction<W extends string = string>(): FormAction<W> {
  const [running, setRunning] = useState<W | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (what: W, fn: () => Promise<unknown>) => {
    setRunning(what);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setRunning(null);
    }
  };
  return { busy: running !== null, running, error, setError, run };
}
