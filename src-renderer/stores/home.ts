/** The main page: today's calls and the missed-call reminders ("Перезвонить"). */
import { create } from 'zustand';
import type { Call, FeedItem } from '../../src-shared/wire';
import { call } from '../api';
import { startOfDay } from '../format';
import { applyFeedBatch, applyFeedToMissed, emptyCallList, removeCall, replaceCall, type CallList } from './callsModel';

interface HomeStore {
  today: CallList;
  todayLoaded: boolean;
  todayError: string | null;
  dayStart: string;
  missed: Call[];
  missedLoaded: boolean;
  dismissed: Set<number>;
  loadToday(): Promise<void>;
  loadMissed(): Promise<void>;
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

  async dismissMissed(callId) {
    const before = get().missed;
    const dismissed = new Set(get().dismissed);
    dismissed.add(callId);
    set({ missed: removeCall(before, callId), dismissed });
    try {
      await call('missed:dismiss', { callId });
    } catch (e) {
      dismissed.delete(callId);
      set({ missed: before, dismissed: new Set(dismissed) });
      throw e;
    }
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
