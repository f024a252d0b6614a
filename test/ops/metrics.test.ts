import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { ADMIN_PASSWORD, callEvent, connectWs, jsonRequest, login, metricValue, postSignedTo, request, sleep, startOpsRelay, type OpsRelay } from './support';

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('/metrics follows what happens', () => {
  let r: OpsRelay;
  let token: string;
  const page = async () => {
    const res = await request(`${r.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  };
  const v = (p: string, sample: string) => metricValue(p, sample) ?? 0;
  const waitFor = async (what: string, pred: (p: string) => boolean) => {
    for (let i = 0; i < 300; i++) {
      const p = await page();
      if (pred(p)) return p;
      await sleep(20);
    }
    throw new Error(`metrics never showed ${what}`);
  };

  beforeAll(async () => {
    r = await startOpsRelay();
    token = await login(r.url, 'admin', ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await r?.close();
  });

  it('is well-formed Prometheus text with a TYPE for every sample', async () => {
    const p = await page();
    const typed = new Set([...p.matchAll(/^# TYPE (\S+) (counter|gauge|histogram)$/gm)].map((m) => m[1]));
    for (const line of p.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_][a-z0-9_]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$/);
      const name = line.split(/[{ ]/)[0].replace(/_(bucket|sum|count)$/, '');
      expect(typed.has(name) || typed.has(line.split(/[{ ]/)[0]), line).toBe(true);
    }
    for (const name of ['asgard_ingest_latency_ms', 'asgard_connected_apps', 'asgard_mango_api_errors_total', 'asgard_unreduced_events', 'asgard_oldest_unreduced_event_age_seconds']) expect(typed.has(name), name).toBe(true);
  });

  it('counts events by kind and outcome, and their ingest latency', async () => {
    const before = await page();
    const hook = `${r.url}/api/mango-webhook/`;
    const a = callEvent('m');
    for (const ev of [a, callEvent('m'), callEvent('m')]) expect((await postSignedTo(hook + 'events/call', ev)).status).toBe(200);
    expect((await postSignedTo(hook + 'events/call', a)).status).toBe(200); // a repeat: stored once
    expect((await postSignedTo(hook + 'events/summary', { entry_id: a.entry_id, call_direction: 1, from: { number: '79161234567' }, to: { number: '74951234567' }, create_time: 1700000000, forward_time: 1700000001, talk_time: 1700000002, end_time: 1700000010, entry_result: 1, disconnect_reason: 1110 })).status).toBe(200);
    expect((await postSignedTo(hook + 'events/call', callEvent('m'), { salt: 'wrong-salt' })).status).toBe(403);
    expect((await request(hook + 'events/call', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'vpbx_api_key=x' })).status).toBe(403);
    const bad = await postSignedTo(hook + 'events/call', { entry_id: 'x' });
    expect(bad.status).toBe(400);
    const after = await page();

    const d = (s: string) => v(after, s) - v(before, s);
    expect(d('asgard_webhooks_total{path="events/call",outcome="stored"}')).toBe(3);
    expect(d('asgard_webhooks_total{path="events/call",outcome="duplicate"}')).toBe(1);
    expect(d('asgard_webhooks_total{path="events/summary",outcome="stored"}')).toBe(1);
    expect(d('asgard_webhooks_refused_total{kind="events/call",reason="forbidden"}')).toBe(2);
    expect(d('asgard_webhooks_refused_total{kind="events/call",reason="bad-request"}')).toBe(1);
    expect(d('asgard_ingest_latency_ms_count')).toBe(5);
    expect(d('asgard_ingest_latency_ms_bucket{le="+Inf"}')).toBe(5);
    expect(d('asgard_ingest_latency_ms_sum')).toBeGreaterThan(0);
    // Buckets are cumulative.
    const buckets = [...after.matchAll(/^asgard_ingest_latency_ms_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => Number(m[2]));
    expect(buckets).toEqual([...buckets].sort((x, y) => x - y));
    expect(buckets.at(-1)).toBe(v(after, 'asgard_ingest_latency_ms_count'));
  });

  it('counts connected apps', async () => {
    const c1 = await connectWs(r.url, token);
    const c2 = await connectWs(r.url, token);
    await c2.waitFor((m) => m.some((x) => x.type === 'synced'), 'synced');
    await waitFor('2 apps', (p) => v(p, 'asgard_connected_apps') === 2);
    c1.ws.close();
    c2.ws.close();
    await waitFor('0 apps', (p) => v(p, 'asgard_connected_apps') === 0);
  });

  it('shows feed lag: events committed but not yet turned into calls, and the age of the oldest', async () => {
    await waitFor('no lag', (p) => v(p, 'asgard_unreduced_events') === 0);
    expect(v(await page(), 'asgard_oldest_unreduced_event_age_seconds')).toBe(0);
    // An event committed 5 s ago that no reducer has looked at yet (as after a crash, or a stuck reducer).
    await r.sql(
      `WITH ins AS (
         INSERT INTO mango_events (kind, idem_key, entry_id, payload, raw_json, received_at)
         VALUES ('events/call', 'lag-test', 'OPS-LAG', $1::jsonb, $2, now() - interval '5 seconds') RETURNING id
       ) INSERT INTO reduce_queue (event_id) SELECT id FROM ins`,
      [JSON.stringify(callEvent('lag')), JSON.stringify(callEvent('lag'))],
    );
    const lagging = await page();
    expect(v(lagging, 'asgard_unreduced_events')).toBe(1);
    expect(v(lagging, 'asgard_oldest_unreduced_event_age_seconds')).toBeGreaterThanOrEqual(5);
    r.relay.ctx.reducer.schedule();
    await waitFor('lag gone', (p) => v(p, 'asgard_unreduced_events') === 0 && v(p, 'asgard_oldest_unreduced_event_age_seconds') === 0);
  });

  it('counts Mango API errors', async () => {
    const before = v(await page(), 'asgard_mango_api_errors_total');
    const port = await closedPort();
    expect((await jsonRequest(`${r.url}/api/admin/mango`, 'PUT', { apiUrl: `http://127.0.0.1:${port}/vpbx/` }, { token })).status).toBe(200);
    const t = await jsonRequest(`${r.url}/api/admin/mango/test`, 'POST', {}, { token });
    expect(t.json()).toMatchObject({ ok: false });
    expect(v(await page(), 'asgard_mango_api_errors_total')).toBeGreaterThan(before);
  });
});
