/**
 * routingMode `api` (DESIGN.md "Who hears of a call"): when an incoming call appears in the IVR
 * or a queue, send one signed `commands/route` (mango-api.md §4) to one accepting, active
 * employee with an extension — the one idle longest, skipping anyone on a call right now.
 * Nobody accepting, or a failed route, leaves Mango's own scheme in charge.
 *
 * Exactly one decision per call: the `mango_routes` row for the entry_id is claimed with an
 * INSERT … ON CONFLICT DO NOTHING, so neither another relay instance nor a replayed event
 * routes it again. Routes go out one at a time, spaced by Mango's 1 per 2 s limit (§1.5).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db';
import type { Logger } from '../log';
import type { CallChange, CallReducer } from '../calls/worker';
import type { ReducedCall } from '../calls/reduce';
import type { MangoSettingsStore } from './settings';
import type { MangoServices } from './services';
import { MangoError } from './client';
import { Aborted, describeMangoError, sleep } from './pacing';

export interface ApiRoutingOptions {
  /** Calls that started longer ago than this (s) are not routed (a backlog reduced after a restart). */
  maxCallAgeSec: number;
  /** An employee a call was routed to within this many seconds counts as busy while that call lasts. */
  recentRouteSec: number;
  /** Attempts when Mango answers 429 (the command was not executed, so a retry is safe). */
  rateLimitAttempts: number;
}

export type RouteStatus = 'pending' | 'sent' | 'failed' | 'no-one' | 'skipped';

export interface RouteTarget {
  id: number;
  name: string;
  extension: string;
}

/** Extensions on a live call: answered/talking, dialling out, ringing, or just routed a call. */
const BUSY_SQL = `
  SELECT c.answered_extension AS ext FROM calls c
   WHERE c.status = 'active' AND c.phase <> 'ended' AND c.started_at > now() - interval '12 hours'
  UNION
  SELECT c.from_extension FROM calls c
   WHERE c.status = 'active' AND c.phase <> 'ended' AND c.direction IN ('out', 'internal') AND c.started_at > now() - interval '12 hours'
  UNION
  SELECT r.value->>'extension' FROM calls c CROSS JOIN LATERAL jsonb_array_elements(c.ringing) r
   WHERE c.status = 'active' AND c.phase <> 'ended' AND c.started_at > now() - interval '12 hours'
  UNION
  SELECT m.extension FROM mango_routes m JOIN calls c ON c.entry_id = m.entry_id
   WHERE m.status = 'sent' AND m.updated_at > now() - make_interval(secs => $1) AND c.status = 'active' AND c.phase <> 'ended'`;

export class ApiRouting {
  readonly options: ApiRoutingOptions;
  private queue: string[] = [];
  private work: Promise<void> = Promise.resolve();
  private pumping: Promise<void> | null = null;
  private stopped = false;
  private abort = new AbortController();

  constructor(
    private db: Db,
    private settings: MangoSettingsStore,
    private mango: MangoServices,
    private reducer: CallReducer,
    private log: Logger,
    options: Partial<ApiRoutingOptions> = {},
  ) {
    this.options = { maxCallAgeSec: 30 * 60, recentRouteSec: 120, rateLimitAttempts: 3, ...options };
  }

  /** Listens to the reducer's call changes. */
  start(): void {
    this.reducer.addChangeListener((changes) => this.handle(changes));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.whenIdle();
  }

