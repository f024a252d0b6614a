import type { Db, Queryable } from '../db/db';
import type { Logger } from '../log';
import type { Call, Contact } from '../../src-shared/wire';
import { reduceCall, type ReducedCall, type StoredEvent } from './reduce';
import { toCallView } from './view';
import { involved, popupAudience, type Listener } from './audience';
import { appendFeed } from '../hub/feed-store';
import { findContactByPhone } from '../people/contacts';

const REDUCIBLE = ['events/call', 'events/summary', 'events/recording', 'events/record/added', 'simple', 'stats/row', 'internal/finalize'];

export interface CallChange {
  callId: number;
  prev: ReducedCall | null;
  next: ReducedCall;
}

/**
 * Turns the durable event log into call records and feed items. Runs after each ingest commit
 * and on start (events committed before a crash are reduced then). Several instances may run
 * it: rows are claimed with SKIP LOCKED, and each call is recomputed from all its events.
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
  async runBatch(limit = 500): Promise<number> {
    const changes: CallChange[] = [];
    const claimed = await this.db.tx(async (q) => {
      const pending = (
        await q.query<{ id: number; kind: string; entry_id: string | null }>(
          'SELECT id, kind, entry_id FROM mango_events WHERE NOT reduced ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
          [limit],
        )
      ).rows;
      if (pending.length === 0) return 0;
      const entries = [...new Set(pending.filter((p) => p.entry_id && REDUCIBLE.includes(p.kind)).map((p) => p.entry_id as string))];
      const employees = await loadListeners(q);
      for (const entryId of entries) {
        const change = await this.reduceEntry(q, entryId, employees);
        if (change) changes.push(change);
      }
      await q.query('UPDATE mango_events SET reduced = true WHERE id = ANY($1::bigint[])', [pending.map((p) => p.id)]);
      return pending.length;
    });
    if (changes.length && this.onChange) this.onChange(changes);
    return claimed;
  }

  private async reduceEntry(q: Queryable, entryId: string, employees: EmployeeListener[]): Promise<CallChange | null> {
    // Serialize instances on the same call: the loser waits, then recomputes from all events.
    await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [entryId]);
    const events = (
      await q.query<StoredEvent>('SELECT id, kind, payload FROM mango_events WHERE entry_id = $1 AND kind = ANY($2::text[]) ORDER BY id', [entryId, REDUCIBLE])
    ).rows.map((e) => ({ ...e, id: Number(e.id) }));
    let next: ReducedCall | null;
    try {
      next = reduceCall(entryId, events);
    } catch (err) {
      this.log.warn({ err, entryId }, 'events of a call could not be reduced');
      return null;
    }
    if (!next) return null;

    const prevRow = (await q.query<{ id: number; reduced: ReducedCall }>("SELECT id, reduced FROM calls WHERE entry_id = $1", [entryId])).rows[0];
    const prev = prevRow?.reduced ?? null;
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return null;

    const emp = employees.find((e) => e.extension && e.extension === next.employeeExtension) ?? null;
    const employeeRef = emp ? { id: emp.id, name: emp.name, extension: emp.extension } : null;
    const at = (u: number | null) => (u ? new Date(u * 1000).toISOString() : null);
    const cols = [
      next.direction, next.status, next.phase, next.fromNumber, next.fromExtension, next.toNumber, next.toExtension,
      next.lineNumber, next.clientNumber, emp?.id ?? null, next.answeredExtension, JSON.stringify(next.participants),
      JSON.stringify(next.ringing), at(next.startedAt) ?? new Date(0).toISOString(), at(next.answeredAt), at(next.endedAt),
      next.talkSeconds, next.waitSeconds, next.disconnectReason, JSON.stringify(next.recordings), next.reconciled, next.groupCall,
    ];
    const upsert = await q.query<{ id: number }>(
      `INSERT INTO calls (entry_id, direction, status, phase, from_number, from_extension, to_number, to_extension, line_number,
         client_number, employee_id, answered_extension, participants, ringing, started_at, answered_at, ended_at, talk_seconds,
         wait_seconds, disconnect_reason, recordings, reconciled, group_call, view)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13::jsonb,$14::jsonb,$15,$16,$17,$18,$19,$20,$21::jsonb,$22,$23,'{}'::jsonb)
       ON CONFLICT (entry_id) DO UPDATE SET direction=$2, status=$3, phase=$4, from_number=$5, from_extension=$6, to_number=$7,
         to_extension=$8, line_number=$9, client_number=$10, employee_id=$11, answered_extension=$12, participants=$13::jsonb,
         ringing=$14::jsonb, started_at=$15, answered_at=$16, ended_at=$17, talk_seconds=$18, wait_seconds=$19,
         disconnect_reason=$20, recordings=$21::jsonb, reconciled=$22, group_call=$23, updated_at=now()
       RETURNING id`,
      [entryId, ...cols],
    );
    const callId = Number(upsert.rows[0].id);
    const view = toCallView(callId, next, employeeRef);
    // The reduced form is kept beside the view to detect real changes cheaply.
    await q.query('UPDATE calls SET view = $2::jsonb, reduced = $3::jsonb WHERE id = $1', [callId, JSON.stringify(view), JSON.stringify(next)]);

    if (next.status === 'answered' && next.answeredExtension && next.endedAt) {
      await q.query('UPDATE employees SET last_call_end_at = GREATEST(COALESCE(last_call_end_at, to_timestamp(0)), to_timestamp($2)) WHERE extension = $1', [next.answeredExtension, next.endedAt]);
    }
    // A call back to a missed caller clears the "перезвонить" reminders for that number.
    if (next.direction === 'out' && next.clientNumber) {
      await q.query("UPDATE calls SET reminder_done = true WHERE client_number = $1 AND status = 'missed' AND started_at <= $2 AND NOT reminder_done", [next.clientNumber, at(next.startedAt)]);
    }
    await this.notifyAudience(q, callId, view, next, employees);
    return { callId, prev, next };
  }

  private async notifyAudience(q: Queryable, callId: number, view: Call, call: ReducedCall, employees: EmployeeListener[]) {
    const popups = popupAudience(call, employees);
    const before = new Map(
      (await q.query<{ employee_id: number; popup: boolean }>('SELECT employee_id, popup FROM call_audience WHERE call_id = $1', [callId])).rows.map((r) => [Number(r.employee_id), r.popup]),
    );
    const audience = new Set<number>([...popups, ...before.keys(), ...involved(call, employees)]);
    if (audience.size === 0) return;
    const contact = call.clientNumber ? await findContactByPhone(q, call.clientNumber) : null;
    const recentCalls = call.clientNumber
      ? (await q.query<{ view: Call }>("SELECT view FROM calls WHERE client_number = $1 AND id <> $2 ORDER BY started_at DESC LIMIT 5", [call.clientNumber, callId])).rows.map((r) => r.view)
      : [];
    const ids = [...audience];
    await q.query(
      `INSERT INTO call_audience (call_id, employee_id, popup) SELECT $1, x.e, x.p FROM unnest($2::bigint[], $3::boolean[]) AS x(e, p)
       ON CONFLICT (call_id, employee_id) DO UPDATE SET popup = EXCLUDED.popup`,
      [callId, ids, ids.map((id) => popups.has(id))],
    );
    await appendFeed(
      q,
      ids.map((employeeId) => ({
        employeeId,
        payload: { kind: 'call' as const, call: view, popup: popups.has(employeeId), contact: contact as Contact | null, recentCalls },
      })),
    );
  }
}

interface EmployeeListener extends Listener {
  name: string;
}

async function loadListeners(q: Queryable): Promise<EmployeeListener[]> {
  const rows = (await q.query<{ id: number; name: string; extension: string | null; active: boolean; accept_calls: boolean }>('SELECT id, name, extension, active, accept_calls FROM employees')).rows;
  return rows.map((r) => ({ id: Number(r.id), name: r.name, extension: r.extension, active: r.active, acceptCalls: r.accept_calls }));
}
