import type { Db, Queryable } from '../db/db';
import type { Call, StatusChange } from '../../src-shared/wire';
import { toEmployee, type EmployeeRow } from './employees';
import { appendFeed, appendToAdminsAnd } from '../hub/feed-store';
import { popupAudience, Staff } from '../calls/audience';
import { callerCards, loadListeners, lockEntriesSql, upsertAudience } from '../calls/call-store';
import { feedItems, type CallPlan } from '../calls/feed-items';
import type { ReducedCall } from '../calls/reduce';
import { callViewSql } from '../calls/view';

/**
 * Switches an employee's accept-calls flag, audits it, and pushes the change live to every
 * admin and to the employee's own apps. The caller has already checked the right to do it.
 */
export async function setAcceptCalls(db: Db, employeeId: number, acceptCalls: boolean, changedBy: EmployeeRow | null, telephonyOn: boolean): Promise<EmployeeRow> {
  return db.tx(async (q) => {
    // The calls live right now, locked as the reducer locks them (and before the employee row,
    // which the reducer also updates under these locks): their popups follow the new flag.
    const live = await lockLiveCalls(q);
    const before = await lockEmployee(q, employeeId);
    const r = await q.query<EmployeeRow>(
      'UPDATE employees SET accept_calls = $2, accept_calls_manual = true, updated_at = now() WHERE id = $1 RETURNING *',
      [employeeId, acceptCalls],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`employee ${employeeId} not found`);
    if (before) await redecideLiveCalls(q, live, before, row, telephonyOn);
    await logStatusChange(q, employeeId, acceptCalls, changedBy);
    await appendToAdminsAnd(q, { kind: 'employee', employee: toEmployee(row) }, [employeeId]);
    return { ...row, id: Number(row.id) };
  });
}

/**
 * Audits a change of an employee's accept-calls flag (by the switch, or by a role change that
 * sets the role's default) and tells every admin and the employee's own apps.
 */
export async function logStatusChange(q: Queryable, employeeId: number, acceptCalls: boolean, changedBy: EmployeeRow | null): Promise<void> {
  const log = await q.query<{ at: Date | string }>('INSERT INTO status_log (employee_id, accept_calls, changed_by) VALUES ($1, $2, $3) RETURNING at', [
    employeeId,
    acceptCalls,
    changedBy?.id ?? null,
  ]);
  const change: StatusChange = {
    employeeId,
    acceptCalls,
    changedBy: changedBy?.id ?? null,
    changedByName: changedBy?.name ?? null,
    at: new Date(log.rows[0].at).toISOString(),
  };
  await appendToAdminsAnd(q, { kind: 'status', change }, [employeeId]);
}

