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

describe('PopupManager display duration', () => {
  function timed(durationSec: number) {
    const pending = new Map<number, { fn: () => void; ms: number }>();
    let next = 1;
    const timers = {
      setTimeout: (fn: () => void, ms: number) => (pending.set(next, { fn, ms }), next++),
      clearTimeout: (h: unknown) => void pending.delete(h as number),
    };
    const emitted: CallPopup[] = [];
    const o = { ...opts, durationSec };
    const m = new PopupManager({ emit: (p) => emitted.push(p), options: () => o, me: () => me, timers });
    const fire = () => {
      const all = [...pending.values()];
      pending.clear();
      all.forEach((t) => t.fn());
    };
    return { m, emitted, pending, fire };
  }

  it('hides a popup after N seconds, once per call; later updates do not bring it back', () => {
    const { m, emitted, pending, fire } = timed(15);
    m.onCall(payload(makeCall(1)));
    m.onCall(payload(makeCall(1, { ringingExtensions: ['101', '102'] })));
    expect([...pending.values()].map((t) => t.ms)).toEqual([15_000]);
    fire();
    expect(emitted.map((p) => p.open)).toEqual([true, true, false]);
    expect(m.list()).toEqual([]);
    m.onCall(payload(makeCall(1, { phase: 'talking' })));
    expect(m.list()).toEqual([]);
    expect(emitted).toHaveLength(3);
  });

  it('a call ending first cancels its timer; 0 means no timer at all', () => {
    const t = timed(10);
    t.m.onCall(payload(makeCall(1)));
    t.m.onCall(payload(makeCall(1, { phase: 'ended', status: 'missed' })));
    expect(t.pending.size).toBe(0);

    const forever = timed(0);
    forever.m.onCall(payload(makeCall(2)));
    expect(forever.pending.size).toBe(0);
    expect(forever.m.list()).toHaveLength(1);
  });
});
