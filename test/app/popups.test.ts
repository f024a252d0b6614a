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

/** A PopupManager on hand-driven timers: `pending` holds the armed ones, `fire` runs them all. */
function managerWithTimers(o: typeof opts, wrapUpMs?: number) {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const timers = {
    setTimeout: (fn: () => void, ms: number) => (pending.set(next, { fn, ms }), next++),
    clearTimeout: (h: unknown) => void pending.delete(h as number),
  };
  const emitted: CallPopup[] = [];
  const m = new PopupManager({ emit: (p) => emitted.push(p), options: () => o, me: () => me, timers, ...(wrapUpMs ? { wrapUpMs } : {}) });
  const fire = () => {
    const all = [...pending.values()];
    pending.clear();
    all.forEach((t) => t.fn());
  };
  return { m, emitted, pending, fire };
}

describe('PopupManager display duration', () => {
  const timed = (durationSec: number) => managerWithTimers({ ...opts, durationSec });

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

describe('PopupManager: an ended call’s card stays for a comment', () => {
  const mine = { id: 1, name: 'x', extension: '101' };
  const wrapped = (o = opts) => managerWithTimers(o, 45_000);
  const talked = (id: number, over: Partial<Call> = {}) => makeCall(id, { phase: 'talking', employee: mine, answeredAt: '2025-01-01T10:00:10.000Z', ...over });

  it('keeps the card, ended, after my own conversation, for a while; a later update keeps it; then it closes', () => {
    const { m, emitted, pending, fire } = wrapped();
    m.onCall(payload(makeCall(1)));
    m.onCall(payload(talked(1)));
    m.onCall(payload(talked(1, { phase: 'ended' }), false)); // legs gone, before the summary
    expect(m.list()).toEqual([expect.objectContaining({ callId: 1, open: true, call: expect.objectContaining({ phase: 'ended' }) })]);
    expect([...pending.values()].map((t) => t.ms)).toEqual([45_000]);
    m.onCall(payload(talked(1, { phase: 'ended', status: 'answered', comment: { text: 'КП', by: { id: 2, name: 'y' }, at: '2025-01-01T10:05:00.000Z' } }), false));
    expect(m.get(1)?.call.comment?.text).toBe('КП');
    expect(pending.size).toBe(1); // the same timer, not a new one per update
    expect(emitted.map((p) => p.open)).toEqual([true, true, true, true]);
    fire();
    expect(m.list()).toEqual([]);
    expect(emitted.at(-1)).toMatchObject({ callId: 1, open: false });
    // Later updates (the recording) do not bring it back.
    m.onCall(payload(talked(1, { phase: 'ended', status: 'answered' }), false));
    expect(m.list()).toEqual([]);
  });

  it('closes at the end as before: a call answered by someone else, a missed one, one that ended during a replay, one closed by hand', () => {
    const { m } = wrapped();
    m.onCall(payload(makeCall(1)));
    m.onCall(payload(makeCall(1, { phase: 'ended', status: 'answered', employee: { id: 9, name: 'z', extension: '109' }, answeredAt: '2025-01-01T10:00:10.000Z' }), false));
    m.onCall(payload(makeCall(2)));
    m.onCall(payload(makeCall(2, { phase: 'ended', status: 'missed', employee: mine }), false));
    m.onCall(payload(talked(3)));
    m.beginBatch();
    m.onCall(payload(talked(3, { phase: 'ended', status: 'answered' }), false));
    m.endBatch();
    m.onCall(payload(talked(4)));
    m.dismiss(4);
    m.onCall(payload(talked(4, { phase: 'ended', status: 'answered' }), false));
    expect(m.list()).toEqual([]);
  });

  it('a card the user writes a comment in (popups:keep) stays until it is closed', () => {
    const { m, pending, fire } = wrapped({ ...opts, durationSec: 600 });
    m.onCall(payload(talked(1)));
    m.onCall(payload(talked(1, { phase: 'ended', status: 'answered' }), false));
    expect(pending.size).toBe(2); // the display duration and the wrap-up
    m.keep(1);
    expect(pending.size).toBe(0);
    m.onCall(payload(talked(1, { phase: 'ended', status: 'answered' }), false));
    fire();
    expect(m.list().map((p) => p.callId)).toEqual([1]);
    m.dismiss(1);
    expect(m.list()).toEqual([]);
  });
});
