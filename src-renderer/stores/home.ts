/** The main page: today's calls and the missed-call reminders ("Перезвонить"). */
import { create } from 'zustand';
import type { Call, FeedItem } from '../../src-shared/wire';
import { call } from '../api';
import { startOfDay } from '../format';
import { useAttention } from './attention';
import { applyFeedBatch, applyFeedToMissed, emptyCallList, removeCall, replaceCall, upsertCall, type CallList } from './callsModel';

interface HomeStore {
  today: CallList;
  todayLoaded: boolean;
  todayError: string | null;
  dayStart: string;
  missed: Call[];
  missedLoaded: boolean;
  dismissed: Set<number>;
  /**
   * Reminders taken off the list with «×» whose dismissal is not final yet (the «Отменить» toast
   * is up, or the request runs): the sidebar count leaves them out already.
   */
  pendingDismiss: Map<number, Call>;
  loadToday(): Promise<void>;
  loadMissed(): Promise<void>;
  /** «×»: off the list at once; final only with dismissMissed (undone by restoreMissed). */
  hideMissed(callId: number): Call | null;
  /** «Отменить»: the hidden reminder comes back, nothing is sent. */
  restoreMissed(call: Call): void;
  /** Makes the dismissal final at the core/relay; a refusal brings the reminder back. */
  dismissMissed(callId: number): Promise<void>;
  /** Feed items in the order they came (a batch: one update of the lists). */
  applyFeed(items: FeedItem[]): void;
  /** A newer copy of a call from a request's answer (a saved comment). */
  applyCall(call: Call): void;
}

let missedRefetch: ReturnType<typeof setTimeout> | null = null;

export const useHome = create<HomeStore>((set, get) => ({
  today: emptyCallList(),
  todayLoaded: false,
  todayError: null,
  dayStart: startOfDay(new Date()).toISOString(),
  missed: [],
  missedLoaded: false,
  dismissed: new Set(),
  pendingDismiss: new Map(),

  async loadToday() {
    const dayStart = startOfDay(new Date()).toISOString();
    try {
      const { calls } = await call('calls:list', { since: dayStart, limit: 500 });
      // Keep live items that arrived while loading.
      const live = get().today;
      let list: CallList = { calls: calls.slice(), feedIdByCall: live.feedIdByCall };
      for (const c of live.calls) if (!list.calls.some((x) => x.id === c.id)) list = { ...list, calls: [...list.calls, c] };
      list.calls.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id - a.id);
      set({ today: list, todayLoaded: true, todayError: null, dayStart });
    } catch (e) {
      set({ todayLoaded: true, todayError: (e as Error).message, dayStart });
    }
  },

  async loadMissed() {
    try {
      const calls = await call('missed:list');
      const dismissed = get().dismissed;
      set({ missed: calls.filter((c) => !dismissed.has(c.id)), missedLoaded: true });
    } catch {
      set({ missedLoaded: true });
    }
  },

  hideMissed(callId) {
    const st = get();
    const found = st.missed.find((c) => c.id === callId) ?? st.pendingDismiss.get(callId) ?? null;
    const dismissed = new Set(st.dismissed).add(callId);
    const pendingDismiss = new Map(st.pendingDismiss);
    if (found) pendingDismiss.set(callId, found);
    set({ missed: removeCall(st.missed, callId), dismissed, pendingDismiss });
    return found;
  },

  restoreMissed(c) {
    const st = get();
    const dismissed = new Set(st.dismissed);
    dismissed.delete(c.id);
    const pendingDismiss = new Map(st.pendingDismiss);
    pendingDismiss.delete(c.id);
    set({ missed: upsertCall(st.missed, c), dismissed, pendingDismiss });
  },

  async dismissMissed(callId) {
    const hidden = get().hideMissed(callId);
    try {
      await call('missed:dismiss', { callId });
    } catch (e) {
      if (hidden) get().restoreMissed(hidden);
      else {
        const dismissed = new Set(get().dismissed);
        dismissed.delete(callId);
        set({ dismissed });
      }
      throw e;
    }
    // The core's new count follows the dismissal: until it comes, this one stays subtracted.
    const settle = () => {
      unsub();
      clearTimeout(timer);
      const pendingDismiss = new Map(get().pendingDismiss);
      if (pendingDismiss.delete(callId)) set({ pendingDismiss });
    };
    const unsub = useAttention.subscribe(settle);
    const timer = setTimeout(settle, 3000);
  },

  applyFeed(items) {
    const calls = items.filter((it) => it.payload.kind === 'call');
    if (calls.length === 0) return;
    const st = get();
    // A new day started while the app stayed open: today's list starts over.
    const dayStart = startOfDay(new Date()).toISOString();
    const today = dayStart !== st.dayStart ? emptyCallList() : st.today;
    set({
      dayStart,
      today: applyFeedBatch(today, calls, { since: dayStart }),
      missed: calls.reduce((list, it) => applyFeedToMissed(list, it, st.dismissed), st.missed),
    });
    // The relay decides what is still a reminder (called back from another device…): refetch soon.
    if (calls.some((it) => it.payload.kind === 'call' && it.payload.call.status !== 'active')) {
      if (missedRefetch) clearTimeout(missedRefetch);
      missedRefetch = setTimeout(() => {
        missedRefetch = null;
        void get().loadMissed();
      }, 1500);
    }
  },

  applyCall(call) {
    const st = get();
    const today = replaceCall(st.today, call);
    const i = st.missed.findIndex((c) => c.id === call.id);
    const missed = i < 0 ? st.missed : st.missed.map((c) => (c.id === call.id ? call : c));
    if (today !== st.today || missed !== st.missed) set({ today, missed });
  },
}));
