import type { Queryable } from '../db/db';
import type { FeedItem, FeedPayload } from '../../src-shared/wire';

export const FEED_CHANNEL = 'asgard_feed';
/** Advisory lock key (two-int space, apart from the reducer's per-call locks) ordering feed commits. */
const FEED_LOCK = 0x46454544; // "FEED"

/** A committed feed item with its routing facts, for delivery by the instance that wrote it. */
export interface StoredFeedItem extends FeedItem {
  employeeId: number;
  /** The employee's previous feed id (0 for the first): a socket at exactly this id may take the item as is. */
  prevId: number;
}

/** NOTIFY payload: for each employee, the highest id committed, so sockets already past it skip the read. */
export interface FeedNotice {
  heads?: [employeeId: number, lastId: number][];
  all?: boolean;
  /** The instance that hands these items to its own sockets itself (see FeedDelivery). */
  by?: string;
}

/**
 * An instance's hub, which sends the items its own transactions committed straight to its
 * sockets. Items appended for it carry its id in the NOTIFY, so the same hub does not also read
 * them back from the table (the notice often arrives before the committing connection's answer).
 */
export interface FeedDelivery {
  readonly instanceId: string;
  deliver(items: StoredFeedItem[]): void;
}

/**
 * Appends items to employees' feeds inside the caller's transaction and notifies every instance
 * at commit. Returns the items as stored, in id order, for local delivery after the commit:
 * a caller that passes `deliveredBy` (its hub's instance id) must hand them to that hub.
 */
export async function appendFeed(q: Queryable, items: { employeeId: number; payload: FeedPayload }[], deliveredBy?: string): Promise<StoredFeedItem[]> {
  if (items.length === 0) return [];
  // Feed ids come from a sequence, so concurrent transactions (two instances' reducers, a
  // reducer and a status change) could commit them out of order, and a socket already past the
  // higher id would never send the lower one. One transaction-scoped lock, held to commit,
  // makes feed ids commit in id order, and makes each employee's head below stable.
  const locked = q.query('SELECT pg_advisory_xact_lock($1, 0)', [FEED_LOCK]);
  // One statement after the lock (issued with it, run after it: its snapshot sees every earlier
  // feed commit): ids, each item's predecessor for its employee, the insert, and the NOTIFY of
  // each employee's head (NOTIFY payloads are limited to 8000 bytes: beyond that, every socket
  // re-checks). The NOTIFY is a plain SELECT, so the final SELECT must read it for it to run.
  const [, inserted] = await Promise.all([
    locked,
    q.query<{ id: number; employee_id: number; prev_id: number; created_at: Date | string; ord: number }>(
      `WITH t AS (
         SELECT ord, e, d, nextval(pg_get_serial_sequence('feed', 'id')) AS id
         FROM (SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (e bigint, d jsonb)) WITH ORDINALITY AS u(e, d, ord) ORDER BY ord) u
       ), p AS (
         SELECT ord, id, e, d, COALESCE(lag(id) OVER (PARTITION BY e ORDER BY id), (SELECT max(f.id) FROM feed f WHERE f.employee_id = t.e), 0) AS prev FROM t
       ), ins AS (
         INSERT INTO feed (id, employee_id, prev_id, payload) SELECT id, e, prev, d FROM p RETURNING id, employee_id, prev_id, created_at
       ), n AS (
         SELECT pg_notify($2, CASE WHEN length(x) < 7900 THEN x ELSE '{"all":true}' END)
         FROM (SELECT json_strip_nulls(json_build_object('heads', json_agg(json_build_array(employee_id, head)), 'by', $3::text))::text AS x
               FROM (SELECT employee_id, max(id) AS head FROM ins GROUP BY employee_id) h) j
       )
       SELECT ins.*, p.ord, (SELECT count(*) FROM n) AS notified FROM ins JOIN p ON p.id = ins.id ORDER BY ins.id`,
      // The items as one jsonb document: payloads as values, not escaped strings (see writeCalls).
      [JSON.stringify(items.map((i) => ({ e: i.employeeId, d: i.payload }))), FEED_CHANNEL, deliveredBy ?? null],
    ),
  ]);
  return inserted.rows.map((r) => ({
    id: Number(r.id),
    at: new Date(r.created_at).toISOString(),
    payload: items[Number(r.ord) - 1].payload,
    employeeId: Number(r.employee_id),
    prevId: Number(r.prev_id),
  }));
}

export async function readFeed(q: Queryable, employeeId: number, afterId: number, limit = 1000): Promise<FeedItem[]> {
  const r = await q.query<{ id: number; payload: FeedPayload; created_at: Date | string }>(
    'SELECT id, payload, created_at FROM feed WHERE employee_id = $1 AND id > $2 ORDER BY id LIMIT $3',
    [employeeId, afterId, limit],
  );
  return r.rows.map((row) => ({ id: Number(row.id), at: new Date(row.created_at).toISOString(), payload: row.payload }));
}

/** Sends a feed item to every admin (status and presence changes) plus extra recipients. */
export async function appendToAdminsAnd(q: Queryable, payload: FeedPayload, extra: number[], deliveredBy?: string): Promise<StoredFeedItem[]> {
  const admins = (await q.query<{ id: number }>("SELECT id FROM employees WHERE role = 'admin' AND active")).rows.map((r) => Number(r.id));
  const ids = [...new Set([...admins, ...extra])];
  return appendFeed(q, ids.map((employeeId) => ({ employeeId, payload })), deliveredBy);
}

/** The same item for every active employee (a company-wide change every app must hear of). */
export async function appendToEveryone(q: Queryable, payload: FeedPayload, deliveredBy?: string): Promise<StoredFeedItem[]> {
  const everyone = (await q.query<{ id: number }>('SELECT id FROM employees WHERE active')).rows;
  return appendFeed(q, everyone.map((e) => ({ employeeId: Number(e.id), payload })), deliveredBy);
}
