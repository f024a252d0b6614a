import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMangoApi, type MangoApi } from '../../tools/mango-sim/api-server';
import { startWebhookReceiver, type WebhookReceiver, type ReceivedWebhook } from '../../tools/mango-sim/webhook-receiver';
import { KEY, SALT, post } from './helpers';

let api: MangoApi;
let hooks: WebhookReceiver;

beforeAll(async () => {
  hooks = await startWebhookReceiver({ apiKey: KEY, apiSalt: SALT, basePath: '/api/mango-webhook/' });
  api = await startMangoApi({ apiKey: KEY, apiSalt: SALT, seed: 42 });
  api.setWebhookTarget(hooks.url);
});
afterAll(async () => {
  await api.close();
  await hooks.close();
});
beforeEach(() => {
  hooks.received.length = 0;
  Object.assign(api.state.callFlow, { answer: true, clientAnswers: true, autoHangup: true, record: false });
});

const calls = (list: ReceivedWebhook[]) => list.filter((h) => h.path === 'events/call').map((h) => h.json as any);
const byPath = (path: string) => hooks.received.filter((h) => h.path === path).map((h) => h.json as any);

describe('commands/callback', () => {
  it('answers 1000, then emits result/callback and the §3.C legs, all signed', async () => {
    const r = await post(api.url, 'commands/callback', { command_id: 'crm-42', from: { extension: '101' }, to_number: '79161234567' });
    expect(r.json).toEqual({ result: 1000 });
    await api.flush();
    expect(hooks.received.every((h) => h.signOk && h.keyOk)).toBe(true);
    expect(byPath('result/callback')).toEqual([{ command_id: 'crm-42', result: 1000 }]);

    const legs = calls(hooks.received);
    const l1 = legs.filter((e) => e.to.extension === '101');
    const l2 = legs.filter((e) => e.to.number === '79161234567');
    expect(l1.map((e) => e.call_state).sort()).toEqual(['Appeared', 'Connected', 'Disconnected']);
    expect(l1.find((e) => e.call_state === 'Appeared')).toMatchObject({ from: { number: '79161234567' }, command_id: 'crm-42', callback_initiator: 'API', dct: { type: 0 } });
    expect(l1.find((e) => e.call_state === 'Disconnected').disconnect_reason).toBe(1000);
    expect(l2[0].from).toMatchObject({ extension: '101', taken_from_call_id: l1[0].call_id });
    expect(l2.every((e) => e.command_id === 'crm-42')).toBe(true);

    const [summary] = byPath('events/summary');
    expect(summary).toMatchObject({ call_direction: 2, entry_result: 1, from: { extension: '101' }, to: { number: '79161234567' } });
    expect(api.state.calls.some((c) => c.entry_id === summary.entry_id)).toBe(true);
  });

  it('refuses an unknown employee synchronously with 3330 and emits nothing', async () => {
    const r = await post(api.url, 'commands/callback', { command_id: 'x', from: { extension: '999' }, to_number: '79161234567' });
    expect(r.json).toEqual({ result: 3330 });
    await api.flush();
    expect(hooks.received).toHaveLength(0);
  });

  it('can force an async failure code in result/callback', async () => {
    api.setResult('commands/callback', 2240, { async: true });
    try {
      const r = await post(api.url, 'commands/callback', { command_id: 'poor', from: { extension: '101' }, to_number: '79161234567' });
      expect(r.json).toEqual({ result: 1000 });
      await api.flush();
      expect(hooks.received.map((h) => [h.path, h.json])).toEqual([['result/callback', { command_id: 'poor', result: 2240 }]]);
    } finally {
      api.setResult('commands/callback', null);
    }
  });
});

