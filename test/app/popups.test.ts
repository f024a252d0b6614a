import { describe, expect, it } from 'vitest';
import { PopupManager, wantsPopup } from '../../src-main/core/popups';
import { PopupOptionsSchema } from '../../src-main/core/settings';
import type { CallPopup } from '../../src-shared/ipc/telephony';
import type { Call } from '../../src-shared/wire';
import { makeCall, makeEmployee } from './fixtures';

const me = makeEmployee(1);
const opts = PopupOptionsSchema.parse({});
const payload = (call: Call, popup = true) => ({ kind: 'call' as const, call, popup, contact: null, recentCalls: [] });

function manager(o = opts) {
  const emitted: CallPopup[] = [];
  const m = new PopupManager({ emit: (p) => emitted.push(p), options: () => o, me: () => me });
  return { m, emitted };
}

describe('popup policy', () => {
  it('follows the relay flag while ringing, never for ended or non-active calls', () => {
    expect(wantsPopup(payload(makeCall(1)), me, opts)).toBe(true);
    expect(wantsPopup(payload(makeCall(1), false), me, opts)).toBe(false);
    expect(wantsPopup(payload(makeCall(1, { phase: 'ended' })), me, opts)).toBe(false);
    expect(wantsPopup(payload(makeCall(1, { status: 'missed' })), me, opts)).toBe(false);
  });
  it('honours "never", "on answer" and the minimum caller-ID length', () => {
    expect(wantsPopup(payload(makeCall(1)), me, { ...opts, when: 'never' })).toBe(false);
    const ringing = makeCall(1);
    const mine = makeCall(1, { phase: 'talking', employee: { id: 1, name: 'x', extension: '101' } });
    expect(wantsPopup(payload(ringing), me, { ...opts, when: 'answer' })).toBe(false);
    expect(wantsPopup(payload(mine, false), me, { ...opts, when: 'answer' })).toBe(true);
    const internal = makeCall(1, { clientNumber: '105', from: { number: '105', extension: '105' } });
    expect(wantsPopup(payload(internal), me, opts)).toBe(false);
    expect(wantsPopup(payload(internal), me, { ...opts, minDigits: 0 })).toBe(true);
  });
});

describe('PopupManager', () => {
  it('opens, updates and closes when answered elsewhere; a dismissed call does not come back', () => {
    const { m, emitted } = manager();
    m.onCall(payload(makeCall(1)));
    m.onCall(payload(makeCall(1, { ringingExtensions: ['101', '102'] })));
    m.onCall(payload(makeCall(1, { phase: 'talking' }), false));
    expect(emitted.map((p) => p.open)).toEqual([true, true, false]);
    m.onCall(payload(makeCall(2)));
    m.dismiss(2);
    m.onCall(payload(makeCall(2, { ringingExtensions: ['103'] })));
    expect(m.list()).toEqual([]);
  });

  it('announces only the net result of a replay batch', () => {
    const { m, emitted } = manager();
    m.onCall(payload(makeCall(1))); // open before the disconnect
    emitted.length = 0;
    m.beginBatch();
    m.onCall(payload(makeCall(1, { phase: 'ended', status: 'missed' }), false)); // ended while away
    m.onCall(payload(makeCall(2)));
    m.onCall(payload(makeCall(2, { phase: 'ended', status: 'answered' }), false)); // came and went
    m.onCall(payload(makeCall(3))); // still ringing now
    expect(emitted).toEqual([]);
    m.endBatch();
    expect(emitted.map((p) => [p.callId, p.open])).toEqual([[1, false], [3, true]]);
  });

  it('reconcile closes popups whose call is over on the relay', async () => {
    const { m } = manager();
    m.onCall(payload(makeCall(1)));
    m.onCall(payload(makeCall(2)));
    await m.reconcile(async (id) => (id === 1 ? makeCall(1, { status: 'missed', phase: 'ended' }) : makeCall(2)));
    expect(m.list().map((p) => p.callId)).toEqual([2]);
  });
});
