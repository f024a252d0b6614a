import type { Db, Queryable } from '../db/db';
import type { Logger } from '../log';
import type { Call, Contact, FeedPayload } from '../../src-shared/wire';
import { reduceCall, type ReducedCall, type StoredEvent } from './reduce';
import { toCallView } from './view';
import { involved, popupAudience, Staff, type Listener } from './audience';
import { appendFeed, type StoredFeedItem } from '../hub/feed-store';
import type { InsertedEvent } from '../ingest/batcher';
import { toContact, type ContactRow } from '../people/contacts';

const REDUCIBLE = ['events/call', 'events/summary', 'events/recording', 'events/record/added', 'simple', 'stats/row', 'internal/finalize'];

export interface CallChange {
  callId: number;
  prev: ReducedCall | null;
  next: ReducedCall;
}

interface EmployeeListener extends Listener {
  name: string;
}

/** What one reduction wrote: call changes and feed items, published only after its commit. */
interface Reduction {
  changes: CallChange[];
  feed: StoredFeedItem[];
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
  /** Receives feed items after their commit (the hub delivers them to local sockets). */
  onFeed: ((items: StoredFeedItem[]) => void) | null = null;

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

  /** Reduces one batch of pending events; returns how many were claimed. */
  async runBatch(limit = 1000): Promise<number> {
    let result: Reduction | null = null;
    const claimed = await this.db.tx(async (q) => {
      const pending = (
        await q.query<{ id: number; kind: string; entry_id: string | null }>(
          'SELECT id, kind, entry_id FROM mango_events WHERE NOT reduced ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
          [limit],
        )
      ).rows;
      if (pending.length === 0) return 0;
      const entries = [...new Set(pending.filter((p) => p.entry_id && REDUCIBLE.includes(p.kind)).map((p) => p.entry_id as string))].sort();
      await q.query('UPDATE mango_events SET reduced = true WHERE id = ANY($1::bigint[])', [pending.map((p) => p.id)]);
      if (entries.length) result = await this.reduceEntries(q, entries);
      return pending.length;
    });
    if (result) this.publish(result);
    return claimed;
  }

  /**
   * Reduces the calls of events ingest has just inserted (already marked reduced), inside
   * ingest's transaction. If it throws, ingest rolls the batch back and stores it again
   * unreduced for the background loop (see EventBatcher), so a reduction bug never fails a
   * webhook. Returns what to run once the transaction committed.
   */
  async reduceInline(q: Queryable, events: InsertedEvent[]): Promise<() => void> {
    const entries = [...new Set(events.filter((e) => e.entryId && REDUCIBLE.includes(e.kind)).map((e) => e.entryId as string))].sort();
    if (entries.length === 0) return () => {};
    const result = await this.reduceEntries(q, entries);
    return () => {
      if (result) this.publish(result);
    };
  }

  private publish(r: Reduction) {
    if (r.feed.length) this.onFeed?.(r.feed);
    if (r.changes.length) for (const l of this.changeListeners) l(r.changes);
  }

  private async reduceEntries(q: Queryable, entries: string[]): Promise<Reduction | null> {
    // Another instance reducing the same call waits here, then recomputes from all events.
    const rev = Number(
      (
        await q.query<{ rev: number }>(
          `SELECT (SELECT rev FROM employees_rev) AS rev, (SELECT count(pg_advisory_xact_lock(hashtext(e))) FROM (SELECT e FROM unnest($1::text[]) AS e ORDER BY e) s) AS locked`,
          [entries],
        )
      ).rows[0].rev,
    );
    // Per entry: its events, its existing call with the last reduction and audience; an entry
    // without a call gets an id reserved here (unused if it yields no call), so each view,
    // which carries the id, is written once.
    const prevRows = (
      await q.query<{ id: number; entry_id: string; reduced: ReducedCall | null; audience: number[] | null; events: StoredEvent[] | null }>(
        `SELECT e AS entry_id, COALESCE(c.id, nextval(pg_get_serial_sequence('calls', 'id'))) AS id, c.reduced,
           (SELECT array_agg(a.employee_id) FROM call_audience a WHERE a.call_id = c.id) AS audience,
           (SELECT json_agg(json_build_object('id', m.id, 'kind', m.kind, 'payload', m.payload) ORDER BY m.id)
              FROM mango_events m WHERE m.entry_id = e AND m.kind = ANY($2::text[])) AS events
         FROM unnest($1::text[]) AS e LEFT JOIN calls c ON c.entry_id = e`,
        [entries, REDUCIBLE],
      )
    ).rows;
    const byEntry = new Map(prevRows.map((r) => [r.entry_id, (r.events ?? []).map((x) => ({ id: Number(x.id), kind: x.kind, payload: x.payload }))]));
    const prevByEntry = new Map(prevRows.map((r) => [r.entry_id, { id: Number(r.id), reduced: r.reduced }]));
    // Who already had each call in their feed: they keep getting its updates.
    const before = new Map(prevRows.map((r) => [Number(r.id), new Set((r.audience ?? []).map(Number))]));

    const changed: { entryId: string; prev: ReducedCall | null; next: ReducedCall; id: number }[] = [];
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
      if (prev?.reduced && JSON.stringify(prev.reduced) === JSON.stringify(next)) continue;
      if (!prev) continue; // cannot happen: every entry has a row above
      changed.push({ entryId, prev: prev.reduced ?? null, next, id: prev.id });
    }
    if (changed.length === 0) return null;

