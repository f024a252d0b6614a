/**
 * Pure reducers for call lists fed by the core's `feed` events: ordering (newest first),
 * dedupe by call id, stale-update protection by feed item id, and client-side filter
 * matching so live calls land only in lists they belong to. No api, no DOM: unit-tested.
 */
import type { Call, CallDirection, Contact, FeedItem } from '../../src-shared/wire';
import { normalizePhone } from '../../src-shared/phone';

export interface CallFilter {
  direction?: CallDirection;
  /** Call status: answered, missed (incoming nobody took), unanswered (outgoing nobody picked up). */
  result?: 'answered' | 'missed' | 'unanswered';
  employeeId?: number;
  /** Inclusive ISO bounds on startedAt. */
  since?: string;
  until?: string;
  search?: string;
}

export interface CallList {
  calls: Call[];
  /** Highest feed item id applied per call id, so a replayed older state never wins. */
  feedIdByCall: Record<number, number>;
}

export const emptyCallList = (): CallList => ({ calls: [], feedIdByCall: {} });

function ts(s: string): number {
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : t;
}

/** Newest first: by start time, then by id (later ids are newer on ties). */
export function compareCalls(a: Call, b: Call): number {
  const d = ts(b.startedAt) - ts(a.startedAt);
  return d !== 0 ? d : b.id - a.id;
}

/** Index where `call` belongs in a newest-first sorted list (binary search). */
function insertionIndex(list: Call[], call: Call): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCalls(list[mid], call) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts or replaces a call by id, keeping newest-first order. Returns a new array. */
export function upsertCall(list: Call[], call: Call): Call[] {
  const existing = list.findIndex((c) => c.id === call.id);
  const next = existing >= 0 ? list.slice(0, existing).concat(list.slice(existing + 1)) : list.slice();
  next.splice(insertionIndex(next, call), 0, call);
  return next;
}

/**
 * Replaces a call the list shows with a newer copy from a request's answer (a saved comment):
 * never adds one, leaves the feed ids alone. No-op (same object) when the list lacks it.
 */
export function replaceCall(state: CallList, call: Call): CallList {
  const i = state.calls.findIndex((c) => c.id === call.id);
  if (i < 0) return state;
  const calls = state.calls.slice();
  calls[i] = call;
  return { ...state, calls };
}

/** Removes a call by id (no-op when absent). */
export function removeCall(list: Call[], id: number): Call[] {
  const i = list.findIndex((c) => c.id === id);
  if (i < 0) return list;
  return list.slice(0, i).concat(list.slice(i + 1));
}

/**
 * Appends a fetched page (older calls) to a list, dropping ids already present (a call may
 * have arrived live and also be in the page) and keeping order.
 */
export function appendPage(list: Call[], page: Call[]): Call[] {
  if (page.length === 0) return list;
  const seen = new Set(list.map((c) => c.id));
  const fresh = page.filter((c) => !seen.has(c.id));
  if (fresh.length === 0) return list;
  const merged = list.concat(fresh);
  // Pages come newest first and older than what we have: check the seams only, sort if broken.
  const seamOk = list.length === 0 || compareCalls(list[list.length - 1], fresh[0]) <= 0;
  let pageOk = true;
  for (let i = 1; i < fresh.length && pageOk; i++) pageOk = compareCalls(fresh[i - 1], fresh[i]) <= 0;
  return seamOk && pageOk ? merged : merged.sort(compareCalls);
}

export function isMissedLike(call: Call): boolean {
  return call.status === 'missed' || call.status === 'unanswered';
}

/** Whether a call passes a filter; `contactName` lets live calls match a search by name. */
export function matchesFilter(call: Call, f: CallFilter, contact?: Pick<Contact, 'name' | 'company'> | null): boolean {
  if (f.direction && call.direction !== f.direction) return false;
  if (f.result && call.status !== f.result) return false;
  if (f.employeeId != null && call.employee?.id !== f.employeeId) return false;
  const t = ts(call.startedAt);
  if (f.since && t < ts(f.since)) return false;
  if (f.until && t > ts(f.until)) return false;
  const q = f.search?.trim().toLowerCase();
  if (q) {
    const qDigits = q.replace(/\D/g, '');
    const numbers = [call.clientNumber, call.from.number, call.to.number, call.from.extension, call.to.extension]
      .filter((x): x is string => !!x)
      .map((x) => x.replace(/\D/g, ''));
    const byNumber = qDigits.length >= 2 && numbers.some((n) => n.includes(qDigits) || n.includes(qDigitsAsRu(qDigits)));
    const hay = [contact?.name, contact?.company, call.employee?.name, call.comment?.text].filter(Boolean).join(' ').toLowerCase();
    const byName = hay.includes(q);
    if (!byNumber && !byName) return false;
  }
  return true;
}

/** "8916…" typed by a person matches "+7916…" stored. */
function qDigitsAsRu(d: string): string {
  return d.length >= 2 && d[0] === '8' ? '7' + d.slice(1) : d;
}

/**
 * Applies one feed item to a call list. Call items are upserted (or dropped when they no
 * longer match the filter); items older than what was already applied for that call are
 * ignored; other kinds leave the list unchanged.
 */
export function applyFeedToList(state: CallList, item: FeedItem, filter: CallFilter = {}): CallList {
  return applyFeedBatch(state, [item], filter);
}

/**
 * Applies a batch of feed items in id order (the core delivers them in order; replay may repeat)
 * as applyFeedToList would one by one, in one pass: a replay of thousands of calls copies the
 * list once, not once per item. The same object back when nothing changed.
 */
export function applyFeedBatch(state: CallList, items: FeedItem[], filter: CallFilter = {}): CallList {
  let feedIdByCall: Record<number, number> | null = null;
  /** Per call touched: its newest copy if it belongs in the list, else null (it leaves). */
  const latest = new Map<number, Call | null>();
  for (const item of items.length > 1 ? items.slice().sort((a, b) => a.id - b.id) : items) {
    const p = item.payload;
    if (p.kind !== 'call') continue;
    const call = p.call;
    const prev = (feedIdByCall ?? state.feedIdByCall)[call.id];
    if (prev != null && item.id <= prev) continue;
    feedIdByCall ??= { ...state.feedIdByCall };
    feedIdByCall[call.id] = item.id;
    latest.set(call.id, matchesFilter(call, filter, p.contact) ? call : null);
  }
  if (!feedIdByCall) return state;
  // A live update touches a call or two: in place. A replay touches thousands: one filter, one merge.
  if (latest.size <= 16) {
    let calls = state.calls;
    for (const [id, call] of latest) calls = call ? upsertCall(calls, call) : removeCall(calls, id);
    return { calls, feedIdByCall };
  }
  const kept = state.calls.filter((c) => !latest.has(c.id));
  const added = [...latest.values()].filter((c): c is Call => c !== null).sort(compareCalls);
  return { calls: mergeNewestFirst(kept, added), feedIdByCall };
}

/** Two newest-first lists as one. */
function mergeNewestFirst(a: Call[], b: Call[]): Call[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: Call[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(compareCalls(a[i], b[j]) <= 0 ? a[i++] : b[j++]);
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

/** Keeps a contact index by normalized phone, for showing names next to numbers. */
export function indexContacts(contacts: Contact[]): Map<string, Contact> {
  const m = new Map<string, Contact>();
  for (const c of contacts) {
    for (const ph of c.phones) {
      const n = normalizePhone(ph);
      if (n) m.set(n, c);
    }
  }
  return m;
}
