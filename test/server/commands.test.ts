import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { startMangoApi, type MangoApi } from '../../tools/mango-sim/api-server';
import { buildScenario } from '../../tools/mango-sim/scenarios';
import { deliver } from '../../tools/mango-sim/deliver';
import type { Call, CommandFailure, Employee } from '../../src-shared/wire';
import { TestFeedClient } from '../support/feed-client';
import { postSigned } from '../support/webhook';

let r: TestRelay;
let sim: MangoApi;
let op: { employee: Employee; token: string };

beforeAll(async () => {
  sim = await startMangoApi({ apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, port: 0 });
  r = await startTestRelay({ env: { mangoApiUrl: sim.url } });
  await r.api('PUT', '/api/admin/mango', r.adminToken, { apiUrl: sim.url, enabled: true });
  sim.setWebhookTarget(r.webhookBase);
  op = await r.createEmployee({ login: 'ivanov', role: 'to', extension: '101' });
}, 60_000);
afterAll(async () => {
  await r?.close();
  await sim?.close();
});

describe('click-to-call', () => {
  it('sends a signed commands/callback from the employee’s own extension, and the call comes back as outgoing', async () => {
    const res = await r.api<{ ok: boolean; commandId: string }>('POST', '/api/calls/callback', op.token, { toNumber: '8 (916) 765-43-21' });
    expect(res.status).toBe(200);
    const sent = sim.requests.filter((q) => q.path.endsWith('commands/callback'));
    expect(sent).toHaveLength(1);
    expect(sent[0].json).toMatchObject({ command_id: res.body.commandId, from: { extension: '101' }, to_number: '79167654321' });
    await sim.flush();
    await r.settle();
    const calls = await r.api<{ calls: Call[] }>('GET', '/api/calls?direction=out', op.token);
    expect(calls.body.calls[0]).toMatchObject({ direction: 'out', status: 'answered', clientNumber: '+79167654321', employee: { id: op.employee.id } });
  });

  it('explains in Russian when Mango refuses, and refuses employees without an extension', async () => {
    sim.setResult('commands/callback', 3330);
    const res = await r.api<{ error: string; message: string }>('POST', '/api/calls/callback', op.token, { toNumber: '79167654321' });
    sim.setResult('commands/callback', null);
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/3330/);
    const noExt = await r.createEmployee({ login: 'noext', role: 'pm' });
    const res2 = await r.api<{ message: string }>('POST', '/api/calls/callback', noExt.token, { toNumber: '79167654321' });
    expect(res2.status).toBe(409);
    expect(res2.body.message).toMatch(/внутренний номер/);
  });
});

describe('a command’s outcome (result/<command>)', () => {
  const failures = (feed: TestFeedClient) => feed.items.flatMap((i) => (i.payload.kind === 'command-failed' ? [i.payload.command] : []));

  it('tells the employee alone, once, when Mango reports their click-to-call failed after accepting it', async () => {
    const other = await r.createEmployee({ login: 'sidorov', role: 'to' });
    const mine = await TestFeedClient.connect(r.url, op.token, 0);
    const theirs = await TestFeedClient.connect(r.url, other.token, 0);
    await Promise.all([mine.synced(), theirs.synced()]);
    try {
      // Accepted (1000) at once, refused by the billing later.
      sim.setResult('commands/callback', 2240, { async: true });
      const res = await r.api<{ commandId: string }>('POST', '/api/calls/callback', op.token, { toNumber: '+7 916 765-43-21' });
      sim.setResult('commands/callback', null);
      expect(res.status).toBe(200);
      await sim.flush();
      await mine.waitFor(() => failures(mine).length > 0, 5000, 'the failure');
      expect(failures(mine)).toEqual<CommandFailure[]>([
        { commandId: res.body.commandId, action: 'callback', target: '+7 916 765-43-21', callId: null, result: 2240, reason: expect.stringContaining('2240') },
      ]);
      expect(failures(mine)[0].reason).toMatch(/тариф|баланс/);
      // Mango resends the callback (it did not see our 200): stored as a duplicate, told once.
      const again = await postSigned(r.webhookBase, 'result/callback', { command_id: res.body.commandId, result: '2240' });
      expect(again.status).toBe(200);
      // A result for a command we never gave, and successes (1000; any 1xxx is a normal end): nothing to tell.
      expect((await postSigned(r.webhookBase, 'result/callback', { command_id: 'not-ours', result: 3100 })).status).toBe(200);
      const other = await r.api<{ commandId: string }>('POST', '/api/calls/callback', op.token, { toNumber: '79167654324' });
      await sim.flush();
      await r.relay.ctx.db.query('UPDATE mango_commands SET result = NULL WHERE command_id = $1', [other.body.commandId]);
      expect((await postSigned(r.webhookBase, 'result/callback', { command_id: other.body.commandId, result: 1100 })).status).toBe(200);
      const told = await r.relay.ctx.db.query("SELECT 1 FROM feed WHERE payload->>'kind' = 'command-failed' AND payload->'command'->>'commandId' = $1", [other.body.commandId]);
      expect(told.rows).toEqual([]);
      const ok = await r.api<{ commandId: string }>('POST', '/api/calls/callback', op.token, { toNumber: '79167654322' });
      await sim.flush();
      await r.settle();
      const outcome = await r.relay.ctx.db.query<{ result: number }>('SELECT result FROM mango_commands WHERE command_id = $1', [ok.body.commandId]);
      expect(outcome.rows).toEqual([{ result: 1000 }]);
      expect(failures(mine)).toHaveLength(1);
      expect(failures(theirs)).toEqual([]);
    } finally {
      mine.close();
      theirs.close();
    }
  });

  it('forgets a command Mango refused at once (the employee got that error then)', async () => {
    sim.setResult('commands/callback', 3330);
    const res = await r.api('POST', '/api/calls/callback', op.token, { toNumber: '79167654323' });
    sim.setResult('commands/callback', null);
    expect(res.status).toBe(502);
    const left = await r.relay.ctx.db.query("SELECT 1 FROM mango_commands WHERE target = '79167654323'");
    expect(left.rows).toEqual([]);
  });
});