export async function statusLog(db: Db, limit = 500): Promise<StatusChange[]> {
  const r = await db.query<{ employee_id: number; accept_calls: boolean; changed_by: number | null; name: string | null; at: Date | string }>(
    `SELECT l.employee_id, l.accept_calls, l.changed_by, e.name, l.at FROM status_log l LEFT JOIN employees e ON e.id = l.changed_by
     ORDER BY l.id DESC LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => ({
    employeeId: Number(x.employee_id),
    acceptCalls: x.accept_calls,
    changedBy: x.changed_by == null ? null : Number(x.changed_by),
    changedByName: x.name,
    at: new Date(x.at).toISOString(),
  }));
}

/** Handle on the live calls locked by lockLiveCalls. */
export interface LiveCalls {
  entries: string[];
}

/**
 * Locks the calls live right now as the reducer locks them. Taken before any employee row the
 * same transaction updates (the reducer updates employee rows under these locks): a change to
 * who hears of calls and a reduction then never deadlock.
 */
export async function lockLiveCalls(q: Queryable): Promise<LiveCalls> {
  const r = await q.query<{ entry_id: string }>(
    `SELECT entry_id FROM calls WHERE status = 'active' AND phase <> 'ended' AND started_at > now() - interval '1 day'`,
  );
  const entries = r.rows.map((x) => x.entry_id);
  if (entries.length) await q.query(`SELECT ${lockEntriesSql('$1')}`, [entries]);
  return { entries };
}

/** The employee's row as it is before a change, locked for it (after lockLiveCalls). */
export async function lockEmployee(q: Queryable, id: number): Promise<EmployeeRow | null> {
  return (await q.query<EmployeeRow>('SELECT * FROM employees WHERE id = $1 FOR UPDATE', [id])).rows[0] ?? null;
}

/**
 * A live call that rings (or waits in the queue) now pops up for an employee who became one to
 * ring (switched «Приём звонков» on, a role whose default is on, reactivated) and closes for one
 * who stopped being one (switched off, disabled, extension changed), without waiting for the
 * call's next event (DESIGN.md "Who hears of a call"). With telephony switched off nobody is
 * rung, before or after.
 */
export async function redecideLiveCalls(q: Queryable, live: LiveCalls, before: EmployeeRow, after: EmployeeRow, telephonyOn: boolean): Promise<void> {
  if (live.entries.length === 0 || !telephonyOn) return;
  const id = Number(after.id);
  const calls = (
    await q.query<{ id: number; reduced: ReducedCall; view: Call; popup: boolean | null }>(
      `SELECT c.id, c.reduced, ${callViewSql('c')} AS view, a.popup FROM calls c LEFT JOIN call_audience a ON a.call_id = c.id AND a.employee_id = $2
       WHERE c.entry_id = ANY($1::text[]) AND c.status = 'active'`,
      [live.entries, id],
    )
  ).rows;
  const listener = (e: EmployeeRow) => ({ id, extension: e.extension, active: e.active, acceptCalls: e.accept_calls });
  const now = new Staff([listener(after)]);
  const then = new Staff([listener(before)]);
  const plans: CallPlan[] = [];
  for (const c of calls) {
    const popup = popupAudience(c.reduced, now).has(id);
    if (popup === popupAudience(c.reduced, then).has(id)) continue;
    // Withdrawn only from one who had it: nothing to close for one never told of the call.
    if (!popup && c.popup == null) continue;
    const mine = new Set(popup ? [id] : []);
    plans.push({ callId: Number(c.id), call: c.reduced, view: c.view, popups: mine, offered: c.popup || popup ? new Set([id]) : mine, audience: new Set([id]) });
  }
  await announcePlans(q, plans);
}

/**
 * «Включить телефонию» switched: the live calls' popups open for everyone they ring (on) or
 * close for everyone who has one (off) at once, not at each call's next event.
 */
export async function redecideOnTelephonySwitch(q: Queryable, telephonyOn: boolean): Promise<void> {
  const live = await lockLiveCalls(q);
  if (live.entries.length === 0) return;
  const calls = (
    await q.query<{ id: number; reduced: ReducedCall; view: Call; offered: number[] }>(
      `SELECT c.id, c.reduced, ${callViewSql('c')} AS view,
         ARRAY(SELECT a.employee_id FROM call_audience a WHERE a.call_id = c.id AND a.popup) AS offered
       FROM calls c WHERE c.entry_id = ANY($1::text[]) AND c.status = 'active'`,
      [live.entries],
    )
  ).rows;
  const staff = new Staff(await loadListeners(q));
  const plans: CallPlan[] = [];
  for (const c of calls) {
    const rung = popupAudience(c.reduced, staff);
    const offered = new Set(c.offered.map(Number));
    // Off: closed only for those who had it; on: opened for everyone the call rings now.
    const audience = telephonyOn ? rung : new Set([...rung].filter((id) => offered.has(id)));
    if (audience.size === 0) continue;
    const popups = telephonyOn ? rung : new Set<number>();
    plans.push({ callId: Number(c.id), call: c.reduced, view: c.view, popups, offered: new Set([...offered, ...popups]), audience });
  }
  await announcePlans(q, plans);
}

/** Records who now hears of each live call (and who was offered it) and tells their apps. */
async function announcePlans(q: Queryable, plans: CallPlan[]): Promise<void> {
  if (!plans.length) return;
  const a = plans.flatMap((p) => [...p.audience].map((employeeId) => ({ callId: p.callId, employeeId, popup: p.offered.has(employeeId) })));
  await upsertAudience(q, { callIds: a.map((x) => x.callId), employeeIds: a.map((x) => x.employeeId), popups: a.map((x) => x.popup) });
  const numbers = [...new Set(plans.map((p) => p.call.clientNumber).filter((n): n is string => !!n))];
  await appendFeed(q, feedItems(plans, await callerCards(q, numbers)));
}
