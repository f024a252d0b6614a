/**
 * The call reducer's reads and writes, as few statements as a batch can take: it runs inside
 * the webhook's own transaction, where every round trip is latency.
 */
import type { Queryable } from '../db/db';
import type { Call, CallComment } from '../../src-shared/wire';
import type { ContactRow } from '../people/contacts';
import type { Listener } from './audience';
import type { ReducedCall, StoredEvent } from './reduce';
import { callViewSql, commentSql } from './view';

export interface EmployeeListener extends Listener {
  name: string;
}

/** What one entry has so far: its events, and its call record if any (else an id reserved for it). */
export interface EntryState {
  entry_id: string;
  id: number;
  reduced: ReducedCall | null;
  /** Employees who already had the call in their feed. */
  audience: number[] | null;
  /** Of those, the ones it was offered to (call_audience.popup). */
  offered: number[] | null;
  events: StoredEvent[] | null;
  /** The call's comment: the reducer's view has none (see view.ts), its feed items carry it. */
  comment: CallComment | null;
}

/** The employees' revision and each entry's state, as read under the entries' locks. */
export interface EntriesState {
  rev: number;
  rows: EntryState[];
}

/**
 * Locks calls by entry id for the transaction, in one order whoever locks them (the reducer, a
 * change to who hears of live calls), so lockers wait for each other and never deadlock. SQL
 * for a text[] parameter.
 */
export const lockEntriesSql = (param: string) => `(SELECT count(pg_advisory_xact_lock(hashtext(e))) FROM (SELECT e FROM unnest(${param}::text[]) AS e ORDER BY e) s)`;

/**
 * SQL: LEFT JOIN LATERAL `aud` with `audience` (employees who have call `callId` in their feed)
 * and `offered` (those of them it was offered to), each a bigint[] or NULL.
 */
export const audienceJoinSql = (callId: string) =>
  `LEFT JOIN LATERAL (SELECT array_agg(a.employee_id) AS audience, array_agg(a.employee_id) FILTER (WHERE a.popup) AS offered
                          FROM call_audience a WHERE a.call_id = ${callId}) aud ON true`;

/** Who hears of which call; `popup` means offered, and once offered it stays so. SQL for bigint[], bigint[], boolean[] parameters. */
const upsertAudienceSql = (calls: string, employees: string, popups: string) =>
  `INSERT INTO call_audience (call_id, employee_id, popup) SELECT * FROM unnest(${calls}::bigint[], ${employees}::bigint[], ${popups}::boolean[])
           ON CONFLICT (call_id, employee_id) DO UPDATE SET popup = call_audience.popup OR EXCLUDED.popup`;

export async function upsertAudience(q: Queryable, a: { callIds: number[]; employeeIds: number[]; popups: boolean[] }): Promise<void> {
  await q.query(upsertAudienceSql('$1', '$2', '$3'), [a.callIds, a.employeeIds, a.popups]);
}

/**
 * Locks the entries (another instance reducing the same call waits here, then recomputes from
 * all events) and reads the employees' revision; then, in a statement that sees whatever the
 * lock waited for, each entry's state. An entry without a call gets an id reserved here (unused
 * if it yields no call), so each view, which carries the id, is written once.
 */
export async function lockAndLoad(q: Queryable, entries: string[], kinds: string[]): Promise<EntriesState> {
  // Issued together (one round trip on a pipelined connection), run one after the other.
  const [lock, load] = await Promise.all([
    q.query<{ rev: number }>(
      `SELECT (SELECT rev FROM employees_rev) AS rev, ${lockEntriesSql('$1')} AS locked`,
      [entries],
    ),
    q.query<EntryState>(
      `SELECT e AS entry_id, COALESCE(c.id, nextval(pg_get_serial_sequence('calls', 'id'))) AS id, c.reduced,
         aud.audience, aud.offered, ${commentSql('c.id')} AS comment,
         (SELECT json_agg(json_build_object('id', m.id, 'kind', m.kind, 'payload', m.payload) ORDER BY m.id)
            FROM mango_events m WHERE m.entry_id = e AND m.kind = ANY($2::text[])) AS events
       FROM unnest($1::text[]) AS e LEFT JOIN calls c ON c.entry_id = e
       ${audienceJoinSql('c.id')}`,
      [entries, kinds],
    ),
  ]);
  return { rev: Number(lock.rows[0].rev), rows: load.rows };
}

/** A call record to write: the reduction, its view, the employee it belongs to. */
export interface CallRecord {
  id: number;
  entryId: string;
  call: ReducedCall;
  employeeId: number | null;
  view: Call;
}

/** The caller's card (contact columns, null when unknown) and last calls, per number. */
export type CallerCard = ContactRow & { number: string; recent: { id: number; view: Call }[] | null };

/** SELECT of the CallerCard of each number in the text[] parameter `param` (6 last calls: one may be the call itself, each with its comment). */
const callerCardsOf = (param: string) => `SELECT n AS number, k.*, r.recent FROM unnest(${param}::text[]) AS n
         LEFT JOIN LATERAL (SELECT c.* FROM contact_phones p JOIN contacts c ON c.id = p.contact_id
                            WHERE p.phone = n AND c.merged_into IS NULL ORDER BY c.id LIMIT 1) k ON true
         LEFT JOIN LATERAL (SELECT json_agg(json_build_object('id', x.id, 'view', ${callViewSql('x')}) ORDER BY x.started_at DESC) AS recent
                            FROM (SELECT id, view, started_at FROM calls WHERE client_number = n ORDER BY started_at DESC LIMIT 6) x) r ON true`;

