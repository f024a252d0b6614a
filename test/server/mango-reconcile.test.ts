// Reconciliation against Mango's basic statistics: calls whose webhooks never came are
// filled in (marked reconciled), delivered calls are not duplicated, calls whose summary
// never came are closed, and a 3xxx answer is never retried. Real relay on Postgres, real
// HTTP to the simulator's stats/request + stats/result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { postSigned } from '../support/webhook';
import { deliver, incomingAnswered, incomingMissed, startMangoApi, type CallRecord, type MangoApi } from '../../tools/mango-sim';
import { mergeStatsRows, parseStatsCsv, STATS_FIELDS } from '../../server/mango/reconcile';

interface CallRow {
  entry_id: string;
  status: string;
  direction: string;
  reconciled: boolean;
  answered_extension: string | null;
  started_at: Date;
  ended_at: Date | null;
  phase: string;
}

describe('reconciliation against Mango statistics', () => {
  let r: TestRelay;
  let sim: MangoApi;
  const now = Math.floor(Date.now() / 1000);
  const callRow = async (entryId: string) => (await r.relay.ctx.db.query<CallRow>('SELECT * FROM calls WHERE entry_id = $1', [entryId])).rows;
  const statsEvents = async (entryId: string) =>
    Number((await r.relay.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM mango_events WHERE entry_id = $1 AND kind = 'stats/row'", [entryId])).rows[0].n);
  const statsRequests = () => sim.requests.filter((q) => q.path === 'stats/request');

  beforeAll(async () => {
    sim = await startMangoApi({ apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, rateLimits: true, state: { statsPendingPolls: 2 } });
    r = await startTestRelay();
    r.relay.reconciler.options.pollDelayMs = 30;
    r.relay.reconciler.options.retryBaseMs = 50;
    for (const [login, ext] of [
      ['ivanov', '101'],
      ['petrov', '102'],
    ]) await r.createEmployee({ login, name: login, role: 'to', extension: ext });
    expect((await r.api('PUT', '/api/admin/mango', r.adminToken, { apiUrl: sim.url })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await r?.close();
    await sim?.close();
  });

  it('fills calls the webhooks never delivered, marked reconciled, and leaves delivered calls alone', async () => {
    // Delivered by webhooks and listed in the stats.
    const delivered = incomingAnswered({ extension: '101', start: now - 1800, caller: '79160000001' });
    const d = await deliver(r.webhookBase, delivered, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT });
    expect(d.ok).toBe(delivered.length);
    sim.addCall(delivered);
    // Only in the stats: a missed call and an answered one.
    const lostMissed = incomingMissed({ extension: '102', start: now - 1500, caller: '79160000002' });
    const lostAnswered = incomingAnswered({ extension: '102', start: now - 1200, caller: '79160000003', talkSeconds: 40 });
    sim.addCall(lostMissed);
    sim.addCall(lostAnswered);
    // Only in the stats, as two legs under one entry_id: 101 did not answer, 102 did.
    const legs: CallRecord[] = [
      { entry_id: 'MULTI-LEG-1', records: [], start: now - 900, finish: now - 880, answer: 0, from_extension: '', from_number: '79160000004', to_extension: '101', to_number: 'sip:ivanov@x', disconnect_reason: 1111, line_number: '74951234567', location: 'abonent' },
      { entry_id: 'MULTI-LEG-1', records: ['REC-M1'], start: now - 879, finish: now - 800, answer: now - 870, from_extension: '', from_number: '79160000004', to_extension: '102', to_number: 'sip:petrov@x', disconnect_reason: 1110, line_number: '74951234567', location: 'abonent' },
    ];
    for (const l of legs) sim.addCall(l);
    // Older than the period asked: not listed.
    sim.addCall({ ...lostMissed.record, entry_id: 'TOO-OLD-1', start: now - 3 * 86400, finish: now - 3 * 86400 + 30 });
    await r.settle();

    const res = await r.relay.reconciler.runOnce();
    expect(res).toMatchObject({ ok: true, inserted: 3, entries: 4, rows: 5 });
    expect(res.to! - res.from!).toBeLessThanOrEqual(31 * 86400);
    await r.settle();

    const req = statsRequests().at(-1)!;
    expect(req.json).toMatchObject({ fields: STATS_FIELDS.join(',') });
    // 204 twice, then the CSV.
    expect(sim.requests.filter((q) => q.path === 'stats/result').map((q) => q.status)).toEqual([204, 204, 200]);

    const [missed] = await callRow(lostMissed.entryId);
    expect(missed).toMatchObject({ status: 'missed', direction: 'in', reconciled: true });
    const [answered] = await callRow(lostAnswered.entryId);
    expect(answered).toMatchObject({ status: 'answered', direction: 'in', reconciled: true, answered_extension: '102' });
    const [multi] = await callRow('MULTI-LEG-1');
    expect(multi).toMatchObject({ status: 'answered', reconciled: true, answered_extension: '102' });
    expect(new Date(multi.started_at).getTime() / 1000).toBe(now - 900);
    expect(new Date(multi.ended_at!).getTime() / 1000).toBe(now - 800);
    expect(await callRow('TOO-OLD-1')).toHaveLength(0);

    const rows = await callRow(delivered.entryId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'answered', reconciled: false, answered_extension: '101' });
    expect(await statsEvents(delivered.entryId)).toBe(0);

    // The reconciled call reaches the employee's history like any other.
    const petrov = await r.login('petrov', 'password-petrov');
    const list = await r.api<{ calls: { entryId?: string; reconciled: boolean; status: string }[] }>('GET', '/api/calls?limit=50', petrov.token);
    expect(list.status).toBe(200);
    expect(list.body.calls.filter((c) => c.reconciled).length).toBeGreaterThanOrEqual(2);
  });

  it('a second run finds nothing new (no duplicates)', async () => {
    const before = Number((await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM calls')).rows[0].n);
    const res = await r.relay.reconciler.runOnce();
    expect(res).toMatchObject({ ok: true, inserted: 0 });
    await r.settle();
    expect(Number((await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM calls')).rows[0].n)).toBe(before);
  });

  it('finalizes a call whose legs all ended but whose summary never came for over 10 minutes', async () => {
    const leg = { entry_id: 'ORPHAN-1', call_id: 'ORPHAN-1-L1', location: 'abonent', from: { number: '79160000009' }, to: { extension: '101', number: 'sip:ivanov@x', line_number: '74951234567' }, dct: { type: 0 } };
    expect((await postSigned(r.webhookBase, 'events/call', { ...leg, seq: 1, timestamp: now - 1000, call_state: 'Appeared' })).status).toBe(200);
    expect((await postSigned(r.webhookBase, 'events/call', { ...leg, seq: 2, timestamp: now - 980, call_state: 'Disconnected', disconnect_reason: 1110 })).status).toBe(200);
    await r.settle();
    expect((await callRow('ORPHAN-1'))[0]).toMatchObject({ status: 'active', phase: 'ended' });

    // Not yet 10 minutes without a change: left alone.
    expect((await r.relay.reconciler.runOnce()).finalized).toBe(0);
    await r.relay.ctx.db.query("UPDATE calls SET updated_at = now() - interval '11 minutes' WHERE entry_id = 'ORPHAN-1'");
    const res = await r.relay.reconciler.runOnce();
    expect(res.finalized).toBe(1);
    await r.settle();
    const [c] = await callRow('ORPHAN-1');
    expect(c).toMatchObject({ status: 'missed', phase: 'ended', reconciled: false });
    expect(new Date(c.ended_at!).getTime() / 1000).toBe(now - 980);
  });

  it('closes a record stuck talking (Disconnected and summary lost) once Mango lists the call as finished', async () => {
    const leg = { entry_id: 'STUCK-1', call_id: 'STUCK-1-L1', location: 'abonent', from: { number: '79160000010' }, to: { extension: '102', number: 'sip:petrov@x', line_number: '74951234567' }, dct: { type: 0 } };
    await postSigned(r.webhookBase, 'events/call', { ...leg, seq: 1, timestamp: now - 700, call_state: 'Appeared' });
    await postSigned(r.webhookBase, 'events/call', { ...leg, seq: 2, timestamp: now - 690, call_state: 'Connected' });
    sim.addCall({ entry_id: 'STUCK-1', records: [], start: now - 700, finish: now - 600, answer: now - 690, from_extension: '', from_number: '79160000010', to_extension: '102', to_number: 'sip:petrov@x', disconnect_reason: 1110, line_number: '74951234567', location: 'abonent' });
    await r.settle();
    expect((await callRow('STUCK-1'))[0]).toMatchObject({ status: 'active', phase: 'talking' });
    await r.relay.ctx.db.query("UPDATE calls SET updated_at = now() - interval '6 minutes' WHERE entry_id = 'STUCK-1'");
    const res = await r.relay.reconciler.runOnce();
    expect(res).toMatchObject({ ok: true, inserted: 0, finalized: 1 });
    await r.settle();
    const [c] = await callRow('STUCK-1');
    expect(c).toMatchObject({ status: 'answered', phase: 'ended', answered_extension: '102', reconciled: false });
    expect(new Date(c.ended_at!).getTime() / 1000).toBe(now - 600);
  });

  it('never retries a 3xxx answer', async () => {
    const before = statsRequests().length;
    sim.setResult('stats/request', 3104);
    try {
      const res = await r.relay.reconciler.runOnce();
      expect(res.ok).toBe(false);
      expect(res.message).toMatch(/3104/);
      expect(res.message).toMatch(/Автоповтор не выполняется/);
    } finally {
      sim.setResult('stats/request', null);
    }
    expect(statsRequests().length - before).toBe(1);
  });

  it('retries stats/request after a 429 and completes', async () => {
    const before = statsRequests().length;
    sim.setFault('rateLimit');
    // Lift the fault once the first attempt has been refused.
    const lift = setInterval(() => {
      if (statsRequests().slice(before).some((q) => q.status === 429)) sim.setFault(null);
    }, 20);
    const res = await r.relay.reconciler.runOnce().finally(() => clearInterval(lift));
    expect(res.ok).toBe(true);
    const reqs = statsRequests().slice(before);
    expect(reqs[0].status).toBe(429);
    expect(reqs.at(-1)!.status).toBe(200);
  });

  it('gives up when the CSV is never ready', async () => {
    sim.state.statsPendingPolls = 1000;
    r.relay.reconciler.options.maxPolls = 3;
    try {
      const res = await r.relay.reconciler.runOnce();
      expect(res.ok).toBe(false);
      expect(res.message).toMatch(/не подготовлена/);
    } finally {
      sim.state.statsPendingPolls = 2;
      r.relay.reconciler.options.maxPolls = 36;
    }
  });

  it('does nothing against Mango while the integration is disabled', async () => {
    await r.api('PUT', '/api/admin/mango', r.adminToken, { enabled: false });
    const before = sim.requests.length;
    const res = await r.relay.reconciler.runOnce();
    expect(res).toMatchObject({ ok: true, skipped: true });
    expect(sim.requests.length).toBe(before);
    await r.api('PUT', '/api/admin/mango', r.adminToken, { enabled: true });
  });
});

describe('stats CSV parsing and per-call merge', () => {
  it('reads ";" fields, "\\r\\n" lines with a trailing newline, bracketed records, empty values', () => {
    const csv = '[];1481630614;1481630633;1481630614;131;sip:a.mango@domain.mangosip.ru;;sip:user2@domain.mangosip.ru;1110;;abonent;E1\r\n[R1,R2];1481630700;1481630800;0;;79161234567;101;;1111;74951234567;queue;E2\r\n';
    const rows = parseStatsCsv(csv, STATS_FIELDS);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ entry_id: 'E1', records: [], start: 1481630614, answer: 1481630614, from_extension: '131', to_extension: '', disconnect_reason: 1110, location: 'abonent' });
    expect(rows[1]).toMatchObject({ entry_id: 'E2', records: ['R1', 'R2'], answer: 0, from_number: '79161234567', to_extension: '101', line_number: '74951234567' });
    // Records without brackets (DOC110 example) and a text disconnect reason (legacy).
    const legacy = parseStatsCsv('R9;1;2;0;;7916;;;Busy;;ivr;E3\n', STATS_FIELDS);
    expect(legacy[0]).toMatchObject({ records: ['R9'], disconnect_reason: null, entry_id: 'E3' });
  });

  it('merges legs of one call: earliest start, latest finish, the answering leg’s extension', () => {
    const base = { records: [], from_extension: '', from_number: '7916', to_number: '', line_number: '7495', location: 'abonent' };
    const merged = mergeStatsRows([
      { ...base, entry_id: 'E', start: 100, finish: 120, answer: 0, to_extension: '101', disconnect_reason: 1111 },
      { ...base, entry_id: 'E', start: 121, finish: 200, answer: 125, to_extension: '102', disconnect_reason: 1110, records: ['R'] },
      { ...base, entry_id: 'F', start: 300, finish: 320, answer: 0, to_extension: '103', disconnect_reason: 1110 },
      { ...base, entry_id: 'F', start: 301, finish: 321, answer: 0, to_extension: '104', disconnect_reason: 1182 },
      { ...base, entry_id: '', start: 1, finish: 2, answer: 0, to_extension: '', disconnect_reason: null },
    ]);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({ entry_id: 'E', start: 100, finish: 200, answer: 125, to_extension: '102', records: ['R'], disconnect_reason: 1110, legs: 2 });
    // Missed by everyone: the first employee rung, the last leg's reason.
    expect(merged[1]).toMatchObject({ entry_id: 'F', answer: 0, to_extension: '103', finish: 321, disconnect_reason: 1182 });
  });
});
