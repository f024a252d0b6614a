/**
 * Pacing and retry rules shared by the relay's background Mango work (group sync, api
 * routing, reconciliation): per-product rate limits of mango-api.md §1.5 and the lockout rule
 * of §1.4/§8.4 (never retry a 3xxx by itself: more than one bad request in 2 minutes locks
 * the whole integration out).
 */
import { MangoError } from './client';
import type { Db } from '../db/db';

/** Minimum spacing between requests (ms), from the per-product limits of §1.5. */
export const MANGO_SPACING_MS: Record<string, number> = {
  '*': 110, // any request: 10/s
  'commands/route': 2200, // 1 per 2 s (+ margin for transit jitter)
  'commands/transfer': 2200,
  'config/users/request': 2200,
  'stats/request': 2200,
  'account/balance': 520,
  'commands/callback': 260,
  'stats/result': 25, // 50/s in total
};

/** Advisory lock key serializing reservations across instances (apart from other lock keys). */
const PACING_LOCK = 0x4d414e47; // "MANG"

/**
 * Reserves send times so that requests keep Mango's spacing. The schedule lives in PostgreSQL
 * (`mango_pacing`, on the database clock): Mango's limits are per account, so every service
 * of every relay instance sharing the database reserves from the same schedule.
 */
export class MangoPacer {
  constructor(
    private db: Db,
    private spacing: Record<string, number> = MANGO_SPACING_MS,
  ) {}

  /** Milliseconds until a request on `path` would be allowed (nothing reserved). */
  async delayFor(path: string): Promise<number> {
    const r = await this.db.query<{ wait: number }>(
      `SELECT GREATEST(0, extract(epoch FROM (max(next_at) - clock_timestamp())) * 1000) AS wait FROM mango_pacing WHERE path = ANY($1::text[])`,
      [['*', path]],
    );
    return Math.ceil(Number(r.rows[0]?.wait ?? 0));
  }

  /**
   * Reserves the earliest allowed moment for `path` and waits for it. Returns the moment reserved
   * (ms since the epoch, database clock): the send happens then or, if timers fire late, after.
   */
  async slot(path: string, signal?: AbortSignal): Promise<number> {
    const own = this.spacing[path];
    const paths = own ? ['*', path] : ['*'];
    const gaps = own ? [this.spacing['*'] ?? 0, own] : [this.spacing['*'] ?? 0];
    const { wait, at } = await this.db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1, 1)', [PACING_LOCK]);
      const r = await q.query<{ wait: number; at: number }>(
        `WITH now AS (SELECT clock_timestamp() AS t),
         at AS (SELECT GREATEST((SELECT t FROM now), COALESCE((SELECT max(next_at) FROM mango_pacing WHERE path = ANY($1::text[])), '-infinity')) AS at),
         up AS (
           INSERT INTO mango_pacing (path, next_at)
           SELECT p, (SELECT at FROM at) + make_interval(secs => g / 1000.0) FROM unnest($1::text[], $2::float8[]) AS x(p, g)
           ON CONFLICT (path) DO UPDATE SET next_at = EXCLUDED.next_at
         )
         SELECT extract(epoch FROM ((SELECT at FROM at) - (SELECT t FROM now))) * 1000 AS wait, extract(epoch FROM (SELECT at FROM at)) * 1000 AS at`,
        [paths, gaps],
      );
      return { wait: Number(r.rows[0].wait), at: Number(r.rows[0].at) };
    });
    if (wait > 0) await sleep(Math.ceil(wait), signal);
    return at;
  }
}

/**
 * Worth trying again later: rate limit (429), Mango's server errors (5xx, 5xxx), network
 * trouble and timeouts. Never 3xxx (bad request), 2xxx (billing), 4xxx, a lockout or a bad URL.
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof MangoError)) return false;
  return err.code === 'rate-limit' || err.code === 'server' || err.code === 'network' || err.code === 'timeout';
}

/** Exponential backoff with jitter: base·2^attempt, capped. */
export function backoffMs(attempt: number, baseMs: number, capMs = 30_000): number {
  const d = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(d * (0.75 + Math.random() * 0.5));
}

export class Aborted extends Error {
  constructor() {
    super('aborted');
  }
}

/** setTimeout as a promise that an AbortSignal cuts short (rejects with `Aborted`). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A short Russian description of a Mango failure for the admin (the error's own text + code). */
export function describeMangoError(err: unknown): string {
  if (err instanceof MangoError) return err.message;
  return `Внутренняя ошибка: ${(err as Error)?.message ?? String(err)}`;
}
