/** The main page: today's calls and the missed-call reminders ("Перезвонить"). */
import { create } from 'zustand';
import type { Call, FeedItem } from '../../src-shared/wire';
import { call } from '../api';
import { startOfDay } from '../format';
import { applyFeedBatch, emptyCallList, replaceCall, upsertCall, type CallList } from './callsModel';

interface HomeStore {
  today: CallList;
  todayLoaded: boolean;
  todayError: string | null;
  dayStart: string;
  /** The core's last read of the relay's missed calls, less those dismissed here. */
  missed: Call[];
  missedLoaded: boolean;
  /** Taken off with «×» (the «Отменить» toast up, or sent): a read started before is not to bring them back. */
  dismissed: Set<number>;
  loadMissed(): Promise<void>;
  /** A read of the core (its `missed` event): the list the badge was counted from. */
  applyMissed(calls: Call[]): void;
  loadToday(): Promise<void>;
  /** «×» on a caller's row: their calls off the list at once; final only with dismissMissed. */
  hideMissed(callIds: number[]): Call[];
  /** «Отменить»: the hidden calls come back, nothing is sent. */
  restoreMissed(calls: Call[]): void;
  /** Makes the dismissal final at the core/relay; a refusal brings the calls back. */
  dismissMissed(callIds: number[]): Promise<void>;
  /** Feed items in the order they came (a batch: one update of the lists). */
  applyFeed(items: FeedItem[]): void;
  /** A newer copy of a call from a request's answer (a saved comment). */
  applyCall(call: Call): void;
}

/** Bumped by each `missed` event: an answer to loadMissed older than an event is not applied. */
let missedEvents = 0;

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

  // The core answers with its newest read and sends the same as an event, which also comes
  // for reads of its own: the list follows exactly what the badge was counted from.
  async loadMissed() {
    const before = missedEvents;
    try {
      const calls = await call('missed:list');
      if (missedEvents === before) get().applyMissed(calls);
    } catch {
      set({ missedLoaded: true });
    }
  },

  applyMissed(calls) {
    missedEvents++;
    const dismissed = get().dismissed;
    set({ missed: calls.filter((c) => !dismissed.has(c.id)), missedLoaded: true });
  },

  hideMissed(callIds) {
    const st = get();
    const ids = new Set(callIds);
    const hidden = st.missed.filter((c) => ids.has(c.id));
    const dismissed = new Set(st.dismissed);
    for (const id of callIds) dismissed.add(id);
    set({ missed: st.missed.filter((c) => !ids.has(c.id)), dismissed });
    return hidden;
  },

  restoreMissed(calls) {
    const st = get();
    const dismissed = new Set(st.dismissed);
    let missed = st.missed;
    for (const c of calls) {
      dismissed.delete(c.id);
      missed = upsertCall(missed, c);
    }
    set({ missed, dismissed });
  },

  async dismissMissed(callIds) {
    const hidden = get().hideMissed(callIds);
    try {
      await call('missed:dismiss', { callIds });
    } catch (e) {
      if (hidden.length) get().restoreMissed(hidden);
      const dismissed = new Set(get().dismissed);
      for (const id of callIds) dismissed.delete(id);
      set({ dismissed });
      throw e;
    }
    // The core re-reads the list and the badge together after the dismissal.
  },

  applyFeed(items) {
    const calls = items.filter((it) => it.payload.kind === 'call');
    if (calls.length === 0) return;
    const st = get();
    // A new day started while the app stayed open: today's list starts over.
    const dayStart = startOfDay(new Date()).toISOString();
    const today = dayStart !== st.dayStart ? emptyCallList() : st.today;
    // The missed list is not changed from the feed here: the core re-reads it when a call ends
    // (its `missed` event), so the list and the badge stay one read.
    set({ dayStart, today: applyFeedBatch(today, calls, { since: dayStart }) });
  },

  applyCall(call) {
    const st = get();
    const today = replaceCall(st.today, call);
    const i = st.missed.findIndex((c) => c.id === call.id);
    const missed = i < 0 ? st.missed : st.missed.map((c) => (c.id === call.id ? call : c));
    if (today !== st.today || missed !== st.missed) set({ today, missed });
  },
}));
