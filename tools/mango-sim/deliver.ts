// Sends webhooks the way Mango does: signed form posts, in parallel without waiting for
// replies (so they may arrive out of order), optionally shuffled within a call and retried.
import type http from 'node:http';
import { signedForm } from './sign';
import { eventUrl, postForm } from './webhook-post';
import { rngFrom, shuffleInPlace, type Rng } from './random';
import { applyTypeVariant } from './type-variant';
import type { SimEvent, TypeVariant } from './types';

export { generateLoad, planLoad } from './load-plan';
export type { LoadOptions, PlannedCall, GeneratedCall } from './load-plan';

export interface RetryPolicy {
  /** Total attempts per event, the first included. */
  attempts: number;
  /** Wait before the 2nd attempt; doubles each time (capped at 30 s). */
  backoffMs: number;
}

export interface DeliverOptions {
  apiKey: string;
  apiSalt: string;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Permute events within each call (same entry_id), keeping other calls' slots. */
  shuffle?: boolean;
  /** Makes the shuffle reproducible. */
  seed?: number;
  /** Retry on a non-200 answer or a network error/timeout. Without it: one attempt. */
  retry?: RetryPolicy;
  typeVariant?: TypeVariant;
  timeoutMs?: number;
  agent?: http.Agent;
  /** Called once per event with its final outcome. */
  onResult?: (r: DeliveryResult) => void;
}

export interface DeliveryResult {
  event: SimEvent;
  json: string;
  /** Final HTTP status, or 'error' / 'timeout'. */
  status: number | 'error' | 'timeout';
  attempts: number;
  ok: boolean;
}

export interface DeliverStats {
  /** Events handed to delivery. */
  sent: number;
  /** Events finally answered 200. */
  ok: number;
  /** Events never answered 200 after all attempts. */
  failed: number;
  /** Extra attempts beyond the first. */
  retries: number;
  /** Every attempt's outcome: "200", "500", "error", "timeout"… */
  statusCounts: Record<string, number>;
  durationMs: number;
}

export function emptyStats(): DeliverStats {
  return { sent: 0, ok: 0, failed: 0, retries: 0, statusCounts: {}, durationMs: 0 };
}

export function mergeStats(into: DeliverStats, add: DeliverStats): DeliverStats {
  into.sent += add.sent;
  into.ok += add.ok;
  into.failed += add.failed;
  into.retries += add.retries;
  for (const [k, v] of Object.entries(add.statusCounts)) into.statusCounts[k] = (into.statusCounts[k] ?? 0) + v;
  into.durationMs += add.durationMs;
  return into;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Call grouping key: entry_id, or for result/* the entry its command_id belongs to. */
function callKeys(events: SimEvent[]): string[] {
  const entryOfCommand = new Map<string, string>();
  for (const e of events) {
    const { entry_id, command_id } = e.payload;
    if (typeof entry_id === 'string' && typeof command_id === 'string') entryOfCommand.set(command_id, entry_id);
  }
  return events.map((e, i) => {
    const { entry_id, command_id } = e.payload;
    if (typeof entry_id === 'string') return entry_id;
    if (typeof command_id === 'string') return entryOfCommand.get(command_id) ?? `cmd:${command_id}`;
    return `solo:${i}`;
  });
}

/**
 * Permutes each call's events among the positions that call occupies, so calls stay
 * interleaved as before. A call with 2+ events always comes out in a different order.
 */
export function shuffleWithinCalls(events: SimEvent[], rng: Rng = Math.random): SimEvent[] {
  const keys = callKeys(events);
  const slots = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const list = slots.get(k);
    if (list) list.push(i);
    else slots.set(k, [i]);
  });
  const out = [...events];
  for (const positions of slots.values()) {
    if (positions.length < 2) continue;
    const order = [...positions];
    for (let tries = 0; tries < 5 && order.every((p, i) => p === positions[i]); tries++) shuffleInPlace(order, rng);
    if (order.every((p, i) => p === positions[i])) order.push(order.shift() as number);
    positions.forEach((slot, i) => {
      out[slot] = events[order[i]];
    });
  }
  return out;
}

export async function deliver(baseUrl: string, events: SimEvent[], opts: DeliverOptions): Promise<DeliverStats> {
  const started = Date.now();
  const stats = emptyStats();
  const variant = applyTypeVariant(events, opts.typeVariant);
  const queue = opts.shuffle ? shuffleWithinCalls(variant, rngFrom(opts.seed)) : variant;
  const attempts = Math.max(1, Math.floor(opts.retry?.attempts ?? 1));
  const backoff = Math.max(0, opts.retry?.backoffMs ?? 0);
  const concurrency = Math.max(1, Math.min(queue.length || 1, Math.floor(opts.concurrency ?? 8)));

  const sendOne = async (event: SimEvent): Promise<void> => {
    const json = JSON.stringify(event.payload);
    const body = signedForm(opts.apiKey, opts.apiSalt, json);
    const url = eventUrl(baseUrl, event.path);
    let status: DeliveryResult['status'] = 'error';
    let attempt = 0;
    while (attempt < attempts) {
      attempt++;
      if (attempt > 1) {
        stats.retries++;
        await sleep(Math.min(30_000, backoff * 2 ** (attempt - 2)));
      }
      const res = await postForm(url, body, { agent: opts.agent, timeoutMs: opts.timeoutMs });
      status = res.status;
      const key = String(status);
      stats.statusCounts[key] = (stats.statusCounts[key] ?? 0) + 1;
      if (status === 200) break;
    }
    const ok = status === 200;
    if (ok) stats.ok++;
    else stats.failed++;
    opts.onResult?.({ event, json, status, attempts: attempt, ok });
  };

  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const event = queue[next++];
      stats.sent++;
      await sendOne(event);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  stats.durationMs = Date.now() - started;
  return stats;
}

/** Unix seconds an event describes (result/* inherit the previous event's time). */
function eventTime(e: SimEvent): number | undefined {
  const p = e.payload;
  const t = p.timestamp ?? p.end_time;
  const n = typeof t === 'string' ? Number(t) : t;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

export interface PacedOptions extends DeliverOptions {
  /** 1 = real time, 0.1 = ten times faster, 0 = no waiting at all. */
  timeScale: number;
  /** Upper bound on any single wait, so a long talk never stalls a demo (default 60 s). */
  maxGapMs?: number;
}

/** Delivers events in timestamp groups, sleeping between groups as the call unfolds. */
export async function deliverPaced(baseUrl: string, events: SimEvent[], opts: PacedOptions): Promise<DeliverStats> {
  const total = emptyStats();
  let groupStart = 0;
  let prevTime = events.length > 0 ? eventTime(events[0]) : undefined;
  for (let i = 1; i <= events.length; i++) {
    const t = i < events.length ? (eventTime(events[i]) ?? prevTime) : undefined;
    if (i < events.length && t === prevTime) continue;
    mergeStats(total, await deliver(baseUrl, events.slice(groupStart, i), opts));
    if (i < events.length && t !== undefined && prevTime !== undefined && opts.timeScale > 0) {
      await sleep(Math.min(opts.maxGapMs ?? 60_000, Math.max(0, (t - prevTime) * 1000 * opts.timeScale)));
    }
    groupStart = i;
    prevTime = t;
  }
  return total;
}
