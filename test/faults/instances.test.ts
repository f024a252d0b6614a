import { afterAll, beforeAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type pg from 'pg';
import { createTestDatabase } from '../support/pg';
import { deliver } from '../../tools/mango-sim/deliver';
import { appendFeed } from '../../server/hub/feed-store';
import type { Queryable } from '../../server/db/db';
import {
  AppFeed,
  buildBurst,
  callMismatches,
  checkEventsStoredOnce,
  createEmployees,
  feedDifferences,
  feedOf,
  freePort,
  MANGO_KEY,
  MANGO_SALT,
  newAgent,
  pgClient,
  sleep,
  startRelayProcess,
  tempDir,
  waitAllReduced,
  waitUntil,
  type RelayProcess,
} from './helpers';

// Two relay instances share one Postgres (DESIGN: "several relay instances may share one
// Postgres"), Mango's callbacks spread over both as by a load balancer, and one instance is
// killed with SIGKILL in the middle and restarted. Both reducers write feed items at the same
// time: an app on either instance must still get every item of its feed, once and in order.
// The second test makes the race deterministic: two writers (as two instances' reducers, or
// a reducer and a status change) commit feed items in the opposite order of their ids.

const EVENTS = Number(process.env.FAULT_INSTANCES_EVENTS ?? 6000);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const dirs: string[] = [];
const relays: RelayProcess[] = [];
const apps: AppFeed[] = [];
let c: pg.Client | null = null;

beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  for (const a of apps) a.stop();
  for (const r of relays) await r.stop();
  await c?.end().catch(() => {});
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(port: number): Promise<RelayProcess> {
  const dataDir = tempDir('asgard-fault-inst-');
  dirs.push(dataDir);
  const r = await startRelayProcess({ databaseUrl: db.url, port, dataDir, env: { RELAY_SECRET_KEY: 'a'.repeat(64) } });
  relays.push(r);
  return r;
}

it(`two instances, ${EVENTS} events spread over both, one killed mid-burst: every app's feed complete and in order`, async () => {
  const portA = await freePort();
  const portB = await freePort();
  const a = await start(portA);
  let b = await start(portB);
  const emps = await createEmployees(a.url, [
    { login: 'op101', role: 'to', extension: '101' },
    { login: 'op102', role: 'to', extension: '102' },
    { login: 'op103', role: 'to', extension: '103' },
  ]);
  // op101 on both instances (two PCs), op102 on A, op103 on B.
  const onA = [new AppFeed(a.url, emps[0].token), new AppFeed(a.url, emps[1].token)];
  const onB = [new AppFeed(b.url, emps[0].token), new AppFeed(b.url, emps[2].token)];
  const owners = [emps[0], emps[1], emps[0], emps[2]];
  apps.push(...onA, ...onB);
  for (const app of apps) app.start();
  await waitUntil('the apps to sync', () => apps.every((x) => x.synced > 0), 15_000);

  const burst = buildBurst(EVENTS, 4242);
  // A load balancer: consecutive events go to alternate instances.
  const toA = burst.events.filter((_, i) => i % 2 === 0);
  const toB = burst.events.filter((_, i) => i % 2 === 1);
  const opts = (onHalf?: () => void) => {
    let n = 0;
    return {
      apiKey: MANGO_KEY,
      apiSalt: MANGO_SALT,
      concurrency: 16,
      retry: { attempts: 12, backoffMs: 100 },
      agent: newAgent(),
      onResult: (r: { ok: boolean }) => {
        if (r.ok && ++n === Math.floor(toB.length / 2)) onHalf?.();
      },
    };
  };
  let half: () => void = () => {};
  const halfway = new Promise<void>((r) => (half = r));
  const t0 = Date.now();
  const dA = deliver(a.url + '/api/mango-webhook/', toA, opts());
  const dB = deliver(b.url + '/api/mango-webhook/', toB, opts(half));
  await Promise.race([halfway, dB]);
  await b.kill9();
  b = await start(portB);
  const [sA, sB] = await Promise.all([dA, dB]);
  expect(sA.failed + sB.failed).toBe(0);
  await waitAllReduced(db.url, 180_000);

  c = await pgClient(db.url);
  const stored = await checkEventsStoredOnce(c, burst.keys);
  expect(stored.missing).toEqual([]);
  expect(stored.rows).toBe(burst.keys.size);
  expect((await callMismatches(c, burst.outcomes)).mismatches).toEqual([]);

  const problems: string[] = [];
  for (let i = 0; i < apps.length; i++) {
    const owner = owners[i];
    const table = await feedOf(c, owner.employee.id);
    const maxId = table.at(-1)?.id ?? 0;
    await waitUntil(`app ${i} to reach the end of its feed`, () => apps[i].lastId() >= maxId, 20_000).catch(() => null);
    const diff = feedDifferences(apps[i].items, table);
    if (diff.length) problems.push(`app ${i} (${owner.employee.login} on ${i < 2 ? 'A' : 'B'}): ${diff.join('; ')}`);
    if (apps[i].authFailed) problems.push(`app ${i} logged out: ${apps[i].authFailed}`);
  }
  console.log('instances report', JSON.stringify({ events: burst.events.length, ms: Date.now() - t0, retries: sA.retries + sB.retries, feedItems: apps.map((x) => x.items.length) }));
  expect(problems).toEqual([]);
}, 420_000);

it('two writers committing feed items out of id order: the app still gets both, in order', async () => {
  const fresh = await createTestDatabase();
  const dataDir = tempDir('asgard-fault-order-');
  dirs.push(dataDir);
  try {
    const r = await startRelayProcess({ databaseUrl: fresh.url, port: await freePort(), dataDir });
    relays.push(r);
    const [op] = await createEmployees(r.url, [{ login: 'op101', role: 'to', extension: '101' }]);
    const app = new AppFeed(r.url, op.token).start();
    apps.push(app);
    await waitUntil('the app to sync', () => app.synced > 0, 10_000);
    const w1 = await pgClient(fresh.url);
    const w2 = await pgClient(fresh.url);
    const asQ = (cl: pg.Client): Queryable => ({
      async query<T>(text: string, params?: unknown[]) {
        const res = await cl.query(text, params);
        return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
      },
      async exec(sql: string) {
        await cl.query(sql);
      },
    });
    try {
      const presence = (online: boolean) => [{ employeeId: op.employee.id, payload: { kind: 'presence' as const, employeeId: op.employee.id, online } }];
      await w1.query('BEGIN');
      await appendFeed(asQ(w1), presence(true)); // takes the lower id, commits last
      await w2.query('BEGIN');
      const second = appendFeed(asQ(w2), presence(false)).then(() => w2.query('COMMIT'));
      await sleep(500); // the second writer commits (and notifies) first, if nothing orders them
      await w1.query('COMMIT');
      await second;
      const table = await feedOf(w1, op.employee.id);
      expect(table).toHaveLength(2);
      await waitUntil('the app to get both items', () => app.items.length >= 2, 3000).catch(() => null);
      expect(feedDifferences(app.items, table)).toEqual([]);
    } finally {
      await w1.end().catch(() => {});
      await w2.end().catch(() => {});
    }
  } finally {
    await relays.at(-1)?.stop();
    await fresh.drop();
  }
}, 120_000);
