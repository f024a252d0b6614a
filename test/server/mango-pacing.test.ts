/**
 * Mango's rate limits are per account: two relay instances on one database must keep the
 * spacing between them, not each on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/open';
import type { Db } from '../../server/db/db';
import { MangoPacer } from '../../server/mango/pacing';
import { createTestDatabase } from '../support/pg';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let a: Db;
let b: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  a = await openDatabase({ databaseUrl: database.url, dataDir: null });
  b = await openDatabase({ databaseUrl: database.url, dataDir: null });
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await database?.drop();
});

const SPACING = { '*': 20, 'commands/route': 300 };

describe('Mango request pacing across instances', () => {
  it('spaces one kind of request by its limit, whichever instance sends it', async () => {
    const pacers = [new MangoPacer(a, SPACING), new MangoPacer(b, SPACING)];
    const sends: { reserved: number; sent: number }[] = [];
    const t0 = Date.now();
    // Six sends at once, alternating instances, as two relays routing calls at the same moment.
    await Promise.all(Array.from({ length: 6 }, (_, i) => pacers[i % 2].slot('commands/route').then((reserved) => sends.push({ reserved, sent: Date.now() }))));
    sends.sort((x, y) => x.reserved - y.reserved);
    // The shared schedule keeps the route spacing between the reserved moments, on the database
    // clock, whichever instance reserved them...
    const gaps = sends.slice(1).map((s, i) => s.reserved - sends[i].reserved);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(300 - 0.01);
    // ...and nobody sends before their moment (timers may fire a few ms early against the
    // database clock; a loaded machine fires them late, which the production spacing's margin covers).
    for (const s of sends) expect(s.sent).toBeGreaterThanOrEqual(s.reserved - 15);
    expect(Math.max(...sends.map((s) => s.sent)) - t0).toBeGreaterThanOrEqual(5 * 300 - 30);
  });

  it('keeps the any-request spacing between different kinds, and reports the wait without reserving', async () => {
    const pa = new MangoPacer(a, SPACING);
    const pb = new MangoPacer(b, SPACING);
    // Past the previous test's reservations, so this slot is taken at once.
    const earlier = await pa.delayFor('commands/route');
    await new Promise((res) => setTimeout(res, 15 + earlier));
    const taken = Date.now(); // the slot is reserved no earlier than this
    await pa.slot('commands/route');
    // What is left of the route spacing when asked, from the wall clock (a loaded machine may
    // take long between the calls): timers and the database clock may differ by a few ms.
    const left = () => 300 - (Date.now() - taken) - 15;
    // The route limit now applies on the other instance too, but another kind only waits the '*' gap.
    const first = await pb.delayFor('commands/route');
    expect(first).toBeGreaterThan(Math.max(0, left()));
    expect(first).toBeLessThanOrEqual(300 + 15);
    expect(await pb.delayFor('groups')).toBeLessThanOrEqual(20);
    const again = await pb.delayFor('commands/route');
    expect(again).toBeGreaterThan(Math.max(0, left()));
    expect(again).toBeLessThanOrEqual(first); // asking did not move it
    const t = Date.now();
    await pb.slot('groups');
    expect(Date.now() - t).toBeLessThan(150);
  });
});
