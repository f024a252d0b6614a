/**
 * Fault-test harness: the relay as a real child process (so it can be SIGKILLed), the app's
 * real feed client, simulator bursts with known outcomes, and checks against the database.
 * Everything binds to loopback; every wait is bounded.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { FeedClient } from '../../src-main/core/relay/feed-client';
import type { Employee, FeedItem, LoginResponse } from '../../src-shared/wire';
import type { Role } from '../../src-shared/roles';
import { classify } from '../../server/mango/events';
import { planLoad } from '../../tools/mango-sim/load-plan';
import { buildScenario, type ExpectedOutcome } from '../../tools/mango-sim/scenarios';
import type { SimEvent } from '../../tools/mango-sim/types';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const MANGO_KEY = 'fault-vpbx-key';
export const MANGO_SALT = 'fault-vpbx-salt';
export const ADMIN = { login: 'admin', password: 'admin-password-1' };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value; throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => T | Promise<T>, timeoutMs: number, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

// ---------------------------------------------------------------------------------------------
// The relay as a child process

export interface RelayProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** The last lines the relay printed (stdout + stderr), for failure messages. */
  output(): string;
  exited(): boolean;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `node --import tsx server/main.ts` with PORT, HOST, DATABASE_URL, DATA_DIR, MANGO_API_KEY/SALT, ADMIN_LOGIN/PASSWORD,
 * reconciliation off; resolves when /healthz answers 200.
 */
