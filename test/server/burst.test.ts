/**
 * During an ingest burst (a backlog resent at thousands of events per second) the background
 * reducer gives way to acknowledging events, within a bound, and catches up afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../support/relay';
import { EventBatcher, storeEvents } from '../../server/ingest/batcher';

let r: TestRelay;
beforeAll(async () => {
  r = await startTestRelay();
}, 60_000);
afterAll(async () => r?.close());

const ivr = (entry: string, n: number) =>
  JSON.stringify({
    entry_id: entry, call_id: `${entry}-${n}`, timestamp: 1700000000 + n, seq: 1, call_state: 'Appeared', location: 'ivr',
    from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' },
  });
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe('ingest bursts', () => {
  it('are recognised by their arrival rate, and the recognition fades when arrivals stop', async () => {
    // Its own clock: a loaded machine's sleeps would stretch the window and change the rate.
    let now = 10_000;
    const batcher = new EventBatcher(r.relay.ctx.db, { windowMs: 1, maxBatch: 500, maxInFlight: 2, inlineMax: 8, clock: () => now });
    expect(batcher.inBurst).toBe(false);
    const appends: Promise<unknown>[] = [];
    const append = (i: number) => appends.push(batcher.append({ kind: 'events/call', idemKey: `burst-rate-${i}`, entryId: `BR${i >> 2}`, rawJson: ivr(`BR${i >> 2}`, i) }));
    // 1 000 events in 0.2 s, then one more to close the rate window: 5 000/s, a burst.
    for (let i = 0; i < 1000; i++) append(i);
    now += 200;
    append(1000);
    expect(batcher.inBurst).toBe(true);
    // 200 in 0.2 s is 1 000/s: live traffic, not a burst.
    now += 10;
    for (let i = 1001; i < 1200; i++) append(i);
    now += 200;
    append(1200);
    expect(batcher.inBurst).toBe(false);
    for (let i = 1201; i < 1600; i++) append(i);
    now += 200;
    append(1600); // 400 in 0.2 s: 2 000/s
    expect(batcher.inBurst).toBe(true);
    // Then nothing arrives for a while: the recognition fades.
    now += 450;
    expect(batcher.inBurst).toBe(false);
    await Promise.all(appends);
    await r.settle();
  });

  it('delay background reduction by a bounded wait, never stop it', async () => {
    const { reducer, db } = r.relay.ctx;
    reducer.ingestBurst = () => true; // a burst that never ends
    try {
      await storeEvents(db, [{ kind: 'events/call', idemKey: 'burst-bound', entryId: 'BURSTBOUND', rawJson: ivr('BURSTBOUND', 1) }], true);
      const t0 = performance.now();
      reducer.schedule();
      let found = false;
      for (let i = 0; i < 100 && !found; i++) {
        found = (await db.query("SELECT 1 FROM calls WHERE entry_id = 'BURSTBOUND'")).rows.length === 1;
        if (!found) await sleep(20);
      }
      const waited = performance.now() - t0;
      expect(found).toBe(true);
      expect(waited).toBeGreaterThanOrEqual(400); // it gave way first
    } finally {
      reducer.ingestBurst = () => r.relay.ctx.batcher.inBurst;
    }
  });
});
