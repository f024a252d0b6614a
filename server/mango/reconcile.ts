/**
 * Reconciliation (DESIGN.md "Gaps"): Mango documents no retry for callbacks, so on start and
 * periodically the relay asks Mango's basic statistics (mango-api.md §6.1: `stats/request`,
 * then `stats/result` until the CSV is ready) for the recent period and fills in every call
 * no webhook delivered, as a synthetic `stats/row` event the reducer turns into a record
 * marked reconciled. It also closes calls whose legs all ended but whose summary never came.
 *
 * Rate limits (§1.5) are kept through the shared pacer; a 3xxx answer is never retried by
 * itself (§1.4, §8.4: more than one bad request in 2 minutes locks the integration out).
 */
import type { Db, Queryable } from '../db/db';
import type { Logger } from '../log';
import type { CallReducer } from '../calls/worker';
import type { StatsRow } from '../calls/reduce';
import type { MangoSettingsStore } from './settings';
import type { MangoServices } from './services';
import { MangoError, errorForCode, resultCode } from './client';
import { storeEvents } from '../ingest/batcher';
import { Aborted, backoffMs, describeMangoError, isTransient, sleep } from './pacing';

export const STATS_FIELDS = [
  'records',
  'start',
  'finish',
  'answer',
  'from_extension',
  'from_number',
  'to_extension',
  'to_number',
  'disconnect_reason',
  'line_number',
  'location',
  'entry_id',
] as const;

export interface ReconcileOptions {
  /** Period asked on the first run, and at least this much on every run (s). */
  lookbackSec: number;
  /** Upper bound of the period after a long downtime (Mango allows ≤ 1 month). */
  maxLookbackSec: number;
  /** How far before the previous run's end the next period starts (s). */
  overlapSec: number;
  /** The period ends this long before now: webhooks of a call that just ended may be in flight (s). */
  quietSec: number;
  /** Wait between stats/result polls answered 204 (Mango: no more often than every 5 s). */
  pollDelayMs: number;
  /** Polls before giving up on one request. */
  maxPolls: number;
  /** Calls whose legs all ended without a summary for this long are finalized (s). */
  finalizeAfterSec: number;
  /** A live record that stats lists as finished is closed once unchanged for this long (s). */
  staleActiveSec: number;
  /** Attempts of stats/request on transient failures (429, 5xx, network). */
  requestAttempts: number;
  retryBaseMs: number;
}

export interface ReconcileResult {
  ok: boolean;
  skipped?: boolean;
  message: string;
  /** Period asked (Unix seconds). */
  from?: number;
  to?: number;
  /** CSV rows received and distinct calls in them. */
  rows: number;
  entries: number;
  /** Calls filled from stats (no record before). */
  inserted: number;
  /** Calls closed by an internal/finalize event. */
  finalized: number;
}

interface ReconcileState {
  lastTo: number;
  at: string;
  ok: boolean;
  message: string;
}

const STATE_KEY = 'mango_reconcile';
const CALL_EVENT_KINDS = ['events/call', 'events/summary', 'simple'];

export class Reconciler {
  readonly options: ReconcileOptions;
  private running: Promise<ReconcileResult> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private abort = new AbortController();
  last: ReconcileResult | null = null;

  constructor(
    private db: Db,
    private settings: MangoSettingsStore,
    private mango: MangoServices,
    private reducer: CallReducer,
    private log: Logger,
    options: Partial<ReconcileOptions> = {},
  ) {
    this.options = {
      lookbackSec: 2 * 3600,
      maxLookbackSec: 30 * 24 * 3600,
      overlapSec: 15 * 60,
      quietSec: 60,
      pollDelayMs: 5000,
      maxPolls: 36,
      finalizeAfterSec: 10 * 60,
      staleActiveSec: 5 * 60,
      requestAttempts: 3,
      retryBaseMs: 2500,
      ...options,
    };
  }