  /** Resolves when every change handed in so far has been decided and every route sent. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const w = this.work;
      await w;
      if (this.pumping) await this.pumping;
      if (w === this.work && !this.pumping && (this.queue.length === 0 || this.stopped)) return;
    }
  }

  /** Considers reduced call changes; routable calls are claimed and queued. */
  handle(changes: CallChange[]): void {
    const candidates = changes.filter((c) => routable(c.next, this.options.maxCallAgeSec));
    if (candidates.length === 0 || this.stopped) return;
    this.work = this.work
      .then(async () => {
        const s = await this.settings.get();
        if (s.routingMode !== 'api' || !s.enabled || !s.apiKey || !s.apiSalt) return;
        for (const c of candidates) {
          const callId = c.next.queueCallIds.at(-1) as string;
          const claimed = await this.db.query('INSERT INTO mango_routes (entry_id, call_id) VALUES ($1, $2) ON CONFLICT (entry_id) DO NOTHING RETURNING entry_id', [
            c.next.entryId,
            callId,
          ]);
          if (claimed.rows.length > 0) this.queue.push(c.next.entryId);
        }
        if (this.queue.length && !this.pumping) this.pumping = this.pump();
      })
      .catch((err) => this.log.error({ err }, 'api routing: could not claim calls'));
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length && !this.stopped) {
        const entryId = this.queue.shift() as string;
        try {
          await this.routeOne(entryId);
        } catch (err) {
          if (err instanceof Aborted) break;
          this.log.error({ err, entryId }, 'api routing failed; Mango scheme stays in charge');
          await this.mark(entryId, 'failed', { detail: describeMangoError(err) }).catch(() => undefined);
        }
      }
    } finally {
      this.pumping = null;
    }
  }

  /** Decides and sends the route of one claimed call. */
  private async routeOne(entryId: string): Promise<void> {
    const pacer = this.mango.pacer;
    for (let attempt = 1; ; attempt++) {
      // Decide as late as possible: the call may have left the queue while we waited.
      const wait = await pacer.delayFor('commands/route');
      if (wait > 0) await sleep(wait, this.abort.signal);
      const s = await this.settings.get();
      if (s.routingMode !== 'api' || !s.enabled) return this.mark(entryId, 'skipped', { detail: 'режим api выключен' });
      const call = (await this.db.query<{ reduced: ReducedCall | null }>('SELECT reduced FROM calls WHERE entry_id = $1', [entryId])).rows[0]?.reduced;
      if (!call || call.status !== 'active' || !call.inQueue || call.queueCallIds.length === 0) {
        return this.mark(entryId, 'skipped', { detail: 'звонок уже не в очереди' });
      }
      const target = await this.pickTarget();
      if (!target.employee) {
        this.log.info({ entryId, reason: target.reason }, 'api routing: nobody to route to; Mango scheme stays in charge');
        return this.mark(entryId, 'no-one', { detail: target.reason });
      }
      const emp = target.employee;
      const callId = call.queueCallIds.at(-1) as string;
      const commandId = `asgard-route-${randomUUID()}`;
      await pacer.slot('commands/route', this.abort.signal);
      try {
        await this.mango.client.call('commands/route', { command_id: commandId, call_id: callId, to_number: emp.extension });
        this.log.info({ entryId, callId, extension: emp.extension, employeeId: emp.id }, 'call routed to the longest idle employee');
        return this.mark(entryId, 'sent', { callId, commandId, employee: emp });
      } catch (err) {
        const rateLimited = err instanceof MangoError && err.code === 'rate-limit';
        if (rateLimited && attempt < this.options.rateLimitAttempts && !this.stopped) {
          this.log.warn({ entryId, attempt }, 'commands/route rate-limited; retrying after the spacing');
          continue;
        }
        this.log.warn({ entryId, callId, err: describeMangoError(err) }, 'commands/route failed; Mango scheme stays in charge');
        return this.mark(entryId, 'failed', { callId, commandId, employee: emp, detail: describeMangoError(err) });
      }
    }
  }

  /** The accepting, active employee with an extension who has been idle longest and is not on a call. */
  async pickTarget(): Promise<{ employee: RouteTarget | null; reason: string }> {
    const candidates = (
      await this.db.query<{ id: number; name: string; extension: string }>(
        `SELECT id, name, extension FROM employees
          WHERE active AND accept_calls AND extension IS NOT NULL AND extension <> ''
          ORDER BY last_call_end_at ASC NULLS FIRST, id ASC`,
      )
    ).rows;
    if (candidates.length === 0) return { employee: null, reason: 'никто не принимает звонки' };
    const busy = new Set((await this.db.query<{ ext: string | null }>(BUSY_SQL, [this.options.recentRouteSec])).rows.map((r) => r.ext).filter(Boolean));
    const free = candidates.find((c) => !busy.has(c.extension));
    if (!free) return { employee: null, reason: 'все принимающие звонки заняты' };
    return { employee: { id: Number(free.id), name: free.name, extension: free.extension }, reason: '' };
  }

  private async mark(
    entryId: string,
    status: RouteStatus,
    x: { callId?: string; commandId?: string; employee?: RouteTarget; detail?: string } = {},
  ): Promise<void> {
    await this.db.query(
      `UPDATE mango_routes SET status = $2, call_id = COALESCE($3, call_id), command_id = COALESCE($4, command_id),
         employee_id = COALESCE($5, employee_id), extension = COALESCE($6, extension), detail = $7, updated_at = now()
       WHERE entry_id = $1`,
      [entryId, status, x.callId ?? null, x.commandId ?? null, x.employee?.id ?? null, x.employee?.extension ?? null, x.detail ?? null],
    );
  }
}

/** An incoming, live call waiting in the IVR/queue, recent enough to be worth routing. */
function routable(c: ReducedCall, maxAgeSec: number): boolean {
  if (c.status !== 'active' || c.direction !== 'in' || !c.inQueue || c.queueCallIds.length === 0 || c.reconciled) return false;
  if (c.ringing.length > 0) return false; // Mango is already ringing someone
  return Date.now() / 1000 - c.startedAt <= maxAgeSec;
}
