// routingMode 'api': a call appearing in the IVR is routed with exactly one signed
// commands/route to the accepting employee idle longest. Real relay on Postgres, the
// simulator's API posting its signed webhooks to the relay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { postSigned } from '../support/webhook';
import { startMangoApi, type MangoApi } from '../../tools/mango-sim';
import type { ReducedCall } from '../../server/calls/reduce';

describe('routingMode api: commands/route to the longest idle accepting employee', () => {
  let r: TestRelay;
  let sim: MangoApi;
  const people: Record<string, { id: number; token: string }> = {};

  const routes = (from = 0) => sim.requests.slice(from).filter((q) => q.path === 'commands/route');
  const patch = (name: string, body: object) => r.api('PATCH', `/api/admin/employees/${people[name].id}`, r.adminToken, body);
  /** Webhooks delivered, reduced, routing decided, and what the route caused delivered too. */
  async function quiesce() {
    for (let i = 0; i < 3; i++) {
      await sim.flush();
      await r.settle();
      await r.relay.apiRouting.whenIdle();
    }
  }
  const routeRow = async (entryId: string) =>
    (await r.relay.ctx.db.query<{ status: string; extension: string | null; call_id: string; command_id: string | null }>('SELECT * FROM mango_routes WHERE entry_id = $1', [entryId])).rows[0];

  beforeAll(async () => {
    r = await startTestRelay();
    sim = await startMangoApi({ apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, rateLimits: true, webhookTarget: r.webhookBase });
    // Routed calls stay connected until the test ends them: the employee is busy meanwhile.
    sim.state.callFlow.autoHangup = false;
    for (const [login, ext, acceptCalls] of [
      ['ivanov', '101', true],
      ['petrov', '102', true],
      ['sidorova', '103', false],
      ['kuznetsov', '104', true],
    ] as const) {
      const e = await r.createEmployee({ login, name: login, role: 'to', extension: ext, acceptCalls });
      people[login] = { id: e.employee.id, token: e.token };
    }
    const db = r.relay.ctx.db;
    await db.query("UPDATE employees SET last_call_end_at = now() - interval '10 minutes' WHERE login = 'ivanov'");
    await db.query("UPDATE employees SET last_call_end_at = now() - interval '1 hour' WHERE login = 'petrov'");
    // kuznetsov never had a call (null sorts first) but is talking right now.
    const now = Math.floor(Date.now() / 1000);
    const busy = { entry_id: 'BUSY-104', call_id: 'BUSY-104-L1', timestamp: now - 30, location: 'abonent', from: { number: '79160000104' }, to: { extension: '104', number: 'sip:kuznetsov@x' }, dct: { type: 0 } };
    expect((await postSigned(r.webhookBase, 'events/call', { ...busy, seq: 1, call_state: 'Appeared' })).status).toBe(200);
    expect((await postSigned(r.webhookBase, 'events/call', { ...busy, seq: 2, call_state: 'Connected' })).status).toBe(200);
    expect((await r.api('PUT', '/api/admin/mango', r.adminToken, { apiUrl: sim.url, routingMode: 'api' })).status).toBe(200);
    await quiesce();
  }, 60_000);

  afterAll(async () => {
    await r?.close();
    await sim?.close();
  });

  it('routes an IVR call once, to the idle-longest free accepting employee, signed (result 1000)', async () => {
    const before = sim.requests.length;
    const { entryId, callId } = sim.startIncomingCall();
    await quiesce();
    const sent = routes(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].json).toMatchObject({ call_id: callId, to_number: '102' });
    expect(String((sent[0].json as { command_id: string }).command_id)).toMatch(/^asgard-route-/);
    // The simulator verified key and sign, and accepted the command.
    expect(sent[0].status).toBe(200);
    expect(sent[0].result).toBe(1000);
    expect(await routeRow(entryId)).toMatchObject({ status: 'sent', extension: '102', call_id: callId });
    // The simulator then rang 102, who answered: the call record shows it.
    const call = (await r.relay.ctx.db.query<{ answered_extension: string | null; phase: string }>('SELECT answered_extension, phase FROM calls WHERE entry_id = $1', [entryId])).rows[0];
    expect(call).toMatchObject({ answered_extension: '102', phase: 'talking' });
  });

  it('a replayed IVR event, or another instance seeing the same call, does not route again', async () => {
    const entryId = (await r.relay.ctx.db.query<{ entry_id: string }>("SELECT entry_id FROM mango_routes WHERE status = 'sent' ORDER BY created_at LIMIT 1")).rows[0].entry_id;
    const ivr = sim.webhooks.find((w) => w.path === 'events/call' && w.payload.entry_id === entryId && w.payload.location === 'ivr' && w.payload.call_state === 'Appeared')!;
    expect(ivr).toBeTruthy();
    const before = sim.requests.length;
    for (let i = 0; i < 3; i++) expect((await postSigned(r.webhookBase, 'events/call', ivr.payload)).status).toBe(200);
    await quiesce();
    // Another instance reducing the call while it was still in the IVR makes the same decision request.
    const reduced = (await r.relay.ctx.db.query<{ reduced: ReducedCall }>('SELECT reduced FROM calls WHERE entry_id = $1', [entryId])).rows[0].reduced;
    const inIvr: ReducedCall = { ...reduced, status: 'active', phase: 'ivr', inQueue: true, ringing: [], queueCallIds: [String(ivr.payload.call_id)], startedAt: Math.floor(Date.now() / 1000) };
    r.relay.apiRouting.handle([{ callId: 1, prev: null, next: inIvr }]);
    await r.relay.apiRouting.whenIdle();
    expect(routes(before)).toHaveLength(0);
  });

  it('two calls at once: spaced by Mango’s 1 per 2 s limit, each to a different free employee', async () => {
    expect((await r.api('PUT', '/api/me/status', people.sidorova.token, { acceptCalls: true })).status).toBe(200);
    const before = sim.requests.length;
    const a = sim.startIncomingCall({ from: '79161112233' });
    const b = sim.startIncomingCall({ from: '79161112244' });
    await quiesce();
    const sent = routes(before);
    expect(sent).toHaveLength(2);
    expect(sent.every((q) => q.status === 200 && q.result === 1000)).toBe(true);
    expect(sent[1].time - sent[0].time).toBeGreaterThanOrEqual(2000);
    // 102 and 104 are talking; sidorova (never had a call) first, then ivanov.
    expect(sent.map((q) => (q.json as { to_number: string }).to_number)).toEqual(['103', '101']);
    expect(new Set(sent.map((q) => (q.json as { call_id: string }).call_id))).toEqual(new Set([a.callId, b.callId]));
  });

  it('nobody accepting: no route, Mango’s scheme stays in charge', async () => {
    for (const name of Object.keys(people)) expect((await patch(name, { acceptCalls: false })).status).toBe(200);
    const before = sim.requests.length;
    const { entryId } = sim.startIncomingCall({ from: '79165550000' });
    await quiesce();
    expect(routes(before)).toHaveLength(0);
    expect(await routeRow(entryId)).toMatchObject({ status: 'no-one' });
    // Replays change nothing either.
    const ivr = sim.webhooks.find((w) => w.payload.entry_id === entryId && w.payload.call_state === 'Appeared')!;
    await postSigned(r.webhookBase, 'events/call', ivr.payload);
    await quiesce();
    expect(routes(before)).toHaveLength(0);
    sim.endCall(entryId);
    await quiesce();
  });

  it('a refused route is logged, not retried, and the call stays with Mango’s scheme', async () => {
    expect((await patch('ivanov', { acceptCalls: true })).status).toBe(200);
    // Free ivanov: end the calls still talking.
    for (const id of sim.live.activeEntries()) sim.endCall(id);
    await quiesce();
    sim.setResult('commands/route', 4101);
    const before = sim.requests.length;
    try {
      const { entryId } = sim.startIncomingCall({ from: '79167770000' });
      await quiesce();
      expect(routes(before)).toHaveLength(1);
      expect(await routeRow(entryId)).toMatchObject({ status: 'failed', extension: '101' });
      sim.endCall(entryId);
      await quiesce();
    } finally {
      sim.setResult('commands/route', null);
    }
  });

  it('popup mode never routes', async () => {
    expect((await r.api('PUT', '/api/admin/mango', r.adminToken, { routingMode: 'popup' })).status).toBe(200);
    const before = sim.requests.length;
    const { entryId } = sim.startIncomingCall({ from: '79168880000' });
    await quiesce();
    expect(routes(before)).toHaveLength(0);
    expect(await routeRow(entryId)).toBeUndefined();
    sim.endCall(entryId);
    await quiesce();
  });
});
