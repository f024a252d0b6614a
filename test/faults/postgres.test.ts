import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { createTestDatabase, PG_ADMIN_URL } from '../support/pg';
import { deliver } from '../../tools/mango-sim/deliver';
import { postForm, eventUrl } from '../../tools/mango-sim/webhook-post';
import { signedForm } from '../../tools/mango-sim/sign';
import { buildScenario } from '../../tools/mango-sim/scenarios';
import {
  AppFeed,
  buildBurst,
  callMismatches,
  checkEventsStoredOnce,
  createEmployees,
  feedDifferences,
  feedOf,
  freePort,
  idemKeyOf,
  MANGO_KEY,
  MANGO_SALT,
  newAgent,
  pgClient,
  sleep,
  startPrivatePostgres,
  startRelayProcess,
  tempDir,
  waitAllReduced,
  waitUntil,
  type PrivatePostgres,
  type RelayProcess,
} from './helpers';

// Postgres goes away under load — its connections dropped and refused on the shared server,
// or a private cluster crash-restarted — and, separately, only the relay's LISTEN connection
// is dropped. No webhook may be answered 200 unless its event is already committed (checked
// while the load runs, from a connection of our own); /healthz says 503 while the database
// cannot be reached; the relay recovers by itself within 5 s; the app is never logged out and
// ends up with every feed item once, in order.

const EVENTS = Number(process.env.FAULT_OUTAGE_EVENTS ?? 4000);
const RECOVERY_LIMIT_MS = 5000;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((e) => console.warn('cleanup failed', e));
});

/** After each 200, asks the database (from its own connection) whether the event is committed. */
class CommitChecker {
  private pending: string[] = [];
  private client: pg.Client | null = null;
  private stopped = false;
  private loop: Promise<void>;
  checked = 0;
  violations: string[] = [];
  pid = 0;

  constructor(private url: string) {
    this.loop = this.run();
  }

  async ready(): Promise<void> {
    await waitUntil('the commit checker to connect', () => this.client !== null, 10_000);
  }

  add(key: string) {
    this.pending.push(key);
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = await pgClient(this.url);
    c.on('error', () => {
      if (this.client === c) this.client = null;
    });
    this.pid = Number((await c.query('SELECT pg_backend_pid() AS p')).rows[0].p);
    this.client = c;
    return c;
  }

  private async run() {
    while (!this.stopped || this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        const c = await this.connect();
        if (batch.length) {
          // The 200 for every key in `batch` arrived before this statement began: its row must be visible.
          const r = await c.query<{ idem_key: string }>('SELECT idem_key FROM mango_events WHERE idem_key = ANY($1::text[])', [batch]);
          const found = new Set(r.rows.map((x) => x.idem_key));
          for (const k of batch) if (!found.has(k)) this.violations.push(k);
          this.checked += batch.length;
        }
      } catch {
        // Our own connection went with the database (crash restart): check these again later.
        this.pending.unshift(...batch);
        const c = this.client;
        this.client = null;
        await c?.end().catch(() => {});
        await sleep(100);
        if (this.stopped && Date.now() > this.deadline) break;
      }
      await sleep(20);
    }
  }

  private deadline = Infinity;
  async finish(): Promise<void> {
    this.stopped = true;
    this.deadline = Date.now() + 20_000;
    await this.loop;
    await this.client?.end().catch(() => {});
    if (this.pending.length) this.violations.push(`${this.pending.length} keys could not be checked`);
  }
}

/** Polls /healthz every 50 ms; keeps (time, status) samples. */
function pollHealth(url: string) {
  const samples: { t: number; status: number | 'error' }[] = [];
  let on = true;
  const done = (async () => {
    while (on) {
      const ctl = AbortSignal.timeout(2000);
      const status = await fetch(url + '/healthz', { signal: ctl }).then((r) => r.status, () => 'error' as const);
      samples.push({ t: Date.now(), status });
      await sleep(50);
    }
  })();
  return {
    samples,
    last: () => samples.at(-1)?.status,
    async stop() {
      on = false;
      await done;
    },
  };
}

let probeSeq = 0;
/** A signed, stored but not reducible event (DTMF): proves the write path end to end. */
async function probe(relayUrl: string, keys: Set<string>): Promise<number | string> {
  const n = ++probeSeq;
  const payload = { entry_id: `PROBE-E`, call_id: `PROBE-C`, seq: n, dtmf: '1', timestamp: Math.floor(Date.now() / 1000) };
  const res = await postForm(eventUrl(relayUrl + '/api/mango-webhook/', 'events/dtmf'), signedForm(MANGO_KEY, MANGO_SALT, payload), { timeoutMs: 3000 });
  if (res.status === 200) keys.add(`dtmf:PROBE-C:${n}`);
  return res.status;
}

interface Outage {
  begin(): Promise<void>;
  end(): Promise<void>;
}

