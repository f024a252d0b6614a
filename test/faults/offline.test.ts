import { afterAll, beforeAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type pg from 'pg';
import { createTestDatabase } from '../support/pg';
import { deliver } from '../../tools/mango-sim/deliver';
import {
  AppFeed,
  buildBurst,
  callMismatches,
  createEmployees,
  feedDifferences,
  feedOf,
  freePort,
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

// An app closed while 10,000 events happen catches up completely, in order, within 5 s of
// reconnecting (measured from start() to the last item applied).

const EVENTS = Number(process.env.FAULT_OFFLINE_EVENTS ?? 10_000);
const CATCH_UP_LIMIT_MS = 5000;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let relay: RelayProcess | null = null;
let c: pg.Client | null = null;
const apps: AppFeed[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = tempDir('asgard-fault-offline-');
  relay = await startRelayProcess({ databaseUrl: db.url, port: await freePort(), dataDir });
}, 90_000);

afterAll(async () => {
  for (const a of apps) a.stop();
  await relay?.stop();
  await c?.end().catch(() => {});
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it(`an app offline during ${EVENTS} events catches up in order within 5 s of reconnecting`, async () => {
  const [op101] = await createEmployees(relay!.url, [
    { login: 'op101', role: 'to', extension: '101' },
    { login: 'op102', role: 'to', extension: '102' },
    { login: 'op103', role: 'to', extension: '103' },
  ]);
  c = await pgClient(db.url);

  // Online first: the app has applied what exists, then the PC is switched off.
  const before = new AppFeed(relay!.url, op101.token).start();
  apps.push(before);
  await waitUntil('the app to sync', () => before.synced > 0, 10_000);
  before.stop();
  const lastId = before.lastId();

  const burst = buildBurst(EVENTS, 3000);
  const t0 = Date.now();
  const stats = await deliver(relay!.url + '/api/mango-webhook/', burst.events, {
    apiKey: MANGO_KEY,
    apiSalt: MANGO_SALT,
    concurrency: 32,
    retry: { attempts: 10, backoffMs: 100 },
    agent: newAgent(),
  });
  expect(stats.failed).toBe(0);
  const deliveredMs = Date.now() - t0;
  await waitAllReduced(db.url, 180_000);
  const reducedMs = Date.now() - t0;
  expect((await callMismatches(c, burst.outcomes)).mismatches).toEqual([]);

  const missed = await feedOf(c, op101.employee.id, lastId);
  expect(missed.length, 'feed items created while the app was offline').toBeGreaterThan(EVENTS / 20);
  const target = missed.at(-1)!.id;

  // The PC is switched on: the app reconnects with its last id.
  const after = new AppFeed(relay!.url, op101.token, lastId);
  apps.push(after);
  const t1 = performance.now();
  after.start();
  await waitUntil('the app to catch up', () => after.lastId() >= target || after.authFailed, 60_000, 5);
  const catchUpMs = Math.round(performance.now() - t1);
  const bytes = missed.reduce((n, m) => n + JSON.stringify(m.payload).length, 0);

  console.log(
    'offline report',
    JSON.stringify({ events: burst.events.length, calls: burst.outcomes.length, missedItems: missed.length, missedMB: +(bytes / 1e6).toFixed(1), deliveredMs, reducedMs, catchUpMs }),
  );
  expect(after.authFailed).toBeNull();
  expect(feedDifferences(after.items, missed)).toEqual([]);
  expect(catchUpMs).toBeLessThan(CATCH_UP_LIMIT_MS);
}, 420_000);