describe('what the telephony does, for any employee', () => {
  it('says whether it is on and how calls are distributed; only to someone signed in', async () => {
    expect((await r.api('GET', '/api/telephony', op.token)).body).toEqual({ enabled: true, routingMode: 'popup' });
    await r.api('PUT', '/api/admin/mango', r.adminToken, { routingMode: 'api' });
    try {
      expect((await r.api('GET', '/api/telephony', op.token)).body).toEqual({ enabled: true, routingMode: 'api' });
    } finally {
      await r.api('PUT', '/api/admin/mango', r.adminToken, { routingMode: 'popup' });
    }
    expect((await r.api('GET', '/api/telephony', null)).status).toBe(401);
  });
});

describe('recordings', () => {
  it('streams a recording to an employee who may see the call, and to no one else', async () => {
    const events = buildScenario('incomingAnswered', { seed: 77, extension: '101', withRecording: true });
    sim.addCall(events);
    expect((await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).failed).toBe(0);
    await r.settle();
    const recId = events.outcome.recordingIds[0];
    const audio = await fetch(`${r.url}/api/recordings/${encodeURIComponent(recId)}`, { headers: { authorization: `Bearer ${op.token}` } });
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toMatch(/audio\/(mp3|mpeg)/);
    expect((await audio.arrayBuffer()).byteLength).toBeGreaterThan(100);
    const anon = await fetch(`${r.url}/api/recordings/${encodeURIComponent(recId)}`);
    expect(anon.status).toBe(401);
    const unknown = await fetch(`${r.url}/api/recordings/nope`, { headers: { authorization: `Bearer ${op.token}` } });
    expect(unknown.status).toBe(404);
  });
});

describe('import from Mango', () => {
  it('creates employees from Mango’s users, matches existing ones by extension, never deletes', async () => {
    const before = (await r.api<{ employees: Employee[] }>('GET', '/api/admin/employees', r.adminToken)).body.employees.length;
    const first = await r.api<{ created: number; updated: number }>('POST', '/api/admin/mango/import-users', r.adminToken);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ created: sim.state.users.length - 1, updated: 1 }); // 101 already exists
    const after = (await r.api<{ employees: Employee[] }>('GET', '/api/admin/employees', r.adminToken)).body.employees;
    expect(after.length).toBe(before + sim.state.users.length - 1);
    expect(after.find((e) => e.extension === '101')).toMatchObject({ id: op.employee.id, mangoUserId: '400000101' });
    const again = await r.api<{ created: number; updated: number }>('POST', '/api/admin/mango/import-users', r.adminToken);
    expect(again.body).toEqual({ created: 0, updated: sim.state.users.length });
    expect((await r.api('POST', '/api/admin/mango/import-users', op.token)).status).toBe(403);
  });
});

