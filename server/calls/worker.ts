import type { Db, Queryable } from '../db/db';
import type { Logger } from '../log';
import type { Call } from '../../src-shared/wire';
import { reduceCall, type ReducedCall } from './reduce';
import { toCallView, withComment } from './view';
import { involved, missedUnseen, popupAudience, Staff } from './audience';
import { feedItems } from './feed-items';
import { afterEffects, loadListeners, lockAndLoad, writeCalls, type CallRecord, type EmployeeListener, type EntriesState, type EntryState } from './call-store';
import { appendFeed, type FeedDelivery, type StoredFeedItem } from '../hub/feed-store';
import type { IncomingEvent } from '../ingest/batcher';

const YIELD_MAX_MS = 500;
const YIELD_POLL_MS = 5;
const REDUCIBLE = ['events/call', 'events/summary', 'events/recording', 'events/record/added', 'simple', 'stats/row', 'internal/finalize'];

export interface CallChange {
  callId: number;
  prev: ReducedCall | null;
  next: ReducedCall;
}

/** What one reduction wrote: call changes and feed items, published only after its commit. */
interface Reduction {
  changes: CallChange[];
  /** Settled by the time the transaction has committed (Db.tx checks every statement). */
  feed: Promise<StoredFeedItem[]>;
}

/**
 * Turns the durable event log into call records and feed items. Ingest reduces the calls of
 * its batch inside the batch's own transaction (one commit from webhook to feed item); the
 * background loop reduces whatever is left: events committed before a crash, events whose
 * inline reduction failed, reconciled rows. Several instances may run both: rows are claimed
 * with SKIP LOCKED, calls are locked per entry, and each call is recomputed from all its
 * events. A batch costs a fixed number of queries, not a few per call.
 */
export class CallReducer {
  private running = false;
  private again = false;
  private idle: Array<() => void> = [];
  private changeListeners: Array<(changes: CallChange[]) => void> = [];
  /** This instance's hub: receives the feed items after their commit, for its own sockets. */
  localFeed: FeedDelivery | null = null;
  /**
   * True during an ingest burst. The background loop then waits (up to YIELD_MAX_MS per batch)
   * so the burst is acknowledged first: each sender's 200 waits for a commit, and the events of
   * a burst (a backlog Mango resends) are old anyway; they are reduced as soon as it eases, and
   * the wait is bounded, so reduction never stops under sustained load.
   */
  ingestBurst: (() => boolean) | null = null;
  /**
   * «Включить телефонию» (#/mango). Off: calls are still recorded in their participants'
   * history, but nobody is rung in the app (no popups, no missed call offered).
   */
  telephonyOn: () => Promise<boolean> = async () => true;

  constructor(
    private db: Db,
    private log: Logger,
  ) {}

  /** Calls `listener` with every batch of call changes, after their commit. */
  addChangeListener(listener: (changes: CallChange[]) => void): void {
    this.changeListeners.push(listener);
  }

