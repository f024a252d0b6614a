import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { startMangoApi, type MangoApi } from '../../tools/mango-sim/api-server';
import { buildScenario } from '../../tools/mango-sim/scenarios';
import { deliver } from '../../tools/mango-sim/deliver';
import type { Call, Employee } from '../../src-shared/wire';

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
