/**
 * History `#/calls`: server-side filtered pages (newest first, paged by `before` call id)
 * plus live calls from the feed that match the current filter.
 */
import { create } from 'zustand';
import type { CallsExport, CallsExportQuery, CallsQuery, CallsTotal } from '../../src-shared/ipc/telephony';
import type { Call, FeedItem } from '../../src-shared/wire';
import { call, toAppError } from '../api';
import { normalizePhone } from '../format';
import { appendPage, applyFeedBatch, emptyCallList, replaceCall, type CallFilter, type CallList } from './callsModel';
import { localTimeZone } from './stats';

export const PAGE_SIZE = 1000;

interface HistoryStore {
  filter: CallFilter;
  list: CallList;
  loading: boolean;
  hasMore: boolean;
  /** How many calls match the filter in all (from the first page, plus live calls since). */
  total: CallsTotal | null;
  error: string | null;
  /** Bumps on every new query so late pages of an old query are ignored. */
  generation: number;
  setFilter(f: CallFilter): Promise<void>;
  reload(): Promise<void>;
  loadMore(): Promise<void>;
  /** Feed items in the order they came (a batch: one update of the list). */
  applyFeed(items: FeedItem[]): void;
  /** A newer copy of a listed call from a request's answer (a saved comment). */
  applyCall(call: Call): void;
}

/**
 * What is sent as `search`: a whole phone number however typed ("8 (916) 123-45-67",
 * "89161234567") becomes its E.164 form so it matches stored numbers; anything else as typed.
 */
export function searchTerm(raw: string | undefined): string | undefined {
  const s = raw?.trim();
  if (!s) return undefined;
  if (/^[\d\s()+.-]+$/.test(s) && s.replace(/\D/g, '').length >= 10) {
    const n = normalizePhone(s);
    if (n && n.startsWith('+')) return n;
  }
  return s;
}

export function toQuery(f: CallFilter, before?: number, limit = PAGE_SIZE): CallsQuery {
  const q: CallsQuery = { limit };
  if (before != null) q.before = before;
  if (f.direction) q.direction = f.direction;
  if (f.result) q.status = f.result;
  if (f.employeeId != null) q.employeeId = f.employeeId;
  if (f.since) q.since = f.since;
  if (f.until) q.until = f.until;
  const search = searchTerm(f.search);
  if (search) q.search = search;
  return q;
}

/** The export of what the list shows: the same filter, every page, times on this computer's clock. */
export function toExportQuery(f: CallFilter): CallsExportQuery {
  const q: CallsQuery = toQuery(f);
  delete q.limit;
  const tz = localTimeZone();
  return tz ? { ...q, tz } : q;
}

/** «Выгрузить в CSV»: the relay's file for the history's current filter. */
export function exportHistory(): Promise<CallsExport> {
  return call('calls:export', toExportQuery(useHistory.getState().filter));
}

export const useHistory = create<HistoryStore>((set, get) => ({
  filter: {},
  list: emptyCallList(),
  loading: false,
  hasMore: true,
  total: null,
  error: null,
  generation: 0,

  async setFilter(f) {
    set({ filter: f });
    await get().reload();
  },

  async reload() {
    const generation = get().generation + 1;
    set({ generation, loading: true, error: null, list: emptyCallList(), hasMore: true, total: null });
    try {
      const { calls, total } = await call('calls:list', toQuery(get().filter));
      if (get().generation !== generation) return;
      // Live items may have come in while loading.
      set({ list: { ...get().list, calls: appendPage(get().list.calls, calls) }, hasMore: calls.length >= PAGE_SIZE, total: total ?? null, loading: false });
    } catch (e) {
      if (get().generation !== generation) return;
      set({ loading: false, error: toAppError(e).message, hasMore: false });
    }
  },

  async loadMore() {
    const st = get();
    if (st.loading || !st.hasMore) return;
    const last = st.list.calls[st.list.calls.length - 1];
    if (!last) return st.reload();
    const generation = st.generation;
    set({ loading: true });
    try {
      const { calls } = await call('calls:list', toQuery(st.filter, last.id));
      if (get().generation !== generation) return;
      set({ list: { ...get().list, calls: appendPage(get().list.calls, calls) }, hasMore: calls.length >= PAGE_SIZE, loading: false });
    } catch (e) {
      if (get().generation !== generation) return;
      set({ loading: false, error: toAppError(e).message });
    }
  },

  applyFeed(items) {
    const st = get();
    const next = applyFeedBatch(st.list, items, st.filter);
    if (next === st.list) return;
    const added = next.calls.length - st.list.calls.length;
    set({ list: next, total: st.total && added > 0 ? { ...st.total, count: st.total.count + added } : st.total });
  },

  applyCall(call) {
    const list = get().list;
    const next = replaceCall(list, call);
    if (next !== list) set({ list: next });
  },
}));
