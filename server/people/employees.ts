import type { Queryable } from '../db/db';
import type { Employee } from '../../src-shared/wire';
import { defaultAcceptCalls, ROLES, type Role } from '../../src-shared/roles';
import { hashPassword } from './passwords';

export interface EmployeeRow {
  id: number;
  login: string;
  name: string;
  role: Role;
  extension: string | null;
  mango_user_id: string | null;
  email: string | null;
  phones: string[];
  active: boolean;
  accept_calls: boolean;
  accept_calls_manual: boolean;
  password_hash: string | null;
  last_call_end_at: Date | string | null;
}

export function toEmployee(r: EmployeeRow, online?: boolean): Employee {
  return {
    id: r.id,
    login: r.login,
    name: r.name,
    role: r.role,
    extension: r.extension,
    mangoUserId: r.mango_user_id,
    email: r.email,
    phones: r.phones ?? [],
    active: r.active,
    acceptCalls: r.accept_calls,
    acceptCallsManual: r.accept_calls_manual,
    ...(online === undefined ? {} : { online }),
  };
}

export async function listEmployees(q: Queryable): Promise<EmployeeRow[]> {
  return (await q.query<EmployeeRow>('SELECT * FROM employees ORDER BY name, id')).rows;
}

export async function getEmployee(q: Queryable, id: number): Promise<EmployeeRow | null> {
  return (await q.query<EmployeeRow>('SELECT * FROM employees WHERE id = $1', [id])).rows[0] ?? null;
}

export interface NewEmployee {
  login: string;
  name: string;
  role: Role;
  password?: string | null;
  extension?: string | null;
  email?: string | null;
  mangoUserId?: string | null;
  phones?: string[];
  acceptCalls?: boolean;
}

export async function createEmployee(q: Queryable, e: NewEmployee): Promise<EmployeeRow> {
  if (!ROLES.includes(e.role)) throw new Error(`Unknown role ${e.role}`);
  const manual = e.acceptCalls !== undefined;
  const r = await q.query<EmployeeRow>(
    `INSERT INTO employees (login, name, role, extension, email, mango_user_id, phones, accept_calls, accept_calls_manual, password_hash)
     VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9,$10) RETURNING *`,
    [
      e.login,
      e.name,
      e.role,
      e.extension || null,
      e.email || null,
      e.mangoUserId || null,
      JSON.stringify(e.phones ?? []),
      manual ? e.acceptCalls : defaultAcceptCalls(e.role),
      manual,
      e.password ? await hashPassword(e.password) : null,
    ],
  );
  return r.rows[0];
}