describe('commands on live calls', () => {
  it('hangup of an unknown call → result/call/hangup 4101', async () => {
    const r = await post(api.url, 'commands/call/hangup', { command_id: 'h1', call_id: 'bm9wZQ==' });
    expect(r.json).toEqual({ result: 1000 });
    await api.flush();
    expect(byPath('result/call/hangup')).toEqual([{ command_id: 'h1', result: 4101 }]);
  });

  it('route moves an IVR leg to an employee: new leg with taken_from_call_id and command_id', async () => {
    api.state.callFlow.autoHangup = false;
    const { entryId, callId } = api.startIncomingCall({ from: '79035550000' });
    await api.flush();
    const r = await post(api.url, 'commands/route', { command_id: 'r1', call_id: callId, to_number: '102' });
    expect(r.json).toEqual({ result: 1000 });
    await api.flush();
    const legs = calls(hooks.received);
    const ivrEnd = legs.find((e) => e.call_id === callId && e.call_state === 'Disconnected');
    expect(ivrEnd).toMatchObject({ location: 'ivr', disconnect_reason: 1100 });
    const routed = legs.filter((e) => e.call_id !== callId);
    expect(routed[0]).toMatchObject({ entry_id: entryId, call_state: 'Appeared', command_id: 'r1', from: { number: '79035550000', taken_from_call_id: callId }, to: { extension: '102' } });
    expect(routed.at(-1).call_state).toBe('Connected');
    expect(byPath('result/route')).toEqual([{ command_id: 'r1', result: 1000 }]);

    // Still talking: hangup ends it with 1181, then the summary follows.
    await post(api.url, 'commands/call/hangup', { command_id: 'h2', call_id: routed[0].call_id });
    await api.flush();
    const end = calls(hooks.received).find((e) => e.call_id === routed[0].call_id && e.call_state === 'Disconnected');
    expect(end.disconnect_reason).toBe(1181);
    expect(byPath('result/call/hangup')).toEqual([{ command_id: 'h2', result: 1000 }]);
    expect(byPath('events/summary')[0]).toMatchObject({ entry_id: entryId, call_direction: 1, entry_result: 1, to: { extension: '102' } });

    // The leg is gone now.
    await post(api.url, 'commands/call/hangup', { command_id: 'h3', call_id: routed[0].call_id });
    await api.flush();
    expect(byPath('result/call/hangup').at(-1)).toEqual({ command_id: 'h3', result: 4101 });
  });

  it('blind transfer: OnHold, a new leg taken from the old one, was_transfered on the old one', async () => {
    api.state.callFlow.autoHangup = false;
    const { callId } = api.startIncomingCall();
    await post(api.url, 'commands/route', { command_id: 'r', call_id: callId, to_number: '101' });
    await api.flush();
    const legA = calls(hooks.received).find((e) => e.to.extension === '101').call_id;
    hooks.received.length = 0;

    const r = await post(api.url, 'commands/transfer', { command_id: 't1', call_id: legA, method: 'blind', to_number: '103', initiator: '101' });
    expect(r.json).toEqual({ result: 1000 });
    await api.flush();
    const legs = calls(hooks.received);
    expect(legs.find((e) => e.call_id === legA && e.call_state === 'OnHold').to.hold_initiator).toBe(true);
    expect(legs.find((e) => e.call_id === legA && e.call_state === 'Disconnected')).toMatchObject({ disconnect_reason: 1183, to: { was_transfered: true } });
    const legB = legs.filter((e) => e.call_id !== legA);
    expect(legB[0]).toMatchObject({ transfer: 'blind', from: { taken_from_call_id: legA }, to: { extension: '103' } });
    expect(byPath('result/transfer')).toEqual([{ command_id: 't1', result: 1000 }]);
  });

  it('recording/start on a live leg → result 1000 and events/recording Started with command_id', async () => {
    api.state.callFlow.autoHangup = false;
    const { entryId, callId } = api.startIncomingCall();
    await post(api.url, 'commands/route', { command_id: 'r', call_id: callId, to_number: '101' });
    await api.flush();
    const leg = calls(hooks.received).find((e) => e.to.extension === '101').call_id;
    await post(api.url, 'commands/recording/start', { command_id: 'rec1', call_id: leg, call_party_number: '101' });
    await post(api.url, 'commands/recording/start', { command_id: 'rec2', call_id: leg, call_party_number: '555' });
    await api.flush();
    expect(byPath('result/recording/start')).toEqual(
      expect.arrayContaining([
        { command_id: 'rec1', result: 1000 },
        { command_id: 'rec2', result: 3330 },
      ]),
    );
    const [started] = byPath('events/recording');
    expect(started).toMatchObject({ recording_state: 'Started', command_id: 'rec1', call_id: leg, extension: '101' });

    api.endCall(entryId);
    await api.flush();
    expect(byPath('events/recording').map((e) => e.recording_state)).toEqual(['Started', 'Completed']);
    expect(byPath('events/record/added')[0]).toMatchObject({ recording_id: started.recording_id, user_id: 400000101 });
    const dl = await post(api.url, 'queries/recording/post', { recording_id: started.recording_id, action: 'download' });
    expect(dl.status).toBe(302);
  });
});
