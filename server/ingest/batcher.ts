import type { Db, Queryable } from '../db/db';

export interface IncomingEvent {
  kind: string;
  idemKey: string;
  entryId: string | null;
  /**
   * The event's JSON exactly as received (a valid JSON value: callers have parsed it): kept as
   * text, and parsed by PostgreSQL into `payload`.
   */
  rawJson: string;
}

/**
 * Appends events to the durable log (an idempotency key already stored is skipped) and, with
 * `queue`, queues them for the background reducer in the same statement. Returns the rows this
 * call inserted. Issues its one statement before returning, so callers can pipeline behind it.
 */
export function storeEvents(q: Queryable, rows: IncomingEvent[], queue: boolean): Promise<{ id: number; idem_key: string }[]> {
  // One json document per batch, not a VALUES list per batch size: one statement text, prepared
  // once per connection. Each event's JSON goes in as itself, not as an escaped string (escaping
  // every quote of every event was the relay's largest allocation per webhook): a json-typed
  // column of json_to_recordset keeps the exact text of its value, so raw_json stays byte-exact.
  const sql = `WITH ins AS (
       INSERT INTO mango_events (kind, idem_key, entry_id, payload, raw_json)
       SELECT k, i, e, COALESCE(s, r::text)::jsonb, COALESCE(s, r::text)
       FROM ROWS FROM (json_to_recordset($1::json) AS (k text, i text, e text, r json, s text)) WITH ORDINALITY AS t(k, i, e, r, s, n) ORDER BY n
       ON CONFLICT (idem_key) DO NOTHING RETURNING id, idem_key
     ), queued AS (
       INSERT INTO reduce_queue (event_id) SELECT id FROM ins WHERE $2::boolean
     )
     SELECT * FROM ins`;
  return q.query<{ id: number; idem_key: string }>(sql, [eventsDocument(rows), queue]).then((r) => r.rows);
}

/** JSON whitespace: the only characters JSON.parse accepts around a value. */
const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * The batch as a json array for storeEvents. An event's JSON (already parsed by the caller, so
 * a complete JSON value) is embedded as `r`; one with whitespace around it travels as a string
 * (`s`) instead, since an embedded value would lose that whitespace.
 */
function eventsDocument(rows: IncomingEvent[]): string {
  let doc = '[';
  for (const e of rows) {
    const raw = e.rawJson;
    const padded = raw.length === 0 || isJsonSpace(raw.charCodeAt(0)) || isJsonSpace(raw.charCodeAt(raw.length - 1));
    if (doc.length > 1) doc += ',';
    doc += `{"k":${JSON.stringify(e.kind)},"i":${JSON.stringify(e.idemKey)},"e":${JSON.stringify(e.entryId)},${padded ? `"s":${JSON.stringify(raw)}` : `"r":${raw}`}}`;
  }
  return doc + ']';
}

/**
 * Work done in the batch's own transaction on the rows it inserted (not queued for the
 * background reducer: the hook reduces them). Called as soon as the INSERT is issued, with the
 * batch's events and how many of them will have been new (the rest were duplicates), so the
 * hook's first statements travel with the INSERT (pipelined). Returns what to run after the
 * commit; may leave its last statements in flight (the COMMIT follows them). If it throws or
 * one of its statements fails, the whole batch is rolled back and stored again without it.
 */
export type InTransaction = (q: Queryable, batch: IncomingEvent[], insertedCount: Promise<number>) => Promise<() => Promise<void>>;

export interface BatcherOptions {
  windowMs: number;
  maxBatch: number;
  maxInFlight: number;
  /**
   * Batches up to this size run `inTransaction`; bigger ones (a burst: the queue grew while
   * commits were in flight) skip it and call `onDeferred` after their commit, so a burst is
   * reduced later in large, cheaper batches while normal traffic gets one-commit latency.
   */
  inlineMax: number;
  /** Milliseconds on a monotonic clock, for the arrival rate (tests pass their own). */
  clock?: () => number;
}

/** Events per second from which arrivals count as a burst (see EventBatcher.inBurst). */
const BURST_RATE = 1500;
const RATE_WINDOW_MS = 200;

interface Pending {
  event: IncomingEvent;
  resolve: (r: { duplicate: boolean }) => void;
  reject: (e: Error) => void;
}

/**
 * Group commit: events arriving within `windowMs` go into one multi-row INSERT and one commit,
 * then every waiting request is answered. A request is resolved only after its row (or an
 * earlier identical one) is committed; any failure rejects the whole batch so each sender
 * gets a 5xx and retries. `inTransaction` (the call reducer) works on the fresh rows before
 * the same commit, so a call event becomes a feed item with one fsync, not two.
 */
