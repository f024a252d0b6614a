/** One action at a time: `busy` while it runs (buttons disable), its failure as a toast. */
import { useState } from 'react';
import { toAppError } from '../api';
import { toast } from '../stores/toasts';

export function useBusyAction(): { busy: boolean; act: (fn: () => Promise<unknown>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      toast.error(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, act };
}
