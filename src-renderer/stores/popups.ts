/** Call popups the core wants shown (several stacked); closed when `open` turns false. */
import { create } from 'zustand';
import type { CallPopup } from '../../src-shared/ipc/telephony';
import { call } from '../api';

interface PopupsStore {
  popups: CallPopup[];
  init(): Promise<void>;
  apply(p: CallPopup): void;
  dismiss(callId: number): Promise<void>;
}

/** Pure: upsert an open popup by call id (newest first), drop a closed one. */
export function applyPopup(list: CallPopup[], p: CallPopup): CallPopup[] {
  const rest = list.filter((x) => x.callId !== p.callId);
  if (!p.open) return rest.length === list.length ? list : rest;
  const i = list.findIndex((x) => x.callId === p.callId);
  if (i >= 0) {
    const next = list.slice();
    next[i] = p;
    return next;
  }
  return [p, ...rest];
}

export const usePopups = create<PopupsStore>((set, get) => ({
  popups: [],
  async init() {
    try {
      const list = await call('popups:list');
      let acc: CallPopup[] = [];
      for (const p of list) acc = applyPopup(acc, p);
      // Keep any that arrived by event meanwhile.
      for (const p of get().popups) if (!acc.some((x) => x.callId === p.callId)) acc = [...acc, p];
      set({ popups: acc });
    } catch {
      // Not logged in yet: events will bring them.
    }
  },
  apply(p) {
    set({ popups: applyPopup(get().popups, p) });
  },
  async dismiss(callId) {
    set({ popups: get().popups.filter((x) => x.callId !== callId) });
    try {
      await call('popups:dismiss', { callId });
    } catch {
      // Closing locally is what the user wanted; the core closes it at call end anyway.
    }
  },
}));