export class EventBatcher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  /**
   * Batches committing right now. Two may overlap, so one slow fsync does not stall intake; more
   * only contend for the feed lock and the CPU (fan-out bench: p99 ~100 ms with 4, ~40–75 ms
   * with 2, the same ingest throughput).
   */
  private inFlight = 0;
  /** The window ran out while every commit slot was busy: the next free slot flushes at once. */
  private due = false;
  inTransaction: InTransaction | null = null;
  /** After the commit of a batch stored without `inTransaction` (too big, failed, or no hook). */
  onDeferred: (() => void) | null = null;
  /** `inTransaction` threw (the batch was then stored without it). */
  onInTransactionError: ((err: unknown) => void) | null = null;

  constructor(
    private db: Db,
    private opts: BatcherOptions = { windowMs: 1, maxBatch: 500, maxInFlight: 2, inlineMax: 8 },
  ) {}

  append(event: IncomingEvent): Promise<{ duplicate: boolean }> {
    this.countArrival();
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (this.queue.length >= this.opts.maxBatch) void this.flush();
      else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.opts.windowMs);
    });
  }

  /** Number of events waiting for a commit (for graceful shutdown and metrics). */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Events are arriving faster than BURST_RATE per second (over the last ~200 ms): a burst, such
   * as Mango resending a backlog. A company's live calls stay far below it.
   */
  get inBurst(): boolean {
    const now = this.now();
    if (now - this.rate.since > 2 * RATE_WINDOW_MS) return false;
    return this.rate.last >= BURST_RATE;
  }

  private rate = { since: 0, count: 0, last: 0 };
  private now(): number {
    return this.opts.clock ? this.opts.clock() : performance.now();
  }
  private countArrival(): void {
    const now = this.now();
    const elapsed = now - this.rate.since;
    if (elapsed >= RATE_WINDOW_MS) {
      this.rate.last = (this.rate.count * 1000) / elapsed;
      this.rate.since = now;
      this.rate.count = 0;
    }
    this.rate.count++;
  }

  private async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.queue.length === 0) return;
    if (this.inFlight >= this.opts.maxInFlight) {
      this.due = true;
      return;
    }
    this.inFlight++;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    this.due = this.queue.length > 0; // what did not fit has had its window too
    try {
      const inserted = await this.insert(batch.map((p) => p.event));
      for (const p of batch) p.resolve({ duplicate: !inserted.has(p.event.idemKey) });
    } catch (err) {
      if (isDataError(err) && batch.length > 1) await this.insertOneByOne(batch);
      else for (const p of batch) p.reject(asError(err));
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) {
        // Waiting events that have had their window go now, not after another one.
        if (this.due || this.queue.length >= this.opts.maxBatch) void this.flush();
        else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.opts.windowMs);
      }
    }
  }

  /** One bad row must not fail its neighbours: retry each alone, reject only the bad ones. */
  private async insertOneByOne(batch: Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        const inserted = await this.insert([p.event]);
        p.resolve({ duplicate: !inserted.has(p.event.idemKey) });
      } catch (err) {
        p.reject(asError(err));
      }
    }
  }

  private async insert(events: IncomingEvent[], withHook = true): Promise<Set<string>> {
    // With a hook, rows are not queued: the hook reduces them before the same commit; if it
    // throws, the batch is stored again without it, queued.
    const inTransaction = withHook && events.length <= this.opts.inlineMax ? this.inTransaction : null;
    const rows: IncomingEvent[] = [];
    const seen = new Set<string>();
    // Rows in key order: two overlapping batches then take unique-index locks in the same
    // order, so duplicates across them wait instead of deadlocking.
    for (const e of [...events].sort((a, b) => (a.idemKey < b.idemKey ? -1 : a.idemKey > b.idemKey ? 1 : 0))) {
      if (seen.has(e.idemKey)) continue; // the same event twice in one batch
      seen.add(e.idemKey);
      rows.push(e);
    }
    if (!inTransaction) {
      // One statement, one implicit transaction: all rows commit together or none do.
      const keys = new Set((await storeEvents(this.db, rows, true)).map((x) => x.idem_key));
      if (keys.size) this.onDeferred?.();
      return keys;
    }
    let result: { keys: Set<string>; after: () => Promise<void> };
    let eventsInserted = false;
    try {
      result = await this.db.tx(async (q) => {
        const stored = storeEvents(q, rows, false).then((inserted) => {
          eventsInserted = true;
          return inserted;
        });
        const forHook = stored.then((rows) => rows.length);
        forHook.catch(() => {}); // the hook may not read it; the INSERT's own failure surfaces below
        const hook = inTransaction(q, rows, forHook).catch((err: unknown) => {
          throw new InTransactionFailed(err);
        });
        // An INSERT failure arrives first (statements answer in order) and is the batch's error.
        const [inserted, after] = await Promise.all([stored, hook]);
        return { keys: new Set(inserted.map((x) => x.idem_key)), after };
      });
    } catch (err) {
      // The hook failed, or a statement it left in flight did (the events' INSERT had gone
      // through: what failed after it is the hook's work, or the commit). Its work is rolled back
      // with the batch; the events must still be stored: again, without it (queued for the
      // background reducer). If the database itself is failing, that attempt fails too.
      if (!(err instanceof InTransactionFailed) && !eventsInserted) throw err;
      this.onInTransactionError?.(err instanceof InTransactionFailed ? err.cause : err);
      return this.insert(events, false);
    }
    await result.after();
    return result.keys;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** SQLSTATE class 22 (data exception): the row is bad, the database is fine. */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('22');
}

class InTransactionFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('work in the ingest transaction failed');
  }
}
