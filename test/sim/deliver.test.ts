import { afterEach, describe, expect, it } from 'vitest';
import { deliver, deliverPaced, generateLoad, planLoad, shuffleWithinCalls } from '../../tools/mango-sim/deliver';
import { runLoad } from '../../tools/mango-sim/load-runner';
import { incomingAnswered, outgoing } from '../../tools/mango-sim/scenarios';
import { startWebhookReceiver, type WebhookReceiver } from '../../tools/mango-sim/webhook-receiver';
import { KEY, SALT } from './helpers';

const opened: WebhookReceiver[] = [];
async function receiver(respond?: (seen: number) => number) {
  const r = await startWebhookReceiver({ apiKey: KEY, apiSalt: SALT, basePath: '/api/mango-webhook/', respond: respond && ((_, seen) => respond(seen)) });
  opened.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

describe('deliver', () => {
  it('posts every event signed to <base><path>', async () => {
    const hooks = await receiver();
    const events = incomingAnswered({ seed: 1, withRecording: true });
    const stats = await deliver(hooks.url, events, { apiKey: KEY, apiSalt: SALT, concurrency: 4 });
    expect(stats).toMatchObject({ sent: events.length, ok: events.length, failed: 0, retries: 0, statusCounts: { '200': events.length } });
    expect(hooks.received.every((h) => h.signOk && h.keyOk)).toBe(true);
    expect(hooks.received.map((h) => h.path).sort()).toEqual(events.map((e) => e.path).sort());
  });

  it('with shuffle reorders events within a call', async () => {
    const hooks = await receiver();
    const events = incomingAnswered({ seed: 2 });
    await deliver(hooks.url, events, { apiKey: KEY, apiSalt: SALT, concurrency: 1, shuffle: true, seed: 3 });
    const sent = events.map((e) => JSON.stringify(e.payload));
    const arrived = hooks.received.map((h) => h.raw);
    expect(arrived).not.toEqual(sent);
    expect([...arrived].sort()).toEqual([...sent].sort());
  });

  it('shuffleWithinCalls keeps each call in its own slots', () => {
    const a = incomingAnswered({ seed: 4 });
    const b = outgoing({ seed: 5 });
    const mixed = a.flatMap((e, i) => (b[i] ? [e, b[i]] : [e]));
    const out = shuffleWithinCalls(mixed, () => 0.42);
    out.forEach((e, i) => expect(e.payload.entry_id).toBe(mixed[i].payload.entry_id));
    expect(out).not.toEqual(mixed);
  });

  it('retry recovers from a receiver that fails the first attempt of each request', async () => {
    const hooks = await receiver((seen) => (seen === 0 ? 500 : 200));
    const events = incomingAnswered({ seed: 6 });
    const stats = await deliver(hooks.url, events, { apiKey: KEY, apiSalt: SALT, concurrency: 3, retry: { attempts: 3, backoffMs: 5 } });
    expect(stats).toMatchObject({ sent: events.length, ok: events.length, failed: 0, retries: events.length });
    expect(stats.statusCounts).toEqual({ '500': events.length, '200': events.length });
    expect(hooks.received).toHaveLength(events.length);
  });

  it('without retry, failures are counted; network errors too', async () => {
    const hooks = await receiver(() => 503);
    const events = incomingAnswered({ seed: 7 });
    const stats = await deliver(hooks.url, events, { apiKey: KEY, apiSalt: SALT });
    expect(stats).toMatchObject({ ok: 0, failed: events.length, statusCounts: { '503': events.length } });

    const url = hooks.url;
    await hooks.close();
    opened.length = 0;
    const down = await deliver(url, events.slice(0, 2), { apiKey: KEY, apiSalt: SALT, retry: { attempts: 2, backoffMs: 1 } });
    expect(down).toMatchObject({ ok: 0, failed: 2, retries: 2, statusCounts: { error: 4 } });
  });

  it('can send doc-style string numbers', async () => {
    const hooks = await receiver();
    await deliver(hooks.url, incomingAnswered({ seed: 8 }), { apiKey: KEY, apiSalt: SALT, typeVariant: 'strings', concurrency: 1 });
    expect((hooks.received[0].json as any).seq).toBe('1');
  });

  it('deliverPaced sends groups in timestamp order', async () => {
    const hooks = await receiver();
    const events = incomingAnswered({ seed: 9, start: 1_700_000_000 });
    const stats = await deliverPaced(hooks.url, events, { apiKey: KEY, apiSalt: SALT, timeScale: 0.0005, concurrency: 1 });
    expect(stats.ok).toBe(events.length);
    const times = hooks.received.map((h) => Number((h.json as any).timestamp ?? (h.json as any).end_time));
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});

describe('load', () => {
  it('planLoad is bounded and reproducible', () => {
    const a = planLoad({ rate: 10, durationMs: 2000, seed: 1, startTime: 1_700_000_000 });
    expect(a).toHaveLength(20);
    expect(planLoad({ rate: 10, durationMs: 2000, seed: 1, startTime: 1_700_000_000 })).toEqual(a);
    expect(a.every((p, i) => i === 0 || p.atMs >= a[i - 1].atMs)).toBe(true);
    expect(a.at(-1)!.atMs).toBeLessThan(2000);
    expect(planLoad({ rate: 10, count: -3 })).toEqual([]);
  });

  it('generateLoad yields the planned calls over time and stops by itself', async () => {
    const started = Date.now();
    const kinds: string[] = [];
    for await (const call of generateLoad({ rate: 50, count: 5, seed: 2, mix: { incomingMissed: 1, outgoing: 1 } })) {
      kinds.push(call.kind);
      expect(call.events.outcome.entryId).toBe(call.events.entryId);
    }
    expect(kinds).toHaveLength(5);
    expect(kinds.every((k) => k === 'incomingMissed' || k === 'outgoing')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it('runLoad delivers every call', async () => {
    const hooks = await receiver();
    const report = await runLoad(hooks.url, { rate: 200, count: 12, seed: 3 }, { apiKey: KEY, apiSalt: SALT, concurrency: 4, shuffle: true });
    expect(report.calls).toBe(12);
    expect(report.stats).toMatchObject({ sent: report.events, ok: report.events, failed: 0 });
    expect(new Set(hooks.received.filter((h) => h.path === 'events/summary').map((h) => (h.json as any).entry_id)).size).toBe(12);
  });
});