  schedule(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  /** Resolves when no reduction is running or queued (tests, shutdown). */
  whenIdle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private async loop(): Promise<void> {
    try {
      for (let i = 0; i < 10_000; i++) {
        await this.yieldToIngest();
        this.again = false;
        const n = await this.runBatch();
        if (n === 0 && !this.again) break;
      }
    } catch (err) {
      this.log.error({ err }, 'call reduction failed; will retry');
      setTimeout(() => this.schedule(), 1000).unref();
    } finally {
      this.running = false;
      for (const r of this.idle.splice(0)) r();
    }
  }

  private async yieldToIngest(): Promise<void> {
    for (let waited = 0; waited < YIELD_MAX_MS && this.ingestBurst?.(); waited += YIELD_POLL_MS) {
      await new Promise((r) => setTimeout(r, YIELD_POLL_MS));
    }
  }

  /** Reduces one batch of pending events; returns how many were claimed. */
  async runBatch(limit = 1000): Promise<number> {
    let result: Reduction | null = null;
    const claimed = await this.db.tx(async (q) => {
      // Claimed and taken off the queue in one statement; back on it if the reduction fails
      // (rolled back with the rest). = ANY(ARRAY(…)), not a join: the planner then looks the
      // claimed ids up by primary key instead of scanning the whole table.
      const pending = (
        await q.query<{ id: number; kind: string; entry_id: string | null }>(
          `WITH claimed AS (
             DELETE FROM reduce_queue WHERE event_id = ANY(ARRAY(
               SELECT event_id FROM reduce_queue ORDER BY event_id LIMIT $1 FOR UPDATE SKIP LOCKED
             )) RETURNING event_id
           )
           SELECT id, kind, entry_id FROM mango_events WHERE id = ANY(ARRAY(SELECT event_id FROM claimed))`,
          [limit],
        )
      ).rows;
      if (pending.length === 0) return 0;
      const entries = [...new Set(pending.filter((p) => p.entry_id && REDUCIBLE.includes(p.kind)).map((p) => p.entry_id as string))].sort();
      if (entries.length) result = await this.reduceEntries(q, entries);
      return pending.length;
    });
    if (result) await this.publish(result);
    return claimed;
  }

  /**
   * Reduces the calls of events ingest is inserting (not queued), inside ingest's transaction.
   * If it throws, ingest rolls the batch back and stores it again queued for the background
   * loop (see EventBatcher), so a reduction bug never fails a webhook. Returns what to run once
   * the transaction committed.
   */
  async reduceInline(q: Queryable, batch: IncomingEvent[], insertedCount: Promise<number>): Promise<() => Promise<void>> {
    const entries = [...new Set(batch.filter((e) => e.entryId && REDUCIBLE.includes(e.kind)).map((e) => e.entryId as string))].sort();
    if (entries.length === 0) return async () => {};
    // Locked and loaded in the INSERT's round trip; the load runs after it, so it sees the new rows.
    const [inserted, loaded] = await Promise.all([insertedCount, lockAndLoad(q, entries, REDUCIBLE)]);
    if (inserted === 0) return async () => {}; // all duplicates: their calls are reduced already
    const result = await this.reduceEntries(q, entries, loaded);
    return async () => {
      if (result) await this.publish(result);
    };
  }

  /** After the commit: a failure here is logged, never turned into a failed (and resent) webhook. */
  private async publish(r: Reduction) {
    try {
      const feed = await r.feed;
      if (feed.length) this.localFeed?.deliver(feed);
      if (r.changes.length) for (const l of this.changeListeners) l(r.changes);
    } catch (err) {
      this.log.error({ err }, 'committed call changes could not be published');
    }
  }

  private async reduceEntries(q: Queryable, entries: string[], loaded?: EntriesState): Promise<Reduction | null> {
    const { rev, rows: prevRows } = loaded ?? (await lockAndLoad(q, entries, REDUCIBLE));
    const byEntry = new Map(prevRows.map((r) => [r.entry_id, (r.events ?? []).map((x) => ({ id: Number(x.id), kind: x.kind, payload: x.payload }))]));
    const prevByEntry = new Map(prevRows.map((r) => [r.entry_id, { id: Number(r.id), reduced: r.reduced, comment: r.comment }]));
    // Who already had each call in their feed: they keep getting its updates.
    const before = new Map(prevRows.map((r) => [Number(r.id), new Set((r.audience ?? []).map(Number))]));
    const offeredBefore = new Map(prevRows.map((r) => [Number(r.id), (r.offered ?? []).map(Number)]));

    const changed: { entryId: string; prev: ReducedCall | null; next: ReducedCall; id: number; comment: EntryState['comment'] }[] = [];
    for (const entryId of entries) {
      let next: ReducedCall | null;
      try {
        next = reduceCall(entryId, byEntry.get(entryId) ?? []);
      } catch (err) {
        this.log.warn({ err, entryId }, 'events of a call could not be reduced');
        continue;
      }
      if (!next) continue;
      const prev = prevByEntry.get(entryId);
      if (!prev) continue; // cannot happen: lockAndLoad returns a row per entry
      if (prev.reduced && JSON.stringify(prev.reduced) === JSON.stringify(next)) continue;
      changed.push({ entryId, prev: prev.reduced ?? null, next, id: prev.id, comment: prev.comment });
    }
    if (changed.length === 0) return null;

    const [staff, ringing] = await Promise.all([this.staff(q, rev), this.telephonyOn()]);
    const nameOfExtension = (ext: string) => {
      const e = staff.byExtension(ext)[0];
      return e ? { id: e.id, name: e.name } : null;
    };
    const views = new Map<string, Call>();
    const rows: CallRecord[] = [];
    for (const c of changed) {
      const emp = staff.byExtension(c.next.employeeExtension)[0] ?? null;
      const view = toCallView(c.id, c.next, emp ? { id: emp.id, name: emp.name, extension: emp.extension } : null, nameOfExtension);
      // Stored without the comment (it lives in call_comments); sent with it, or the apps'
      // copies of a commented call would lose it on the call's next event.
      views.set(c.entryId, withComment(view, c.comment));
      rows.push({ id: c.id, entryId: c.entryId, call: c.next, employeeId: emp?.id ?? null, view });
    }
    const plans = changed
      .map((c) => {
        const popups = ringing ? popupAudience(c.next, staff) : new Set<number>();
        const had = before.get(c.id) ?? new Set<number>();
        // Offered before, not merely in the audience: a hang-up reduced before its ringing (events
        // out of order) already lists the rung employee as involved, without any popup.
        const unseen = ringing ? missedUnseen(c.next, staff, new Set(offeredBefore.get(c.id) ?? [])) : [];
        const took = involved(c.next, staff);
        const audience = new Set<number>([...popups, ...had, ...took, ...unseen]);
        // Offered the call, now or before: had its popup, or would have had it had it lasted (its missed call).
        const offered = new Set<number>([...popups, ...unseen, ...(offeredBefore.get(c.id) ?? [])]);
        return { callId: c.id, call: c.next, view: views.get(c.entryId)!, popups, offered, involved: took, audience };
      })
      .filter((p) => p.audience.size > 0);
    const aCall: number[] = [];
    const aEmp: number[] = [];
    const aPopup: boolean[] = [];
    for (const p of plans)
      for (const employeeId of p.audience) {
        aCall.push(p.callId);
        aEmp.push(employeeId);
        aPopup.push(p.offered.has(employeeId));
      }
    const numbers = [...new Set(plans.map((p) => p.call.clientNumber).filter((n): n is string => !!n))];
    // Independent writes, issued together: one round trip.
    const [cards] = await Promise.all([
      writeCalls(q, rows, { callIds: aCall, employeeIds: aEmp, popups: aPopup }, numbers),
      afterEffects(q, changed.map((c) => c.next)),
    ]);
    // Left in flight: the COMMIT goes out right behind it, so the feed lock is held one round trip.
    // Its failure fails the transaction (Db.tx checks every statement); publish then never reads
    // it, so it must not count as an unhandled rejection (which would end the process).
    const feed = appendFeed(q, feedItems(plans, cards), this.localFeed?.instanceId);
    feed.catch(() => {});
    return { changes: changed.map((c) => ({ callId: c.id, prev: c.prev, next: c.next })), feed };
  }

  private staffCache: { rev: number; staff: Staff<EmployeeListener> } | null = null;

  /** Employees as the audience rules see them, re-read only when employees_rev moved. */
  private async staff(q: Queryable, rev: number): Promise<Staff<EmployeeListener>> {
    if (this.staffCache?.rev === rev) return this.staffCache.staff;
    const staff = new Staff(await loadListeners(q));
    this.staffCache = { rev, staff };
    return staff;
  }
}