    const staff = await this.staff(q, rev);
    const at = (u: number | null) => (u ? new Date(u * 1000).toISOString() : null);
    const views = new Map<string, Call>();
    const cols: unknown[][] = Array.from({ length: 26 }, () => []);
    for (const c of changed) {
      const n = c.next;
      const emp = staff.byExtension(n.employeeExtension)[0] ?? null;
      const view = toCallView(c.id, n, emp ? { id: emp.id, name: emp.name, extension: emp.extension } : null);
      views.set(c.entryId, view);
      const row = [
        c.id, c.entryId, n.direction, n.status, n.phase, n.fromNumber, n.fromExtension, n.toNumber, n.toExtension, n.lineNumber,
        n.clientNumber, emp?.id ?? null, n.answeredExtension, JSON.stringify(n.participants), JSON.stringify(n.ringing),
        at(n.startedAt) ?? new Date(0).toISOString(), at(n.answeredAt), at(n.endedAt), n.talkSeconds, n.waitSeconds,
        n.disconnectReason, JSON.stringify(n.recordings), n.reconciled, n.groupCall, JSON.stringify(view), JSON.stringify(n),
      ];
      row.forEach((v, i) => cols[i].push(v));
    }
    const plans = changed
      .map((c) => {
        const popups = popupAudience(c.next, staff);
        const audience = new Set<number>([...popups, ...(before.get(c.id) ?? []), ...involved(c.next, staff)]);
        return { callId: c.id, call: c.next, view: views.get(c.entryId)!, popups, audience };
      })
      .filter((p) => p.audience.size > 0);
    const aCall: number[] = [];
    const aEmp: number[] = [];
    const aPopup: boolean[] = [];
    for (const p of plans)
      for (const employeeId of p.audience) {
        aCall.push(p.callId);
        aEmp.push(employeeId);
        aPopup.push(p.popups.has(employeeId));
      }
    const numbers = [...new Set(plans.map((p) => p.call.clientNumber).filter((n): n is string => !!n))];
    // One statement: the call records, who hears of each, and the caller's card and last calls
    // for the popups (read as before this statement: a popup lists the caller's other calls).
    const cards = (
      await q.query<ContactRow & { number: string; recent: { id: number; view: Call }[] | null }>(
        `WITH ins AS (
           INSERT INTO calls (id, entry_id, direction, status, phase, from_number, from_extension, to_number, to_extension, line_number,
         client_number, employee_id, answered_extension, participants, ringing, started_at, answered_at, ended_at, talk_seconds,
         wait_seconds, disconnect_reason, recordings, reconciled, group_call, view, reduced)
       SELECT id, entry_id, direction, status, phase, from_number, from_extension, to_number, to_extension, line_number,
         client_number, employee_id, answered_extension, participants::jsonb, ringing::jsonb, started_at, answered_at, ended_at, talk_seconds,
         wait_seconds, disconnect_reason, recordings::jsonb, reconciled, group_call, view::jsonb, reduced::jsonb
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
         $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::int[],
         $20::int[], $21::int[], $22::text[], $23::boolean[], $24::boolean[], $25::text[], $26::text[])
         AS t(id, entry_id, direction, status, phase, from_number, from_extension, to_number, to_extension, line_number,
         client_number, employee_id, answered_extension, participants, ringing, started_at, answered_at, ended_at, talk_seconds,
         wait_seconds, disconnect_reason, recordings, reconciled, group_call, view, reduced)
       ON CONFLICT (entry_id) DO UPDATE SET direction = EXCLUDED.direction, status = EXCLUDED.status, phase = EXCLUDED.phase,
         from_number = EXCLUDED.from_number, from_extension = EXCLUDED.from_extension, to_number = EXCLUDED.to_number,
         to_extension = EXCLUDED.to_extension, line_number = EXCLUDED.line_number, client_number = EXCLUDED.client_number,
         employee_id = EXCLUDED.employee_id, answered_extension = EXCLUDED.answered_extension, participants = EXCLUDED.participants,
         ringing = EXCLUDED.ringing, started_at = EXCLUDED.started_at, answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at,
         talk_seconds = EXCLUDED.talk_seconds, wait_seconds = EXCLUDED.wait_seconds, disconnect_reason = EXCLUDED.disconnect_reason,
         recordings = EXCLUDED.recordings, reconciled = EXCLUDED.reconciled, group_call = EXCLUDED.group_call, view = EXCLUDED.view,
         reduced = EXCLUDED.reduced, updated_at = now()
           RETURNING id
         ), aud AS (
           INSERT INTO call_audience (call_id, employee_id, popup) SELECT * FROM unnest($27::bigint[], $28::bigint[], $29::boolean[])
           ON CONFLICT (call_id, employee_id) DO UPDATE SET popup = EXCLUDED.popup
           RETURNING call_id
         )
         SELECT n AS number, k.*, r.recent FROM unnest($30::text[]) AS n
         LEFT JOIN LATERAL (SELECT c.* FROM contact_phones p JOIN contacts c ON c.id = p.contact_id
                            WHERE p.phone = n AND c.merged_into IS NULL ORDER BY c.id LIMIT 1) k ON true
         LEFT JOIN LATERAL (SELECT json_agg(json_build_object('id', x.id, 'view', x.view) ORDER BY x.started_at DESC) AS recent
                            FROM (SELECT id, view, started_at FROM calls WHERE client_number = n ORDER BY started_at DESC LIMIT 6) x) r ON true`,
        [...cols, aCall, aEmp, aPopup, numbers],
      )
    ).rows;