/** The caller's card and last calls of each number (writeCalls returns them with its writes). */
export async function callerCards(q: Queryable, numbers: string[]): Promise<CallerCard[]> {
  return numbers.length ? (await q.query<CallerCard>(callerCardsOf('$1'), [numbers])).rows : [];
}

/**
 * One statement: the call records, who hears of each (`popups`: offered the call; once offered,
 * it stays so: the missed-call reminders go to them), and the caller's card and last calls
 * for the popups (read as before this statement: a popup lists the caller's other calls).
 */
export async function writeCalls(
  q: Queryable,
  records: CallRecord[],
  audience: { callIds: number[]; employeeIds: number[]; popups: boolean[] },
  numbers: string[],
): Promise<CallerCard[]> {
  const at = (u: number | null) => (u ? new Date(u * 1000).toISOString() : null);
  // The rows as one jsonb document, keyed by column: their JSON columns (participants, the
  // view, the whole reduction) go in as values, not as escaped strings of text arrays, which
  // were most of the relay's allocation per call event (and parsing them again cost PostgreSQL).
  const rows = JSON.stringify(records.map((r) => {
    const n = r.call;
    return {
      id: r.id, entry_id: r.entryId, direction: n.direction, status: n.status, phase: n.phase, from_number: n.fromNumber,
      from_extension: n.fromExtension, to_number: n.toNumber, to_extension: n.toExtension, line_number: n.lineNumber,
      client_number: n.clientNumber, employee_id: r.employeeId, answered_extension: n.answeredExtension, participants: n.participants,
      ringing: n.ringing, started_at: at(n.startedAt) ?? new Date(0).toISOString(), answered_at: at(n.answeredAt), ended_at: at(n.endedAt),
      talk_seconds: n.talkSeconds, wait_seconds: n.waitSeconds, disconnect_reason: n.disconnectReason, recordings: n.recordings,
      reconciled: n.reconciled, group_call: n.groupCall, view: r.view, reduced: n,
    };
  }));
  // PostgreSQL would otherwise plan this statement anew on every run (its custom plans always
  // look cheaper than the generic one), which costs more than running it. Issued with it: no
  // extra round trip; the setting lasts to the end of the transaction.
  void q.query('SET LOCAL plan_cache_mode = force_generic_plan');
  return (
    await q.query<CallerCard>(
      `WITH ins AS (
           INSERT INTO calls (id, entry_id, direction, status, phase, from_number, from_extension, to_number, to_extension, line_number,
         client_number, employee_id, answered_extension, participants, ringing, started_at, answered_at, ended_at, talk_seconds,
         wait_seconds, disconnect_reason, recordings, reconciled, group_call, view, reduced)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id bigint, entry_id text, direction text, status text, phase text,
         from_number text, from_extension text, to_number text, to_extension text, line_number text, client_number text,
         employee_id bigint, answered_extension text, participants jsonb, ringing jsonb, started_at timestamptz,
         answered_at timestamptz, ended_at timestamptz, talk_seconds int, wait_seconds int, disconnect_reason int,
         recordings jsonb, reconciled boolean, group_call boolean, view jsonb, reduced jsonb)
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
           ${upsertAudienceSql('$2', '$3', '$4')}
           RETURNING call_id
         )
         ${callerCardsOf('$5')}`,
      [rows, audience.callIds, audience.employeeIds, audience.popups, numbers],
    )
  ).rows;
}

/** Side effects of finished calls: idle time for routing, and clearing "перезвонить" reminders. */
export async function afterEffects(q: Queryable, calls: ReducedCall[]): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const done = calls.filter((n) => n.status === 'answered' && n.answeredExtension && n.endedAt);
  if (done.length) {
    pending.push(q.query(
      `UPDATE employees e SET last_call_end_at = GREATEST(COALESCE(e.last_call_end_at, to_timestamp(0)), to_timestamp(t.ended))
       FROM unnest($1::text[], $2::float8[]) AS t(ext, ended) WHERE e.extension = t.ext`,
      [done.map((n) => n.answeredExtension), done.map((n) => n.endedAt)],
    ));
  }
  // A call back to a missed caller clears the reminders for that number.
  const out = calls.filter((n) => n.direction === 'out' && n.clientNumber);
  if (out.length) {
    pending.push(q.query(
      `UPDATE calls c SET reminder_done = true FROM unnest($1::text[], $2::timestamptz[]) AS t(num, started)
       WHERE c.client_number = t.num AND c.status = 'missed' AND c.started_at <= t.started AND NOT c.reminder_done`,
      [out.map((n) => n.clientNumber), out.map((n) => new Date(n.startedAt * 1000).toISOString())],
    ));
  }
  await Promise.all(pending);
}

export async function loadListeners(q: Queryable): Promise<EmployeeListener[]> {
  const rows = (await q.query<{ id: number; name: string; extension: string | null; active: boolean; accept_calls: boolean }>('SELECT id, name, extension, active, accept_calls FROM employees')).rows;
  return rows.map((r) => ({ id: Number(r.id), name: r.name, extension: r.extension, active: r.active, acceptCalls: r.accept_calls }));
}