describe('call transfer', () => {
  it('hands the call the employee is talking on to a colleague: commands/transfer from their leg, the colleague on the call', async () => {
    const colleague = await r.createEmployee({ login: 'petrov', name: 'Петров Пётр', role: 'to', extension: '102' });
    await r.createEmployee({ login: 'no-ext', role: 'pm' });
    // The colleagues anyone may see: active, with an extension, not oneself.
    const list = await r.api<{ colleagues: { id: number; name: string; extension: string; acceptCalls: boolean }[] }>('GET', '/api/colleagues', op.token);
    expect(list.status).toBe(200);
    expect(list.body.colleagues).toContainEqual({ id: colleague.employee.id, name: 'Петров Пётр', extension: '102', acceptCalls: true });
    expect(list.body.colleagues.map((c) => c.id)).not.toContain(op.employee.id);
    expect(list.body.colleagues.every((c) => c.extension)).toBe(true);
    expect((await r.api('GET', '/api/colleagues', null)).status).toBe(401);

    // A client calls; the IVR routes to 101, who answers and stays on the line.
    sim.state.callFlow.autoHangup = false;
    const { entryId, callId: ivrLeg } = sim.startIncomingCall({ from: '79035550101' });
    sim.live.route({ commandId: 'route-1', callId: ivrLeg, toNumber: '101' });
    await sim.flush();
    await r.settle();
    const calls = await r.api<{ calls: Call[] }>('GET', '/api/calls?direction=in', op.token);
    const call = calls.body.calls.find((c) => c.entryId === entryId)!;
    expect(call).toMatchObject({ phase: 'talking', employee: { id: op.employee.id }, talkingExtensions: ['101'], talkingEmployees: [{ id: op.employee.id, name: op.employee.name }] });
    const leg = sim.live.activeLegs(entryId).find((l) => l.to.extension === '101' && l.state === 'Connected')!;

    // Not theirs to hand on: the colleague is not on it; nobody to a stranger or to themselves.
    const notOn = await r.api<{ error: string; message: string }>('POST', `/api/calls/${call.id}/transfer`, colleague.token, { toEmployeeId: op.employee.id });
    expect([notOn.status, notOn.body.error]).toEqual([409, 'not-on-call']);
    expect(notOn.body.message).toBe('Перевести можно только разговор, который идёт у вас сейчас.');
    expect((await r.api('POST', `/api/calls/${call.id}/transfer`, op.token, { toEmployeeId: op.employee.id })).status).toBe(404);
    expect((await r.api('POST', `/api/calls/${call.id}/transfer`, op.token, { toEmployeeId: 999999 })).status).toBe(404);
    expect((await r.api('POST', `/api/calls/${call.id}/transfer`, op.token, { toEmployeeId: colleague.employee.id, method: 'later' })).status).toBe(400);
    expect(sim.requests.filter((q) => q.path.endsWith('commands/transfer'))).toHaveLength(0);

    // Mango refuses: said in Russian, with its code.
    sim.setResult('commands/transfer', 3330);
    const refused = await r.api<{ message: string }>('POST', `/api/calls/${call.id}/transfer`, op.token, { toEmployeeId: colleague.employee.id });
    sim.setResult('commands/transfer', null);
    expect(refused.status).toBe(502);
    expect(refused.body.message).toMatch(/3330/);

    // Accepted, then failed (the client hung up meanwhile): the popup's owner hears why.
    const feed = await TestFeedClient.connect(r.url, op.token, 0);
    try {
      await feed.synced();
      sim.setResult('commands/transfer', 4101, { async: true });
      const late = await r.api<{ commandId: string }>('POST', `/api/calls/${call.id}/transfer`, op.token, { toEmployeeId: colleague.employee.id });
      sim.setResult('commands/transfer', null);
      expect(late.status).toBe(200);
      await sim.flush();
      const transfers = () => feed.items.flatMap((i) => (i.payload.kind === 'command-failed' && i.payload.command.action === 'transfer' ? [i.payload.command] : []));
      await feed.waitFor(() => transfers().length > 0, 5000, 'the transfer failure');
      expect(transfers()).toEqual([
        { commandId: late.body.commandId, action: 'transfer', target: 'Петров Пётр', callId: call.id, result: 4101, reason: 'ваш разговор уже завершился' },
      ]);
    } finally {
      feed.close();
    }

    const res = await r.api<{ ok: boolean; commandId: string }>('POST', `/api/calls/${call.id}/transfer`, op.token, { toEmployeeId: colleague.employee.id });
    expect(res.status).toBe(200);
    const sent = sim.requests.filter((q) => q.path.endsWith('commands/transfer')).at(-1)!;
    expect(sent.json).toEqual({ command_id: res.body.commandId, call_id: leg.callId, method: 'blind', to_number: '102', initiator: '101' });
    await sim.flush();
    await r.settle();
    // 101's leg ended; 102 answered: now the colleague's call, and no longer 101's to hand on.
    const after = await r.api<Call>('GET', `/api/calls/${call.id}`, colleague.token);
    // The call stays the first answerer's in the history; who talks on it now is the colleague.
    expect(after.body).toMatchObject({ phase: 'talking', employee: { id: op.employee.id }, talkingExtensions: ['102'], talkingEmployees: [{ name: 'Петров Пётр' }] });
    const again = await r.api<{ error: string }>('POST', `/api/calls/${call.id}/transfer`, op.token, { toEmployeeId: colleague.employee.id });
    expect(again.body.error).toBe('not-on-call');
    sim.endCall(entryId);
    await sim.flush();
    await r.settle();
    expect((await r.api<Call>('GET', `/api/calls/${call.id}`, op.token)).body).toMatchObject({ phase: 'ended', talkingExtensions: [], talkingEmployees: [] });
    sim.state.callFlow.autoHangup = true;
  }, 30_000);
});
