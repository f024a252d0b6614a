/**
 * Commands Mango accepted and then reported as failed (result/<command>): a transfer's failure
 * is shown in its call's popup card, where the employee pressed «Перевести»; a click-to-call's
 * (and a transfer's whose card is gone) as a toast in the main window.
 */
import { create } from 'zustand';
import type { CommandFailure } from '../../src-shared/wire';
import { commandFailureTitle } from '../../src-shared/command-notice';
import { isPopupWindow } from '../router';
import { usePopups } from './popups';
import { toast } from './toasts';

interface CommandFailuresStore {
  /** The latest failed transfer of each call, by call id. */
  transfers: Map<number, CommandFailure>;
  apply(failures: CommandFailure[]): void;
  /** A new transfer of the call starts: its earlier failure is history. */
  clearTransfer(callId: number): void;
}

export const useCommandFailures = create<CommandFailuresStore>((set, get) => ({
  transfers: new Map(),
  apply(failures) {
    const transfers = new Map(get().transfers);
    for (const f of failures) {
      if (f.action === 'transfer' && f.callId != null) {
        transfers.set(f.callId, f);
        if (usePopups.getState().popups.some((p) => p.callId === f.callId)) continue;
      }
      if (!isPopupWindow()) toast.error(f.reason, commandFailureTitle(f));
    }
    set({ transfers });
  },
  clearTransfer(callId) {
    if (!get().transfers.has(callId)) return;
    const transfers = new Map(get().transfers);
    transfers.delete(callId);
    set({ transfers });
  },
}));

