import type { Queryable } from '../db/db';
import type { FeedItem, FeedPayload } from '../../src-shared/wire';

export const FEED_CHANNEL = 'asgard_feed';
/** Advisory lock key (two-int space, apart from the reducer's per-call locks) ordering feed commits. */
const FEED_LOCK = 0x46454544; // "FEED"

/** Appends items to employees' feeds inside the caller's transaction and notifies every instance at commit. */
export async function appendFeed(q: Queryable, items: { employeeId: number; payload: FeedPayload }[]): Promise<void> {
  if (items.length === 0) return;
  // Feed ids come from a sequence, so concurrent transactions (two instances' reducers, a
  // reducer and a status change) could commit them out of order, and a socket already past the
  // higher id would never send the lower one. One transaction-scoped lock, held to commit,
  // makes feed ids commit in id order.
  await q.query('SELECT pg_advisory_xact_lock($1, 0)', [FEED_LOCK]);
  await q.query('INSERT INTO feed (employee_id, payload) SELECT e, p::jsonb FROM unnest($1::bigint[], $2::text[]) AS t(e, p)', [
    items.map((i) => i.employeeId),
    items.map((i) => JSON.stringify(i.payload)),
  ]);
  const ids = [...new Set(items.map((i) => i.employeeId))];
  const payload = JSON.stringify({ employees: ids });
  // NOTIFY payloads are limited to 8000 bytes: beyond that, every socket re-checks.
  await q.query('SELECT pg_notify($1, $2)', [FEED_CHANNEL, payload.length < 7900 ? payload : '{"all":true}']);
}

export async function readFeed(q: Queryable, employeeId: number, afterId: number, limit = 1000): Promise<FeedItem[]> {
  const r = await q.query<{ id: number; payload: FeedPayload; created_at: Date | string }>(
    'SELECT id, payload, created_at FROM feed WHERE employee_id = $1 AND id > $2 ORDER BY id LIMIT $3',
    [employeeId, afterId, limit],
  );
  return r.rows.map((row) => ({ id: Number(row.id), at: new Date(row.created_at).toISOString(), payload: row.payload }));
}

/** Sends a feed item to every admin (status and presence changes) plus extra recipients. */
export async function appendToAdminsAnd(q: Queryable, payload: FeedPayload, extra: number[]): Promise<void> {
  const admins = (await q.query<{ id: number }>("SELECT id FROM employees WHERE role = 'admin' AND active")).rows.map((r) => Number(r.id));
  const ids = [...new Set([...admins, ...extra])];
  await appendFeed(q, ids.map((employeeId) => ({ employeeId, payload })));
}