export async function startRelayProcess(o: { databaseUrl: string; port: number; dataDir: string; env?: Record<string, string> }): Promise<RelayProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(o.port),
    HOST: '127.0.0.1',
    DATABASE_URL: o.databaseUrl,
    DATA_DIR: o.dataDir,
    MANGO_API_KEY: MANGO_KEY,
    MANGO_API_SALT: MANGO_SALT,
    ADMIN_LOGIN: ADMIN.login,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'warn',
    RECONCILE_EVERY_MS: '0',
    // Mango's API is never needed here; a closed loopback port makes any stray call fail fast.
    MANGO_API_URL: 'http://127.0.0.1:9/',
    ...o.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(l.length > 400 ? l.slice(0, 400) + '…' : l);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitCode: number | string | null = null;
  const exitedP = new Promise<void>((res) => child.once('exit', (code, signal) => ((exitCode = code ?? signal ?? 'exit'), res())));
  const url = `http://127.0.0.1:${o.port}`;
  const rp: RelayProcess = {
    child,
    url,
    port: o.port,
    output: () => lines.join('\n'),
    exited: () => exitCode !== null,
    async kill9() {
      if (exitCode === null) child.kill('SIGKILL');
      await exitedP;
    },
    async stop() {
      if (exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedP;
      clearTimeout(t);
    },
  };
  try {
    await waitUntil('the relay to answer /healthz', async () => {
      if (exitCode !== null) throw new Error(`relay exited (${exitCode}):\n${rp.output()}`);
      const r = await fetch(url + '/healthz').catch(() => null);
      return r?.status === 200;
    }, 60_000, 100);
  } catch (err) {
    await rp.kill9();
    throw new Error(`${(err as Error).message}\n${rp.output()}`);
  }
  return rp;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// The relay's HTTP API

export async function api<T>(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function login(base: string, l: string, p: string): Promise<LoginResponse> {
  const r = await api<LoginResponse>(base, 'POST', '/api/auth/login', null, { login: l, password: p });
  if (r.status !== 200) throw new Error(`login ${l} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Creates employees through the admin API (first admin from ADMIN_*); returns each one's session. */
export async function createEmployees(
  base: string,
  list: { login: string; role: Role; extension?: string; acceptCalls?: boolean }[],
): Promise<{ employee: Employee; token: string }[]> {
  const admin = await login(base, ADMIN.login, ADMIN.password);
  const out: { employee: Employee; token: string }[] = [];
  for (const e of list) {
    const password = `password-${e.login}`;
    const r = await api<Employee>(base, 'POST', '/api/admin/employees', admin.token, { name: e.login, password, ...e });
    if (r.status !== 201) throw new Error(`create employee ${e.login} failed: ${r.status} ${JSON.stringify(r.body)}`);
    out.push({ employee: r.body, token: (await login(base, e.login, password)).token });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The app: the real core feed client (src-main/core/relay/feed-client.ts)

/**
 * The desktop app's feed client with an in-memory "store": `apply` appends, `lastId` is the
 * last applied id, exactly as the app persists it in SQLite. Records auth failures (the app
 * would log the user out) and every connection state.
 */
export class AppFeed {
  items: FeedItem[] = [];
  authFailed: string | null = null;
  states: string[] = [];
  synced = 0;
  welcomed = 0;
  readonly client: FeedClient;

  constructor(relayUrl: string, token: string, private startId = 0) {
    this.client = new FeedClient({
      relayUrl,
      token,
      lastId: () => this.lastId(),
      // A restored relay database: start over from the relay's position.
      rewind: (id) => {
        this.items = [];
        this.startId = id;
      },
      apply: (item) => {
        this.items.push(item);
      },
      skip: () => {
        throw new Error('the relay sent an item of a kind the app does not know');
      },
      onState: (s) => this.states.push(s.state),
      onWelcome: () => this.welcomed++,
      onSynced: () => this.synced++,
      onAuthFailed: (code, message) => {
        this.authFailed = `${code}: ${message}`;
      },
      // Faster than the app's 1 s…30 s so the suite stays short; same algorithm.
      backoff: { baseMs: 200, maxMs: 2000 },
      heartbeatTimeoutMs: 20_000,
    });
  }

  lastId(): number {
    return this.items.at(-1)?.id ?? this.startId;
  }

  start(): this {
    this.client.start();
    return this;
  }

  stop(): void {
    this.client.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Simulator traffic with known outcomes

export interface Burst {
  events: SimEvent[];
  outcomes: ExpectedOutcome[];
  /** Idempotency key of every event, as the relay derives it. */
  keys: Set<string>;
}

/**
 * Whole calls from the simulator's realistic mix until at least `minEvents` events; calls are
 * interleaved in windows of 16 (events of concurrent calls arrive mixed, as from Mango).
 */
export function buildBurst(minEvents: number, seed: number, extensions = ['101', '102', '103']): Burst {
  const plan = planLoad({ rate: 50, count: Math.ceil(minEvents / 5), seed, extensions, startTime: Math.floor(Date.now() / 1000) - 3600 });
  const calls: SimEvent[][] = [];
  const outcomes: ExpectedOutcome[] = [];
  let n = 0;
  for (const p of plan) {
    if (n >= minEvents) break;
    const ev = buildScenario(p.kind, p.options);
    calls.push([...ev]);
    outcomes.push(ev.outcome);
    n += ev.length;
  }
  if (n < minEvents) throw new Error(`plan too short: ${n} < ${minEvents}`);
  const events: SimEvent[] = [];
  for (let w = 0; w < calls.length; w += 16) {
    const window = calls.slice(w, w + 16).map((c) => [...c]);
    while (window.some((c) => c.length)) for (const c of window) if (c.length) events.push(c.shift()!);
  }
  const keys = new Set(events.map(idemKeyOf));
  return { events, outcomes, keys };
}

export function idemKeyOf(e: SimEvent): string {
  return classify(e.path, e.payload).idemKey;
}

/** A private keep-alive agent per test, so sockets from a killed relay are not reused elsewhere. */
export function newAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 64 });
}

// ---------------------------------------------------------------------------------------------
// Database checks

export async function pgClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'fault-test-checker' });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export async function waitAllReduced(dbUrl: string, timeoutMs: number): Promise<void> {
  const c = await pgClient(dbUrl);
  try {
    let zeroes = 0;
    await waitUntil('every stored event to be reduced', async () => {
      const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM reduce_queue');
      zeroes = r.rows[0].n === 0 ? zeroes + 1 : 0;
      return zeroes >= 3;
    }, timeoutMs, 200);
  } finally {
    await c.end();
  }
}

/** Every sent event stored exactly once: same key set, one row per key. */
export async function checkEventsStoredOnce(c: pg.Client, keys: Set<string>): Promise<{ rows: number; distinct: number; missing: string[]; unexpected: string[] }> {
  const r = await c.query<{ idem_key: string }>('SELECT idem_key FROM mango_events');
  const stored = new Set(r.rows.map((x) => x.idem_key));
  return {
    rows: r.rows.length,
    distinct: stored.size,
    missing: [...keys].filter((k) => !stored.has(k)).slice(0, 10),
    unexpected: [...stored].filter((k) => !keys.has(k)).slice(0, 10),
  };
}

const DIRECTION = { incoming: 'in', outgoing: 'out', internal: 'internal' } as const;

/** Every call record matches its scenario's intended outcome; returns the mismatches. */
export async function callMismatches(c: pg.Client, outcomes: ExpectedOutcome[]): Promise<{ calls: number; mismatches: string[] }> {
  const r = await c.query<{ entry_id: string; direction: string; status: string; talk_seconds: number; phase: string }>(
    'SELECT entry_id, direction, status, talk_seconds, phase FROM calls',
  );
  const byEntry = new Map(r.rows.map((row) => [row.entry_id, row]));
  const mismatches: string[] = [];
  for (const o of outcomes) {
    const row = byEntry.get(o.entryId);
    const want = { direction: DIRECTION[o.direction], status: o.status, talk_seconds: o.talkSeconds, phase: 'ended' };
    const got = row ? { direction: row.direction, status: row.status, talk_seconds: Number(row.talk_seconds), phase: row.phase } : null;
    if (JSON.stringify(want) !== JSON.stringify(got)) mismatches.push(`${o.kind} ${o.entryId}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
  }
  if (r.rows.length !== outcomes.length) mismatches.push(`calls table has ${r.rows.length} rows for ${outcomes.length} scenarios`);
  return { calls: r.rows.length, mismatches };
}

export async function feedOf(c: pg.Client, employeeId: number, afterId = 0): Promise<{ id: number; payload: unknown }[]> {
  const r = await c.query<{ id: string | number; payload: unknown }>('SELECT id, payload FROM feed WHERE employee_id = $1 AND id > $2 ORDER BY id', [employeeId, afterId]);
  return r.rows.map((x) => ({ id: Number(x.id), payload: x.payload }));
}

/** The app holds exactly the feed table's items after `afterId`: same ids, same order, same payloads, no repeats. */
export function feedDifferences(app: FeedItem[], table: { id: number; payload: unknown }[]): string[] {
  const out: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < app.length; i++) {
    if (seen.has(app[i].id)) out.push(`item ${app[i].id} applied twice`);
    seen.add(app[i].id);
    if (i > 0 && app[i].id <= app[i - 1].id) out.push(`item ${app[i].id} after ${app[i - 1].id}: out of order`);
  }
  if (app.length !== table.length) out.push(`app has ${app.length} items, feed table ${table.length}`);
  const tableIds = new Set(table.map((t) => t.id));
  const missing = table.filter((t) => !seen.has(t.id)).map((t) => t.id);
  if (missing.length) out.push(`app is missing ${missing.length} items, first ${missing.slice(0, 5).join(', ')}`);
  const extra = app.filter((a) => !tableIds.has(a.id)).map((a) => a.id);
  if (extra.length) out.push(`app has ${extra.length} items not in the table, first ${extra.slice(0, 5).join(', ')}`);
  const n = Math.min(app.length, table.length);
  let payloadDiffs = 0;
  for (let i = 0; i < n; i++) {
    if (app[i].id === table[i].id && JSON.stringify(sortKeys(app[i].payload)) !== JSON.stringify(sortKeys(table[i].payload))) payloadDiffs++;
  }
  if (payloadDiffs) out.push(`${payloadDiffs} items differ from the table's payload`);
  return out.slice(0, 20);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

// ---------------------------------------------------------------------------------------------
// A private PostgreSQL cluster that may be restarted (never the shared one other tests use)

const PG_BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/14/bin'];

export interface PrivatePostgres {
  url: string;
  port: number;
  stop(mode: 'immediate' | 'fast'): void;
  start(): void;
  destroy(): void;
}

/** initdb + pg_ctl on a free loopback port in a temp dir (as user postgres when we are root). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = PG_BIN_DIRS.find((d) => existsSync(join(d, 'initdb')));
  if (!bin) throw new Error('initdb/pg_ctl not found under /usr/lib/postgresql/*/bin: run `npm run setup:test` (Debian postgresql package)');
  const dir = tempDir('asgard-pg-');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
    const r = spawnSync(asRoot ? 'runuser' : join(bin, cmd), argv, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const uid = Number(pw.stdout.trim());
    if (!Number.isInteger(uid) || pw.status !== 0) throw new Error('running as root without a postgres user: cannot initdb');
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`;
  const start = () => run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: (mode) => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']),
    start,
    destroy() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