  /** Runs once now and then every `everyMs`; 0 disables both (tests call runOnce). */
  start(everyMs: number): void {
    if (everyMs <= 0) return;
    const tick = () => {
      void this.runOnce().catch((err) => this.log.error({ err }, 'reconciliation failed'));
    };
    tick();
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  /** One reconciliation; concurrent callers share the run in flight. */
  runOnce(): Promise<ReconcileResult> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async run(): Promise<ReconcileResult> {
    const empty = { rows: 0, entries: 0, inserted: 0, finalized: 0 };
    let finalized = 0;
    try {
      finalized = await this.finalizeOrphans();
    } catch (err) {
      this.log.error({ err }, 'finalizing calls without a summary failed');
    }
    const s = await this.settings.get();
    if (!s.enabled || !s.apiKey || !s.apiSalt) {
      if (finalized) this.reducer.schedule();
      return this.done({ ...empty, finalized, ok: true, skipped: true, message: 'Интеграция с Манго выключена или не настроена: сверка по статистике пропущена' }, false);
    }

    const now = Math.floor(Date.now() / 1000);
    const state = await this.loadState();
    const since = state ? Math.min(now - this.options.lookbackSec, state.lastTo - this.options.overlapSec) : now - this.options.lookbackSec;
    const from = Math.max(since, now - this.options.maxLookbackSec);
    const to = now - this.options.quietSec;
    try {
      const csv = await this.fetchStats(from, to);
      const rows = parseStatsCsv(csv, [...STATS_FIELDS]);
      const merged = mergeStatsRows(rows);
      const applied = await this.apply(merged);
      finalized += applied.finalized;
      if (applied.inserted || finalized) this.reducer.schedule();
      const message = `Сверка со статистикой Манго: звонков в статистике ${merged.length}, восстановлено ${applied.inserted}, закрыто ${finalized}.`;
      if (applied.inserted) this.log.info({ inserted: applied.inserted, from, to }, 'reconciliation filled calls the webhooks never delivered');
      return this.done({ ok: true, message, from, to, rows: rows.length, entries: merged.length, inserted: applied.inserted, finalized }, true);
    } catch (err) {
      if (err instanceof Aborted) throw err;
      if (finalized) this.reducer.schedule();
      this.log.warn({ err: describeMangoError(err) }, 'reconciliation against Mango statistics failed');
      const noRetry = err instanceof MangoError && !isTransient(err) ? ' Автоповтор не выполняется (защита от блокировки API Манго).' : '';
      return this.done({ ...empty, finalized, from, to, ok: false, message: `Сверка со статистикой Манго не выполнена: ${describeMangoError(err).replace(/[.\s]+$/, '')}.${noRetry}` }, false);
    }
  }

  private async done(r: ReconcileResult, advance: boolean): Promise<ReconcileResult> {
    this.last = r;
    if (!r.skipped) {
      const prev = await this.loadState();
      const st: ReconcileState = { lastTo: advance && r.to ? r.to : prev?.lastTo ?? 0, at: new Date().toISOString(), ok: r.ok, message: r.message };
      await this.db
        .query('INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [STATE_KEY, JSON.stringify(st)])
        .catch((err) => this.log.error({ err }, 'could not store the reconciliation state'));
    }
    return r;
  }

  private async loadState(): Promise<ReconcileState | null> {
    const v = (await this.db.query<{ value: ReconcileState }>('SELECT value FROM settings WHERE key = $1', [STATE_KEY])).rows[0]?.value;
    return v && v.lastTo > 0 ? v : null;
  }

  /** stats/request, then stats/result polls until the CSV is ready. */
  async fetchStats(from: number, to: number): Promise<string> {
    const pacer = this.mango.pacer;
    const signal = this.abort.signal;
    let key: string | null = null;
    for (let attempt = 0; key == null; attempt++) {
      await pacer.slot('stats/request', signal);
      try {
        const r = await this.mango.client.call<{ key?: unknown }>('stats/request', {
          date_from: String(from),
          date_to: String(to),
          fields: STATS_FIELDS.join(','),
          request_id: `asgard-reconcile-${to}`,
        });
        if (typeof r.key !== 'string' || !r.key) throw new MangoError('http', null, 'Манго не вернул ключ статистики');
        key = r.key;
      } catch (err) {
        if (!isTransient(err) || attempt + 1 >= this.options.requestAttempts || this.stopped) throw err;
        await sleep(backoffMs(attempt, this.options.retryBaseMs), signal);
      }
    }

    let transientErrors = 0;
    for (let poll = 0; poll < this.options.maxPolls; poll++) {
      if (poll > 0) await sleep(this.options.pollDelayMs, signal);
      await pacer.slot('stats/result', signal);
      let r;
      try {
        r = await this.mango.client.raw('stats/result', { key });
      } catch (err) {
        if (!isTransient(err) || ++transientErrors >= 3) throw err;
        continue;
      }
      if (r.status === 204) continue; // not ready yet
      if (r.status === 429) continue;
      if (r.status === 404) throw new MangoError('not-found', null, 'Манго не нашёл подготовленную статистику (ключ устарел или неизвестен)', 404);
      if (r.status === 401) throw new MangoError('locked-out', null, 'API Манго временно отклоняет запросы после ошибок (блокировка на 2 минуты)', 401);
      if (r.status >= 500) {
        if (++transientErrors >= 3) throw new MangoError('server', null, `Сервер Манго ответил ошибкой ${r.status}`, r.status);
        continue;
      }
      const code = r.body && !Array.isArray(r.body) ? resultCode(r.body) : null;
      if (code != null && code !== 1000) throw errorForCode(code, r.status);
      if (r.status !== 200) throw new MangoError('http', code, `Неожиданный ответ Манго: HTTP ${r.status}`, r.status);
      return r.text;
    }
    throw new MangoError('timeout', null, `Статистика Манго не подготовлена за ${this.options.maxPolls} попыток`);
  }

  /** Inserts stats rows for calls without a record; closes live records Mango lists as finished. */
  private async apply(rows: StatsRow[]): Promise<{ inserted: number; finalized: number }> {
    if (rows.length === 0) return { inserted: 0, finalized: 0 };
    return this.db.tx(async (q) => {
      const ids = rows.map((r) => r.entry_id);
      const calls = new Map(
        (await q.query<{ entry_id: string; status: string; stale: boolean }>(
          `SELECT entry_id, status, updated_at < now() - make_interval(secs => $2) AS stale FROM calls WHERE entry_id = ANY($1::text[])`,
          [ids, this.options.staleActiveSec],
        )).rows.map((c) => [c.entry_id, c]),
      );
      // Events waiting for the reducer count as a record: the webhooks did arrive.
      const pending = new Set(
        (await q.query<{ entry_id: string }>('SELECT DISTINCT entry_id FROM mango_events WHERE entry_id = ANY($1::text[]) AND kind = ANY($2::text[])', [ids, CALL_EVENT_KINDS])).rows.map(
          (r) => r.entry_id,
        ),
      );
      let inserted = 0;
      let finalized = 0;
      for (const row of rows) {
        const call = calls.get(row.entry_id);
        if (!call && !pending.has(row.entry_id)) {
          if (await insertEvent(q, 'stats/row', `stats:${row.entry_id}`, row.entry_id, row)) inserted++;
        } else if (call && call.status === 'active' && call.stale) {
          // Mango lists it as finished but our record never got its end: close it.
          await insertEvent(q, 'stats/row', `stats:${row.entry_id}`, row.entry_id, row);
          if (await insertEvent(q, 'internal/finalize', `finalize:${row.entry_id}`, row.entry_id, { at: row.finish || Math.floor(Date.now() / 1000) })) finalized++;
        }
      }
      return { inserted, finalized };
    });
  }

  /** Calls whose legs all ended but whose summary has not come for finalizeAfterSec. */
  async finalizeOrphans(): Promise<number> {
    const rows = (
      await this.db.query<{ entry_id: string }>(
        `SELECT entry_id FROM calls
          WHERE status = 'active' AND phase = 'ended' AND updated_at < now() - make_interval(secs => $1)
          ORDER BY id LIMIT 1000`,
        [this.options.finalizeAfterSec],
      )
    ).rows;
    let n = 0;
    const at = Math.floor(Date.now() / 1000);
    for (const r of rows) if (await insertEvent(this.db, 'internal/finalize', `finalize:${r.entry_id}`, r.entry_id, { at })) n++;
    if (n) this.log.info({ finalized: n }, 'finalized calls whose summary never came');
    return n;
  }
}

/** Stores an event of the relay's own (a stats row, a finalize) and queues it for the reducer. */
async function insertEvent(q: Queryable, kind: string, idemKey: string, entryId: string, payload: object): Promise<boolean> {
  return (await storeEvents(q, [{ kind, idemKey, entryId, rawJson: JSON.stringify(payload) }], true)).length > 0;
}

/** A CSV row: the reducer's StatsRow plus where the call was when it ended. */
export interface StatsCsvRow extends StatsRow {
  location: string;
}

/**
 * Mango's basic statistics CSV (§6.1): `;` separated, never quoted, `\r\n` (or `\n`) line
 * ends, records as `[id1,id2]` (brackets optional), empty values as empty strings.
 */
export function parseStatsCsv(text: string, fields: readonly string[]): StatsCsvRow[] {
  const out: StatsCsvRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells = line.split(';');
    const get = (f: string) => {
      const i = fields.indexOf(f);
      return i >= 0 ? (cells[i] ?? '').trim() : '';
    };
    const int = (f: string) => {
      const n = Number(get(f));
      return Number.isFinite(n) ? Math.trunc(n) : 0;
    };
    const reason = get('disconnect_reason');
    out.push({
      entry_id: get('entry_id'),
      records: get('records')
        .replace(/^\[|\]$/g, '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
      start: int('start'),
      finish: int('finish'),
      answer: int('answer'),
      from_extension: get('from_extension'),
      from_number: get('from_number'),
      to_extension: get('to_extension'),
      to_number: get('to_number'),
      disconnect_reason: /^\d+$/.test(reason) ? Number(reason) : null,
      line_number: get('line_number'),
      location: get('location'),
    });
  }
  return out;
}

/**
 * One StatsRow per call: Mango may list several rows (legs) under one entry_id. Earliest start,
 * latest finish; answered if any leg answered, and then `to_*` is the leg that answered first;
 * otherwise the first leg that rang an employee. The originator comes from the earliest row.
 */
export function mergeStatsRows(rows: StatsCsvRow[]): (StatsRow & { location: string; legs: number })[] {
  const byEntry = new Map<string, StatsCsvRow[]>();
  for (const r of rows) {
    if (!r.entry_id) continue;
    const list = byEntry.get(r.entry_id);
    if (list) list.push(r);
    else byEntry.set(r.entry_id, [r]);
  }
  const out: (StatsRow & { location: string; legs: number })[] = [];
  for (const [entryId, list] of byEntry) {
    const sorted = [...list].sort((a, b) => a.start - b.start || a.finish - b.finish);
    const first = sorted[0];
    const last = [...sorted].sort((a, b) => a.finish - b.finish).at(-1) as StatsCsvRow;
    const answered = sorted.filter((r) => r.answer > 0).sort((a, b) => a.answer - b.answer)[0];
    const rung = answered ?? sorted.find((r) => r.to_extension) ?? first;
    const nonEmpty = (f: (r: StatsCsvRow) => string) => sorted.map(f).find((x) => !!x) ?? '';
    out.push({
      entry_id: entryId,
      start: Math.min(...sorted.map((r) => r.start).filter((x) => x > 0), first.start),
      finish: Math.max(...sorted.map((r) => r.finish)),
      answer: answered ? answered.answer : 0,
      from_extension: first.from_extension,
      from_number: first.from_number || nonEmpty((r) => (r.from_extension ? '' : r.from_number)),
      to_extension: rung.to_extension,
      to_number: rung.to_number,
      disconnect_reason: last.disconnect_reason,
      line_number: nonEmpty((r) => r.line_number),
      records: [...new Set(sorted.flatMap((r) => r.records))],
      location: last.location,
      legs: sorted.length,
    });
  }
  return out;
}
