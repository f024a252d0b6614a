import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/db';
import type { EmployeeRow } from './employees';

const TTL_MS = 30 * 24 * 3600_000;
const hash = (t: string) => createHash('sha256').update(t).digest('hex');

/** Opaque random bearer tokens; only their hash is stored. */
export async function createSession(q: Queryable, employeeId: number, ttlMs = TTL_MS): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMs).toISOString();
  await q.query('INSERT INTO sessions (token_hash, employee_id, expires_at) VALUES ($1, $2, $3)', [hash(token), employeeId, expiresAt]);
  return { token, expiresAt };
}

export type SessionCheck = { ok: true; employee: EmployeeRow } | { ok: false; reason: 'unauthorized' | 'token-expired' };

export async function checkSession(q: Queryable, token: string | null | undefined): Promise<SessionCheck> {
  if (!token || token.length > 512) return { ok: false, reason: 'unauthorized' };
  const r = await q.query<EmployeeRow & { expires_at: Date | string }>(
    'SELECT e.*, s.expires_at FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE s.token_hash = $1',
    [hash(token)],
  );
  const row = r.rows[0];
  if (!row) return { ok: false, reason: 'unauthorized' };
  if (new Date(row.expires_at).getTime() <= Date.now()) return { ok: false, reason: 'token-expired' };
  if (!row.active) return { ok: false, reason: 'unauthorized' };
  return { ok: true, employee: { ...row, id: Number(row.id) } };
}

export async function deleteSession(q: Queryable, token: string): Promise<void> {
  await q.query('DELETE FROM sessions WHERE token_hash = $1', [hash(token)]);
}

/** Ends an employee's sessions, all of them or all but the one of `keepToken`. */
export async function deleteSessions(q: Queryable, employeeId: number, keepToken: string | null): Promise<void> {
  await q.query('DELETE FROM sessions WHERE employee_id = $1 AND token_hash IS DISTINCT FROM $2', [employeeId, keepToken ? hash(keepToken) : null]);
}

/** Of many tokens, those still valid (one query for every connected socket's heartbeat). */
export async function validTokens(q: Queryable, tokens: string[]): Promise<Set<string>> {
  const byHash = new Map(tokens.map((t) => [hash(t), t]));
  const r = await q.query<{ token_hash: string }>(
    'SELECT s.token_hash FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE s.token_hash = ANY($1::text[]) AND s.expires_at > now() AND e.active',
    [[...byHash.keys()]],
  );
  return new Set(r.rows.map((x) => byHash.get(x.token_hash)!));
}