async function outageUnderLoad(name: string, relay: RelayProcess, dbUrl: string, outage: Outage, seed: number) {
  const [op] = await createEmployees(relay.url, [
    { login: 'op101', role: 'to', extension: '101' },
    { login: 'op102', role: 'to', extension: '102' },
    { login: 'op103', role: 'to', extension: '103' },
  ]);
  const app = new AppFeed(relay.url, op.token).start();
  cleanups.push(() => app.stop());
  await waitUntil('the app to sync', () => app.synced > 0, 10_000);

  const checker = new CommitChecker(dbUrl);
  await checker.ready();
  const health = pollHealth(relay.url);
  const burst = buildBurst(EVENTS, seed);
  const keys = new Set(burst.keys);
  let ok = 0;
  const failed: string[] = [];
  let outageStarted = false;
  let resolveHalf: () => void = () => {};
  const half = new Promise<void>((r) => (resolveHalf = r));
  const started = Date.now();
  const delivery = deliver(relay.url + '/api/mango-webhook/', burst.events, {
    apiKey: MANGO_KEY,
    apiSalt: MANGO_SALT,
    concurrency: 16,
    retry: { attempts: 15, backoffMs: 100 },
    timeoutMs: 10_000,
    agent: newAgent(),
    onResult: (r) => {
      if (!r.ok) return void failed.push(`${idemKeyOf(r.event)} → ${r.status}`);
      checker.add(idemKeyOf(r.event));
      if (++ok === Math.floor(burst.events.length * 0.3)) resolveHalf();
    },
  });
  await Promise.race([half, delivery]);
  expect(ok, 'the outage must start mid-load').toBeLessThan(burst.events.length);

  // --- the outage
  const tBegin = Date.now();
  const okBeforeOutage = ok;
  outageStarted = true;
  await outage.begin();
  const first503 = await waitUntil('/healthz to say 503', () => samplesSince(health.samples, tBegin).find((s) => s.status === 503), 5000, 20).catch((err) => {
    const seen = samplesSince(health.samples, tBegin).map((s) => `${s.t - tBegin}ms:${s.status}`);
    throw new Error(`${(err as Error).message}; /healthz since the outage began: ${seen.join(' ')}\n${relay.output().slice(-3000)}`);
  });
  // A PC waking up mid-outage reconnects at once: the relay must not log it out.
  app.client.reconnectNow();
  await sleep(2500);
  const during = samplesSince(health.samples, first503.t);
  const probesDuring = [await probe(relay.url, keys), await probe(relay.url, keys)];
  const tEnd = Date.now();
  await outage.end();
  const tBack = Date.now(); // the database accepts connections again

  // --- recovery, by itself
  const recovered = await waitUntil('the relay to recover (healthz 200 and a webhook stored)', async () => {
    if (health.last() !== 200) return null;
    return (await probe(relay.url, keys)) === 200 ? Date.now() : null;
  }, 30_000, 50);
  const recoveryMs = recovered - tBack;

  const stats = await delivery;
  await health.stop();
  await checker.finish();
  await waitAllReduced(dbUrl, 120_000);

  const c = await pgClient(dbUrl);
  cleanups.push(() => c.end());
  const stored = await checkEventsStoredOnce(c, keys);
  const calls = await callMismatches(c, burst.outcomes);
  const maxId = Number((await c.query('SELECT coalesce(max(id), 0)::bigint AS m FROM feed WHERE employee_id = $1', [op.employee.id])).rows[0].m);
  await waitUntil('the app to catch up with the feed table', () => app.lastId() >= maxId || app.authFailed, 30_000).catch(() => null);
  const table = await feedOf(c, op.employee.id);

  const report = {
    case: name,
    events: burst.events.length,
    okBeforeOutage,
    first503AfterMs: first503.t - tBegin,
    outageMs: tEnd - tBegin,
    databaseBackAfterMs: tBack - tEnd,
    healthDuringOutage: countBy(during.map((s) => String(s.status))),
    probesDuringOutage: probesDuring,
    recoveryMs,
    statusCounts: stats.statusCounts,
    retries: stats.retries,
    checked200s: checker.checked,
    deliveredMs: Date.now() - started,
    feedItems: table.length,
  };
  console.log('outage report', JSON.stringify(report));

  expect(outageStarted).toBe(true);
  expect(checker.violations, 'answered 200 but not committed').toEqual([]);
  expect(checker.checked).toBe(stats.ok);
  expect(failed, 'events never answered 200 despite retries').toEqual([]);
  expect(stats.statusCounts['503'] ?? 0, 'the sender saw the outage').toBeGreaterThan(0);
  expect(during.filter((s) => s.status === 200), '/healthz said 200 while the database was unreachable').toEqual([]);
  expect(probesDuring.every((s) => s !== 200), 'a webhook answered 200 during the outage').toBe(true);
  expect(recoveryMs).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
  expect(stored.missing).toEqual([]);
  expect(stored.unexpected).toEqual([]);
  expect(stored.rows).toBe(keys.size);
  expect(calls.mismatches).toEqual([]);
  expect(app.authFailed, 'the app was logged out by a database outage').toBeNull();
  expect(feedDifferences(app.items, table)).toEqual([]);
}

