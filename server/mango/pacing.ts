/**
 * Pacing and retry rules shared by the relay's background Mango work (group sync, api
 * routing, reconciliation): per-product rate limits of mango-api.md §1.5 and the lockout rule
 * of §1.4/§8.4 (never retry a 3xxx by itself: more than one bad request in 2 minutes locks
 * the whole integration out).
 */
import { MangoError } from './client';

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

/**
 * Reserves send times so that requests made through it keep Mango's spacing. One pacer per
 * Mango client (see `pacerOf`), shared by every service of one relay instance.
 */
export class MangoPacer {
  private next = new Map<string, number>();

  constructor(
    private spacing: Record<string, number> = MANGO_SPACING_MS,
    private now: () => number = Date.now,
  ) {}

  /** Milliseconds until a request on `path` would be allowed (nothing reserved). */
  delayFor(path: string): number {
    const t = this.now();
    return Math.max(0, (this.next.get('*') ?? 0) - t, (this.next.get(path) ?? 0) - t);
  }

  /** Reserves the earliest allowed moment for `path` and waits for it. */
  async slot(path: string, signal?: AbortSignal): Promise<void> {
    const t = this.now();
    const at = Math.max(t, this.next.get('*') ?? 0, this.next.get(path) ?? 0);
    this.next.set('*', at + (this.spacing['*'] ?? 0));
    const own = this.spacing[path];
    if (own) this.next.set(path, at + own);
    if (at > t) await sleep(at - t, signal);
  }
}

const pacers = new WeakMap<object, MangoPacer>();

/** The pacer of one Mango client (or any object standing for one Mango account). */
export function pacerOf(owner: object): MangoPacer {
  let p = pacers.get(owner);
  if (!p) {
    p = new MangoPacer();
    pacers.set(owner, p);
  }
  return p;
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
