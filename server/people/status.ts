import type { Db } from '../db/db';
import type { StatusChange } from '../../src-shared/wire';
import { toEmployee, type EmployeeRow } from './employees';
import { appendToAdminsAnd } from '../hub/feed-store';

/**
 * Switches an employee's accept-calls flag, audits it, and pushes the change live to every
 * admin and to the employee's own apps. The caller has already checked the right to do it.
 */
export async function setAcceptCalls(db: Db, employeeId: number, acceptCalls: boolean, changedBy: EmployeeRow | null): Promise<EmployeeRow> {
  return db.tx(async (q) => {
    const r = await q.query<EmployeeRow>(
      'UPDATE employees SET accept_calls = $2, accept_calls_manual = true, updated_at = now() WHERE id = $1 RETURNING *',
      [employeeId, acceptCalls],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`employee ${employeeId} not found`);
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
    await appendToAdminsAnd(q, { kind: 'employee', employee: toEmployee(row) }, [employeeId]);
    return { ...row, id: Number(row.id) };
  });
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
