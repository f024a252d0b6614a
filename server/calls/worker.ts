import type { Db, Queryable } from '../db/db';
import type { Logger } from '../log';
import type { Call, Contact, FeedPayload } from '../../src-shared/wire';
import { reduceCall, type ReducedCall, type StoredEvent } from './reduce';
import { toCallView } from './view';
import { involved, popupAudience, type Listener } from './audience';
import { appendFeed } from '../hub/feed-store';
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

/**
 * Turns the durable event log into call records and feed items. Runs after each ingest commit
 * and on start (events committed before a crash are reduced then). Several instances may run
 * it: rows are claimed with SKIP LOCKED, calls are locked per entry, and each call is
 * recomputed from all its events. A batch costs a fixed number of queries, not a few per call.
 */
export class CallReducer {
  private running = false;
  private again = false;
  private idle: Array<() => void> = [];
  onChange: ((changes: CallChange[]) => void) | null = null;

  constructor(
    private db: Db,
    private log: Logger,
  ) {}

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
    let changes: CallChange[] = [];
    const claimed = await this.db.tx(async (q) => {
      const pending = (
        await q.query<{ id: number; kind: string; entry_id: string | null }>(
          'SELECT id, kind, entry_id FROM mango_events WHERE NOT reduced ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
          [limit],
        )
      ).rows;
      if (pending.length === 0) return 0;
      const entries = [...new Set(pending.filter((p) => p.entry_id && REDUCIBLE.includes(p.kind)).map((p) => p.entry_id as string))].sort();
      if (entries.length) changes = await this.reduceEntries(q, entries);
      await q.query('UPDATE mango_events SET reduced = true WHERE id = ANY($1::bigint[])', [pending.map((p) => p.id)]);
      return pending.length;
    });
    if (changes.length && this.onChange) this.onChange(changes);
    return claimed;
  }

  private async reduceEntries(q: Queryable, entries: string[]): Promise<CallChange[]> {
    // Another instance reducing the same call waits here, then recomputes from all events.
    await q.query('SELECT pg_advisory_xact_lock(hashtext(e)) FROM unnest($1::text[]) AS e ORDER BY e', [entries]);
    const eventRows = (
      await q.query<StoredEvent & { entry_id: string }>(
        'SELECT id, kind, payload, entry_id FROM mango_events WHERE entry_id = ANY($1::text[]) AND kind = ANY($2::text[]) ORDER BY id',
        [entries, REDUCIBLE],
      )
    ).rows;
    const byEntry = new Map<string, StoredEvent[]>();
    for (const e of eventRows) {
      const list = byEntry.get(e.entry_id) ?? [];
      list.push({ id: Number(e.id), kind: e.kind, payload: e.payload });
      byEntry.set(e.entry_id, list);
    }
    const prevRows = (await q.query<{ id: number; entry_id: string; reduced: ReducedCall | null }>('SELECT id, entry_id, reduced FROM calls WHERE entry_id = ANY($1::text[])', [entries])).rows;
    const prevByEntry = new Map(prevRows.map((r) => [r.entry_id, { id: Number(r.id), reduced: r.reduced }]));

    const changed: { entryId: string; prev: ReducedCall | null; next: ReducedCall; id: number | null }[] = [];
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
      changed.push({ entryId, prev: prev?.reduced ?? null, next, id: prev?.id ?? null });
    }
    if (changed.length === 0) return [];

    // New calls get their ids first, so each view (which carries the id) is written once.
    const fresh = changed.filter((c) => c.id == null);
    if (fresh.length) {
      const ids = (await q.query<{ id: number }>("SELECT nextval(pg_get_serial_sequence('calls', 'id')) AS id FROM generate_series(1, $1)", [fresh.length])).rows;
      fresh.forEach((c, i) => (c.id = Number(ids[i].id)));
    }
    const employees = await loadListeners(q);
    const byExt = new Map(employees.filter((e) => e.extension).map((e) => [e.extension as string, e]));
    const at = (u: number | null) => (u ? new Date(u * 1000).toISOString() : null);
    const views = new Map<string, Call>();
    const cols: unknown[][] = Array.from({ length: 26 }, () => []);
    for (const c of changed) {
      const n = c.next;
      const emp = n.employeeExtension ? byExt.get(n.employeeExtension) ?? null : null;
      const view = toCallView(c.id!, n, emp ? { id: emp.id, name: emp.name, extension: emp.extension } : null);
      views.set(c.entryId, view);
      const row = [
        c.id, c.entryId, n.direction, n.status, n.phase, n.fromNumber, n.fromExtension, n.toNumber, n.toExtension, n.lineNumber,
        n.clientNumber, emp?.id ?? null, n.answeredExtension, JSON.stringify(n.participants), JSON.stringify(n.ringing),
        at(n.startedAt) ?? new Date(0).toISOString(), at(n.answeredAt), at(n.endedAt), n.talkSeconds, n.waitSeconds,
        n.disconnectReason, JSON.stringify(n.recordings), n.reconciled, n.groupCall, JSON.stringify(view), JSON.stringify(n),
      ];
      row.forEach((v, i) => cols[i].push(v));
    }
    await q.query(
      `INSERT INTO calls (id, entry_id, direction, status, phase, from_number, from_extension, to_number, to_extension, line_number,
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
         reduced = EXCLUDED.reduced, updated_at = now()`,
      cols,
    );

    await this.afterEffects(q, changed.map((c) => c.next));
    await this.notifyAudiences(q, changed.map((c) => ({ callId: c.id!, call: c.next, view: views.get(c.entryId)! })), employees);
    return changed.map((c) => ({ callId: c.id!, prev: c.prev, next: c.next }));
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

  private async notifyAudiences(q: Queryable, calls: { callId: number; call: ReducedCall; view: Call }[], employees: EmployeeListener[]) {
    const callIds = calls.map((c) => c.callId);
    const before = new Map<number, Set<number>>();
    for (const r of (await q.query<{ call_id: number; employee_id: number }>('SELECT call_id, employee_id FROM call_audience WHERE call_id = ANY($1::bigint[])', [callIds])).rows) {
      const set = before.get(Number(r.call_id)) ?? new Set<number>();
      set.add(Number(r.employee_id));
      before.set(Number(r.call_id), set);
    }
    const plans = calls
      .map((c) => {
        const popups = popupAudience(c.call, employees);
        const audience = new Set<number>([...popups, ...(before.get(c.callId) ?? []), ...involved(c.call, employees)]);
        return { ...c, popups, audience };
      })
      .filter((p) => p.audience.size > 0);
    if (plans.length === 0) return;

    const numbers = [...new Set(plans.map((p) => p.call.clientNumber).filter((n): n is string => !!n))];
    const contacts = new Map<string, Contact>();
    const recent = new Map<string, { id: number; view: Call }[]>();
    if (numbers.length) {
      for (const r of (
        await q.query<ContactRow & { phone: string }>(
          `SELECT DISTINCT ON (p.phone) p.phone, c.* FROM contact_phones p JOIN contacts c ON c.id = p.contact_id
           WHERE p.phone = ANY($1::text[]) AND c.merged_into IS NULL ORDER BY p.phone, c.id`,
          [numbers],
        )
      ).rows)
        contacts.set(r.phone, toContact(r));
      for (const r of (
        await q.query<{ client_number: string; id: number; view: Call }>(
          `SELECT client_number, id, view FROM (SELECT client_number, id, view, row_number() OVER (PARTITION BY client_number ORDER BY started_at DESC) AS rn
             FROM calls WHERE client_number = ANY($1::text[])) x WHERE rn <= 6`,
          [numbers],
        )
      ).rows) {
        const list = recent.get(r.client_number) ?? [];
        list.push({ id: Number(r.id), view: r.view });
        recent.set(r.client_number, list);
      }
    }

    const aCall: number[] = [];
    const aEmp: number[] = [];
    const aPopup: boolean[] = [];
    const items: { employeeId: number; payload: FeedPayload }[] = [];
    for (const p of plans) {
      const num = p.call.clientNumber;
      const contact = num ? contacts.get(num) ?? null : null;
      const recentCalls = num ? (recent.get(num) ?? []).filter((x) => x.id !== p.callId).slice(0, 5).map((x) => x.view) : [];
      for (const employeeId of p.audience) {
        aCall.push(p.callId);
        aEmp.push(employeeId);
        aPopup.push(p.popups.has(employeeId));
        items.push({ employeeId, payload: { kind: 'call', call: p.view, popup: p.popups.has(employeeId), contact, recentCalls } });
      }
    }
    await q.query(
      `INSERT INTO call_audience (call_id, employee_id, popup) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::boolean[])
       ON CONFLICT (call_id, employee_id) DO UPDATE SET popup = EXCLUDED.popup`,
      [aCall, aEmp, aPopup],
    );
    await appendFeed(q, items);
  }
}

async function loadListeners(q: Queryable): Promise<EmployeeListener[]> {
  const rows = (await q.query<{ id: number; name: string; extension: string | null; active: boolean; accept_calls: boolean }>('SELECT id, name, extension, active, accept_calls FROM employees')).rows;
  return rows.map((r) => ({ id: Number(r.id), name: r.name, extension: r.extension, active: r.active, acceptCalls: r.accept_calls }));
}
