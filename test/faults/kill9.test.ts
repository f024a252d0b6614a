import { afterAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
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
// last id — holds every feed item once and in order. The same for a graceful restart
// (SIGTERM, as systemd does on deploy) with a smaller burst.

const EVENTS = Number(process.env.FAULT_BURST_EVENTS ?? 20_000);
const TERM_EVENTS = Number(process.env.FAULT_TERM_EVENTS ?? 5000);

const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((e) => console.warn('cleanup failed', e));
});

async function restartMidBurst(signal: 'SIGKILL' | 'SIGTERM', events: number, seed: number) {
  const t0 = Date.now();
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const dataDir = tempDir('asgard-fault-kill-');
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  let relay: RelayProcess = await startRelayProcess({ databaseUrl: db.url, port, dataDir });
  cleanups.push(() => relay.stop());
  const [op101] = await createEmployees(relay.url, [
    { login: 'op101', role: 'to', extension: '101' },
    { login: 'op102', role: 'to', extension: '102' },
    { login: 'op103', role: 'to', extension: '103' },
  ]);
  expect(op101.employee.acceptCalls).toBe(true);

  const app = new AppFeed(relay.url, op101.token).start();
  cleanups.push(() => app.stop());
  await waitUntil('the app to sync', () => app.synced > 0, 10_000);

  const burst = buildBurst(events, seed);
  let ok = 0;
  let atKillPoint: () => void = () => {};
  const reachedKillPoint = new Promise<void>((r) => (atKillPoint = r));
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
        if (++ok === killAfter) atKillPoint();
      } else notOk.push(`${idemKeyOf(r.event)} → ${r.status} after ${r.attempts}`);
    },
  });

  await Promise.race([reachedKillPoint, delivery]);
  expect(ok, 'the restart lands mid-burst').toBeLessThan(burst.events.length);
  const killAt = Date.now();
  if (signal === 'SIGKILL') await relay.kill9();
  else await relay.stop();
  const stoppedMs = Date.now() - killAt;
  const killedAfterMs = killAt - started;

  relay = await startRelayProcess({ databaseUrl: db.url, port, dataDir });
  const downMs = Date.now() - killAt;

  const stats = await delivery;
  const deliveredMs = Date.now() - started;
  expect(notOk, 'events never answered 200 despite retries').toEqual([]);
  expect(stats.failed).toBe(0);

  await waitAllReduced(db.url, 180_000);
  const reducedMs = Date.now() - started;

  const check = await pgClient(db.url);
  cleanups.push(() => check.end());
  const stored = await checkEventsStoredOnce(check, burst.keys);
  const calls = await callMismatches(check, burst.outcomes);

  // The app reconnected by itself (with its last id) and caught up with the feed table.
  const maxId = Number((await check.query('SELECT coalesce(max(id), 0)::bigint AS m FROM feed WHERE employee_id = $1', [op101.employee.id])).rows[0].m);
  await waitUntil('the app to catch up with the feed table', () => app.lastId() >= maxId, 60_000).catch(() => null);
  const caughtUpMs = Date.now() - started;
  const table = await feedOf(check, op101.employee.id);

  console.log(
    `${signal} report`,
    JSON.stringify({
      events: burst.events.length,
      calls: burst.outcomes.length,
      feedItems: table.length,
      killedAfterMs,
      okBeforeKill: killAfter,
      stoppedMs,
      relayDownMs: downMs,
      retries: stats.retries,
      statusCounts: stats.statusCounts,
      deliveredMs,
      reducedMs,
      appCaughtUpMs: caughtUpMs,
      totalMs: Date.now() - t0,
    }),
  );
  expect(stats.retries, 'the restart was felt by the sender').toBeGreaterThan(0);
  expect(stored.missing, 'sent events missing from mango_events').toEqual([]);
  expect(stored.unexpected, 'stored events nobody sent').toEqual([]);
  expect(stored.rows).toBe(burst.keys.size);
  expect(stored.distinct).toBe(burst.keys.size);
  expect(calls.mismatches, 'call records differing from the scenario outcome').toEqual([]);
  expect(app.authFailed).toBeNull();
  expect(app.welcomed).toBeGreaterThanOrEqual(2); // connected, restarted, reconnected
  expect(feedDifferences(app.items, table)).toEqual([]);
  expect(table.length).toBeGreaterThan(events / 20);
}

it(`SIGKILL mid-burst of ${EVENTS} events: stored once, calls correct, app feed complete and ordered`, () => restartMidBurst('SIGKILL', EVENTS, 20_000), 420_000);

it(`SIGTERM (graceful restart) mid-burst of ${TERM_EVENTS} events: the same guarantees`, () => restartMidBurst('SIGTERM', TERM_EVENTS, 5000), 300_000);
