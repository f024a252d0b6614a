import { afterAll, beforeAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type pg from 'pg';
import { createTestDatabase } from '../support/pg';
import { deliver, type DeliverStats } from '../../tools/mango-sim/deliver';
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
  startRelayProcess,
  tempDir,
  waitAllReduced,
  waitUntil,
  type RelayProcess,
} from './helpers';

// kill -9 the relay in the middle of a 20,000-event burst from the simulator (retrying like
// Mango), restart it on the same port and database: every event stored exactly once, every
// call record as the scenario intends, and the connected app — after reconnecting with its
// last id — holds every feed item once and in order.

const EVENTS = Number(process.env.FAULT_BURST_EVENTS ?? 20_000);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let port: number;
let relay: RelayProcess | null = null;
let check: pg.Client | null = null;
let app: AppFeed | null = null;

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = tempDir('asgard-fault-kill9-');
  port = await freePort();
}, 60_000);

afterAll(async () => {
  app?.stop();
  await relay?.stop();
  await check?.end().catch(() => {});
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it(`SIGKILL mid-burst of ${EVENTS} events: stored once, calls correct, app feed complete and ordered`, async () => {
  const t0 = Date.now();
  relay = await startRelayProcess({ databaseUrl: db.url, port, dataDir });
  const [op101] = await createEmployees(relay.url, [
    { login: 'op101', role: 'to', extension: '101' },
    { login: 'op102', role: 'to', extension: '102' },
    { login: 'op103', role: 'to', extension: '103' },
  ]);
  expect(op101.employee.acceptCalls).toBe(true);

  app = new AppFeed(relay.url, op101.token).start();
  await waitUntil('the app to sync', () => app!.synced > 0, 10_000);

  const burst = buildBurst(EVENTS, 20_000);
  const ok200 = { n: 0 };
  let killAt = 0;
  let killed: () => void = () => {};
  const reachedKillPoint = new Promise<void>((r) => (killed = r));
  const killAfter = Math.floor(burst.events.length * 0.4);
  const notOk: string[] = [];

  const started = Date.now();
  const delivery: Promise<DeliverStats> = deliver(relay.url + '/api/mango-webhook/', burst.events, {
    apiKey: MANGO_KEY,
    apiSalt: MANGO_SALT,
    concurrency: 32,
    retry: { attempts: 12, backoffMs: 100 },
    timeoutMs: 10_000,
    agent: newAgent(),
    onResult: (r) => {
      if (r.ok) {
        if (++ok200.n === killAfter) killed();
      } else notOk.push(`${idemKeyOf(r.event)} → ${r.status} after ${r.attempts}`);
    },
  });

  await Promise.race([reachedKillPoint, delivery]);
  expect(ok200.n).toBeLessThan(burst.events.length); // the kill really lands mid-burst
  killAt = Date.now();
  await relay.kill9();
  const killedAfterMs = killAt - started;

  relay = await startRelayProcess({ databaseUrl: db.url, port, dataDir });
  const downMs = Date.now() - killAt;

  const stats = await delivery;
  const deliveredMs = Date.now() - started;
  console.log('kill9 delivery', JSON.stringify({ killedAfterMs, relayDownMs: downMs, deliveredMs, retries: stats.retries, statusCounts: stats.statusCounts }));
  expect(notOk, 'events never answered 200 despite retries').toEqual([]);
  expect(stats.failed).toBe(0);
  expect(stats.retries).toBeGreaterThan(0); // the kill was felt by the sender

  await waitAllReduced(db.url, 180_000);
  const reducedMs = Date.now() - started;
  console.log('kill9 reduced', JSON.stringify({ reducedMs }));

  check = await pgClient(db.url);
  const stored = await checkEventsStoredOnce(check, burst.keys);
  expect(stored.missing, 'sent events missing from mango_events').toEqual([]);
  expect(stored.unexpected, 'stored events nobody sent').toEqual([]);
  expect(stored.rows).toBe(burst.keys.size);
  expect(stored.distinct).toBe(burst.keys.size);

  const calls = await callMismatches(check, burst.outcomes);
  expect(calls.mismatches, 'call records differing from the scenario outcome').toEqual([]);

  // The app reconnected by itself (with its last id) and caught up with the feed table.
  const maxId = Number((await check.query('SELECT coalesce(max(id), 0)::bigint AS m FROM feed WHERE employee_id = $1', [op101.employee.id])).rows[0].m);
  await waitUntil('the app to catch up with the feed table', () => app!.lastId() >= maxId, 60_000);
  const caughtUpMs = Date.now() - started;
  const table = await feedOf(check, op101.employee.id);
  expect(app.authFailed).toBeNull();
  expect(app.welcomed).toBeGreaterThanOrEqual(2); // connected, killed, reconnected
  expect(feedDifferences(app.items, table)).toEqual([]);
  expect(table.length).toBeGreaterThan(EVENTS / 20);

  console.log(
    'kill9 report',
    JSON.stringify({
      events: burst.events.length,
      calls: burst.outcomes.length,
      feedItems: table.length,
      killedAfterMs,
      okBeforeKill: killAfter,
      relayDownMs: downMs,
      retries: stats.retries,
      statusCounts: stats.statusCounts,
      deliveredMs,
      reducedMs,
      appCaughtUpMs: caughtUpMs,
      totalMs: Date.now() - t0,
    }),
  );
}, 420_000);
