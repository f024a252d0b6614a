// Optional fidelity: Mango's bad-request lockout (§1.4) and per-product rate limits (§1.5).

export const LOCKOUT_WINDOW_MS = 2 * 60_000;

/**
 * At most one 3xxx answer per 2 minutes is tolerated; the next one (and every request
 * after it) gets HTTP 401 until 2 minutes have passed since the first 3xxx error.
 */
export class Lockout {
  private firstErrorAt?: number;
  private errors = 0;

  constructor(private readonly windowMs = LOCKOUT_WINDOW_MS) {}

  isLocked(now: number): boolean {
    this.expire(now);
    return this.errors > 1;
  }

  /** Records a 3xxx answer; true when this one tips the account into the lockout. */
  recordBadRequest(now: number): boolean {
    this.expire(now);
    if (this.firstErrorAt === undefined) this.firstErrorAt = now;
    this.errors++;
    return this.errors > 1;
  }

  reset(): void {
    this.firstErrorAt = undefined;
    this.errors = 0;
  }

  private expire(now: number): void {
    if (this.firstErrorAt !== undefined && now - this.firstErrorAt >= this.windowMs) this.reset();
  }
}

interface Limit {
  max: number;
  perMs: number;
}

/** Per-product limits from NEWDOC-KB §1.4.2 (the "Total" column spans all products). */
export const RATE_LIMITS: Record<string, Limit> = {
  '*': { max: 10, perMs: 1000 },
  'commands/callback': { max: 4, perMs: 1000 },
  'commands/call/hangup': { max: 4, perMs: 1000 },
  'commands/recording/start': { max: 4, perMs: 1000 },
  'queries/recording/post': { max: 10, perMs: 1000 },
  'config/users/request': { max: 1, perMs: 2000 },
  'account/balance': { max: 2, perMs: 1000 },
  'commands/transfer': { max: 1, perMs: 2000 },
  'stats/request': { max: 1, perMs: 2000 },
  'commands/route': { max: 1, perMs: 2000 },
};

/** Sliding-window counters; each window keeps at most `max` timestamps. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly limits: Record<string, Limit> = RATE_LIMITS) {}

  /** true = allowed (and counted); false = over the limit (not counted). */
  allow(path: string, now: number): boolean {
    const scopes = ['*', ...(this.limits[path] ? [path] : [])];
    for (const scope of scopes) {
      const { max, perMs } = this.limits[scope];
      const list = (this.hits.get(scope) ?? []).filter((t) => now - t < perMs);
      this.hits.set(scope, list);
      if (list.length >= max) return false;
    }
    for (const scope of scopes) this.hits.get(scope)?.push(now);
    return true;
  }
}
