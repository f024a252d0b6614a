/**
 * The webhook journal: how many of Mango's callbacks were accepted or refused, why, from which
 * address, per hour. Counted in memory on the request path and upserted every few seconds, so a
 * flood of bad requests costs a map update each, not a database write.
 */
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/db';
import type { Logger } from '../log';
import { ACCEPTED_OUTCOMES, type WebhookJournal as JournalView, type WebhookOutcome } from '../../src-shared/wire';

const FLUSH_EVERY_MS = 5_000;
/** Distinct (outcome, kind, address) rows per hour; past it, addresses are counted as '*'. */
const MAX_KEYS_PER_HOUR = 2_000;
const KEEP_DAYS = 7;
const HOUR_MS = 3_600_000;
const OTHER_ADDRESSES = '*';

interface Pending {
  hour: number;
  outcome: WebhookOutcome;
  kind: string;
  ip: string;
  count: number;
  first: number;
  last: number;
}

/** One journal row: its hour, outcome, callback kind and source address. */
const rowKey = (p: Pick<Pending, 'hour' | 'outcome' | 'kind' | 'ip'>) => `${p.hour}|${p.outcome}|${p.kind}|${p.ip}`;

const STATUS_OUTCOMES: Record<number, WebhookOutcome> = { 400: 'bad-request', 404: 'not-found', 413: 'too-large', 415: 'bad-content-type' };

/** The outcome of a response nobody marked (Fastify's own refusals, errors). */
export function outcomeOfStatus(status: number): WebhookOutcome {
  if (status >= 500) return 'failed';
  return STATUS_OUTCOMES[status] ?? 'other';
}

/** '::ffff:10.0.0.1' and '10.0.0.1' are one address to the admin. */
function plainAddress(ip: string | undefined): string {
  if (!ip) return '?';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export class WebhookJournal {
  private pending = new Map<string, Pending>();
  private outcomes = new WeakMap<FastifyRequest, WebhookOutcome>();
  private keysThisHour = new Set<string>();
  private currentHour = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    private db: Db,
    private log: Logger,
    private now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** The handler's verdict for this request, finer than its status (a wrong key vs a wrong sign). */
  mark(req: FastifyRequest, outcome: WebhookOutcome): void {
    this.outcomes.set(req, outcome);
  }

  /** Called once per answered callback; `fallback` for a response no handler marked. */
  record(req: FastifyRequest, kind: string, fallback: WebhookOutcome): void {
    const outcome = this.outcomes.get(req) ?? fallback;
    const at = this.now();
    const hour = at - (at % HOUR_MS);
    if (hour !== this.currentHour) {
      this.currentHour = hour;
      this.keysThisHour.clear();
    }
    let ip = plainAddress(req.ip);
    let key = rowKey({ hour, outcome, kind, ip });
    if (!this.keysThisHour.has(key)) {
      if (this.keysThisHour.size >= MAX_KEYS_PER_HOUR) {
        ip = OTHER_ADDRESSES;
        key = rowKey({ hour, outcome, kind, ip });
      }
      this.keysThisHour.add(key);
    }
    const p = this.pending.get(key);
    if (p) {
      p.count++;
      p.last = at;
    } else {
      this.pending.set(key, { hour, outcome, kind, ip, count: 1, first: at, last: at });
    }
  }

  /** Writes what was counted since the last flush; on failure keeps it for the next one. */
  flush(): Promise<void> {
    // One flush at a time: a second caller waits for the running one and then writes its rest.
    const run = (this.flushing ?? Promise.resolve()).then(() => this.write());
    this.flushing = run.finally(() => {
      if (this.flushing === run) this.flushing = null;
    });
    return run;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    try {
      await this.db.query(
        `INSERT INTO webhook_journal (hour, outcome, kind, ip, count, first_at, last_at)
         SELECT to_timestamp(h / 1000.0), o, k, i, c, to_timestamp(f / 1000.0), to_timestamp(l / 1000.0)
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) AS t(h, o, k, i, c, f, l)
         ON CONFLICT (hour, outcome, kind, ip) DO UPDATE SET
           count = webhook_journal.count + EXCLUDED.count,
           first_at = least(webhook_journal.first_at, EXCLUDED.first_at),
           last_at = greatest(webhook_journal.last_at, EXCLUDED.last_at)`,
        [
          batch.map((p) => p.hour),
          batch.map((p) => p.outcome),
          batch.map((p) => p.kind),
          batch.map((p) => p.ip),
          batch.map((p) => p.count),
          batch.map((p) => p.first),
          batch.map((p) => p.last),
        ],
      );
    } catch (err) {
      this.requeue(batch);
      this.log.warn({ err, rows: batch.length }, 'webhook journal not written; kept for the next flush');
      return;
    }
    if (this.now() - this.lastPrune > HOUR_MS) {
      this.lastPrune = this.now();
      await this.db
        .query(`DELETE FROM webhook_journal WHERE hour < now() - make_interval(days => ${KEEP_DAYS})`)
        .catch((err: unknown) => this.log.warn({ err }, 'webhook journal: old hours not pruned'));
    }
  }

  private requeue(batch: Pending[]): void {
    for (const p of batch) {
      const key = rowKey(p);
      const cur = this.pending.get(key);
      if (!cur) this.pending.set(key, p);
      else {
        cur.count += p.count;
        cur.first = Math.min(cur.first, p.first);
        cur.last = Math.max(cur.last, p.last);
      }
    }
  }

  /** The last `hours` hours, this instance's unwritten counts included. */
  async view(hours: number): Promise<JournalView> {
    await this.flush();
    const since = new Date(Math.floor((this.now() - hours * HOUR_MS) / HOUR_MS) * HOUR_MS);
    const [rows, totals] = await Promise.all([
      this.db.query<{ outcome: WebhookOutcome; kind: string; ip: string; count: string; first_at: Date | string; last_at: Date | string }>(
        `SELECT outcome, kind, ip, sum(count)::bigint AS count, min(first_at) AS first_at, max(last_at) AS last_at
           FROM webhook_journal WHERE hour >= $1
          GROUP BY outcome, kind, ip ORDER BY max(last_at) DESC, outcome LIMIT 200`,
        [since],
      ),
      this.db.query<{ accepted: boolean; count: string }>(
        'SELECT outcome = ANY($2) AS accepted, sum(count)::bigint AS count FROM webhook_journal WHERE hour >= $1 GROUP BY 1',
        [since, ACCEPTED_OUTCOMES],
      ),
    ]);
    const total = (accepted: boolean) => Number(totals.rows.find((r) => r.accepted === accepted)?.count ?? 0);
    return {
      hours,
      accepted: total(true),
      refused: total(false),
      rows: rows.rows.map((r) => ({
        outcome: r.outcome,
        kind: r.kind,
        ip: r.ip,
        count: Number(r.count),
        firstAt: new Date(r.first_at).toISOString(),
        lastAt: new Date(r.last_at).toISOString(),
      })),
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
