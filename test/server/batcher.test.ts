/**
 * The group-commit batcher's scheduling, on a real PostgreSQL database with one commit slot
 * and a gate that holds the first batch's INSERT: what waited while the slot was busy goes as
 * soon as the slot frees, and not before its own window.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../server/db/db';
import { openDatabase } from '../../server/db/open';
import { EventBatcher, type IncomingEvent } from '../../server/ingest/batcher';
import { createTestDatabase } from '../support/pg';

let pg: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
beforeAll(async () => {
  pg = await createTestDatabase();
  db = await openDatabase({ databaseUrl: pg.url, dataDir: null });
}, 60_000);
afterAll(async () => {
  await db?.close();
  await pg?.drop();
});

const WINDOW_MS = 1500;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const event = (n: number): IncomingEvent => ({
  kind: 'events/call',
  idemKey: `batcher-${n}`,
  entryId: `B${n}`,
  rawJson: JSON.stringify({ entry_id: `B${n}`, call_id: `B${n}`, timestamp: 1700000000, seq: 1, call_state: 'Appeared' }),
});

/** `db` whose statements wait while the gate is closed; `reached` resolves when one is held. */
function gated(inner: Db) {
  let open!: () => void;
  const gate = new Promise<void>((res) => (open = res));
  let reached!: () => void;
  const held = new Promise<void>((res) => (reached = res));
  let closed = true;
  const proxy = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return async (text: string, params?: unknown[]) => {
        if (closed) {
          reached();
          await gate;
        }
        return target.query(text, params);
      };
    },
  });
  return { db: proxy, held, open: () => ((closed = false), open()) };
}

it('flushes events whose window ran out while the commit slot was busy as soon as it frees', async () => {
  const g = gated(db);
  const batcher = new EventBatcher(g.db, { windowMs: WINDOW_MS, maxBatch: 500, maxInFlight: 1, inlineMax: 8 });
  const first = batcher.append(event(1));
  await g.held; // the first batch holds the only slot
  const second = batcher.append(event(2));
  const third = batcher.append(event(3));
  await sleep(WINDOW_MS + 300); // their window runs out while the slot is busy
  const freed = performance.now();
  g.open();
  await first;
  await Promise.all([second, third]);
  // Before: another whole window after the slot freed.
  expect(performance.now() - freed).toBeLessThan(WINDOW_MS / 2);
  const stored = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM mango_events WHERE idem_key LIKE 'batcher-%'");
  expect(Number(stored.rows[0].n)).toBe(3);
});

it('still waits out the window for an event that arrives while the slot is free', async () => {
  const batcher = new EventBatcher(db, { windowMs: WINDOW_MS, maxBatch: 500, maxInFlight: 1, inlineMax: 8 });
  const t0 = performance.now();
  await batcher.append(event(4));
  expect(performance.now() - t0).toBeGreaterThanOrEqual(WINDOW_MS - 5);
});