    await this.afterEffects(q, changed.map((c) => c.next));
    const feed = await appendFeed(q, feedItems(plans, cards));
    return { changes: changed.map((c) => ({ callId: c.id, prev: c.prev, next: c.next })), feed };
  }

  /** Side effects of finished calls: idle time for routing, and clearing "перезвонить" reminders. */
  private async afterEffects(q: Queryable, calls: ReducedCall[]) {
    const done = calls.filter((n) => n.status === 'answered' && n.answeredExtension && n.endedAt);
    if (done.length) {
      await q.query(
        `UPDATE employees e SET last_call_end_at = GREATEST(COALESCE(e.last_call_end_at, to_timestamp(0)), to_timestamp(t.ended))
         FROM unnest($1::text[], $2::float8[]) AS t(ext, ended) WHERE e.extension = t.ext`,
        [done.map((n) => n.answeredExtension), done.map((n) => n.endedAt)],
      );
    }
    // A call back to a missed caller clears the reminders for that number.
    const out = calls.filter((n) => n.direction === 'out' && n.clientNumber);
    if (out.length) {
      await q.query(
        `UPDATE calls c SET reminder_done = true FROM unnest($1::text[], $2::timestamptz[]) AS t(num, started)
         WHERE c.client_number = t.num AND c.status = 'missed' AND c.started_at <= t.started AND NOT c.reminder_done`,
        [out.map((n) => n.clientNumber), out.map((n) => new Date(n.startedAt * 1000).toISOString())],
      );
    }
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

async function loadListeners(q: Queryable): Promise<EmployeeListener[]> {
  const rows = (await q.query<{ id: number; name: string; extension: string | null; active: boolean; accept_calls: boolean }>('SELECT id, name, extension, active, accept_calls FROM employees')).rows;
  return rows.map((r) => ({ id: Number(r.id), name: r.name, extension: r.extension, active: r.active, acceptCalls: r.accept_calls }));
}

/** One feed item per employee who hears of a call: the call, popup or not, caller's card, last calls. */
function feedItems(
  plans: { callId: number; call: ReducedCall; view: Call; popups: Set<number>; audience: Set<number> }[],
  cards: (ContactRow & { number: string; recent: { id: number; view: Call }[] | null })[],
): { employeeId: number; payload: FeedPayload }[] {
  const byNumber = new Map(cards.map((r) => [r.number, r]));
  const items: { employeeId: number; payload: FeedPayload }[] = [];
  for (const p of plans) {
    const card = p.call.clientNumber ? byNumber.get(p.call.clientNumber) : undefined;
    const contact: Contact | null = card && card.id != null ? toContact(card) : null;
    const recentCalls = (card?.recent ?? []).filter((x) => Number(x.id) !== p.callId).slice(0, 5).map((x) => x.view);
    for (const employeeId of p.audience) items.push({ employeeId, payload: { kind: 'call', call: p.view, popup: p.popups.has(employeeId), contact, recentCalls } });
  }
  return items;
}