function samplesSince<T extends { t: number }>(samples: T[], t: number): T[] {
  return samples.filter((s) => s.t >= t);
}

function countBy(xs: string[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (const x of xs) o[x] = (o[x] ?? 0) + 1;
  return o;
}

async function adminQuery(sql: string, params: unknown[] = [], url = PG_ADMIN_URL) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

describe('Postgres outages under load', () => {
  it('shared server: the relay\'s connections dropped and new ones refused', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const dataDir = tempDir('asgard-fault-pg-');
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const relay = await startRelayProcess({ databaseUrl: db.url, port: await freePort(), dataDir });
    cleanups.push(() => relay.stop());
    let dropped = 0;
    const outage: Outage = {
      async begin() {
        // Trust auth lets anyone in, so refuse every new connection to this database, then
        // drop the relay's (our own checker keeps its connection: it must see commits).
        await adminQuery(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
        const pids = await adminQuery(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> 'fault-test-checker'",
          [db.name],
        );
        dropped = pids.rowCount ?? 0;
        await adminQuery(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name <> 'fault-test-checker'",
          [db.name],
        );
      },
      async end() {
        await adminQuery(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
      },
    };
    cleanups.push(() => outage.end());
    await outageUnderLoad('connections dropped + refused', relay, db.url, outage, 301);
    expect(dropped, 'the relay had connections to drop').toBeGreaterThan(0);
  }, 300_000);

  it('private cluster: PostgreSQL crash-stopped (immediate) and started again', async () => {
    const cluster: PrivatePostgres = await startPrivatePostgres();
    cleanups.push(() => cluster.destroy());
    await adminQuery('CREATE DATABASE asgard_fault', [], cluster.url);
    const dbUrl = cluster.url.replace(/\/[^/]*$/, '/asgard_fault');
    const dataDir = tempDir('asgard-fault-pgr-');
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const relay = await startRelayProcess({ databaseUrl: dbUrl, port: await freePort(), dataDir });
    cleanups.push(() => relay.stop());
    let down = false;
    const outage: Outage = {
      async begin() {
        cluster.stop('immediate');
        down = true;
      },
      async end() {
        if (down) cluster.start();
        down = false;
      },
    };
    await outageUnderLoad('postgres crash-restart', relay, dbUrl, outage, 302);
  }, 300_000);

  it('only the LISTEN connections dropped: live feed items from another instance still reach a connected app within 5 s', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const dataDir = tempDir('asgard-fault-listen-');
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const relay = await startRelayProcess({ databaseUrl: db.url, port: await freePort(), dataDir });
    cleanups.push(() => relay.stop());
    // The app sits on a second instance: webhooks go to the first, so every item reaches the
    // app through the second instance's LISTEN connection (an instance hands only its own
    // commits to its sockets directly).
    const listenerRelay = await startRelayProcess({ databaseUrl: db.url, port: await freePort(), dataDir });
    cleanups.push(() => listenerRelay.stop());
    const [op] = await createEmployees(relay.url, [{ login: 'op101', role: 'to', extension: '101' }]);
    const app = new AppFeed(listenerRelay.url, op.token).start();
    cleanups.push(() => app.stop());
    await waitUntil('the app to sync', () => app.synced > 0, 10_000);
    const c = await pgClient(db.url);
    cleanups.push(() => c.end());

    for (let round = 0; round < 3; round++) {
      // Both instances (re)open their LISTEN connections by themselves; all are dropped each round.
      const listeners = await waitUntil(`round ${round}: both relays to have a LISTEN connection`, async () => {
        const r = await c.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
          [db.name],
        );
        return r.rows.length >= 2 ? r : null;
      }, 10_000);
      await c.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [listeners.rows.map((r) => r.pid)]);
      // One call for op101 right away, then silence: nothing else will wake the feed up.
      const call = buildScenario('incomingAnswered', { seed: 7000 + round, extension: '101', start: Math.floor(Date.now() / 1000) });
      const t0 = Date.now();
      const stats = await deliver(relay.url + '/api/mango-webhook/', call, { apiKey: MANGO_KEY, apiSalt: MANGO_SALT, concurrency: 1, retry: { attempts: 10, backoffMs: 100 } });
      expect(stats.failed).toBe(0);
      await waitAllReduced(db.url, 30_000);
      const maxId = Number((await c.query('SELECT max(id)::bigint AS m FROM feed WHERE employee_id = $1', [op.employee.id])).rows[0].m);
      await waitUntil(`round ${round}: the app to receive the call's items without any further event`, () => app.lastId() >= maxId, 5000);
      console.log('listen-drop round', round, 'delivered in', Date.now() - t0, 'ms');
      expect(app.items.at(-1)?.payload).toMatchObject({ kind: 'call', call: { entryId: call.entryId, status: 'answered' } });
    }
    expect(feedDifferences(app.items, await feedOf(c, op.employee.id))).toEqual([]);
  }, 120_000);
});
