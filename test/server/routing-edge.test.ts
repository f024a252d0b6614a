// Who hears of a call, at the edges: accept-calls switched mid-call, group calls answered by
// one, transfers, out-of-order delivery, click-to-call, missed-call reminders. Real relay on
// Postgres, signed webhooks in, feed items / call records / missed list out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../support/relay';
import { postSigned } from '../support/webhook';
import { buildScenario, SCENARIO_KINDS } from '../../tools/mango-sim/scenarios';
import type { SimEvent } from '../../tools/mango-sim/types';
import { reduceCall, type StoredEvent } from '../../server/calls/reduce';
import type { Call, Employee, FeedPayload } from '../../src-shared/wire';

let r: TestRelay;
const emp: Record<string, { employee: Employee; token: string }> = {};
let ts = Math.floor(Date.now() / 1000) - 3600;

const ivr = (entry: string, state: string, s: number) => ({
  entry_id: entry, call_id: `${entry}-ivr`, timestamp: ++ts, seq: s, call_state: state, location: 'ivr',
  from: { number: '79161230000' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 },
  ...(state === 'Disconnected' ? { disconnect_reason: 1100 } : {}),
});
const leg = (entry: string, ext: string, state: string, s: number, group = true, reason = 1110) => ({
  entry_id: entry, call_id: `${entry}-${ext}`, timestamp: ++ts, seq: s, call_state: state, location: 'abonent',
  from: { number: '79161230000', taken_from_call_id: `${entry}-ivr` },
  to: { extension: ext, number: `sip:${ext}@x`, line_number: '74951234567', ...(group ? { acd_group: '22' } : {}) }, dct: { type: 0 },
  ...(state === 'Disconnected' ? { disconnect_reason: reason } : {}),
});
const post = async (path: string, body: object) => expect((await postSigned(r.webhookBase, path, body)).status).toBe(200);
const postAll = async (evs: object[]) => {
  for (const e of evs) await post('events/call', e);
  await r.settle();
};

/** The employee's feed items about one call, in order. */
async function items(name: string, entry: string): Promise<Extract<FeedPayload, { kind: 'call' }>[]> {
  const q = await r.relay.ctx.db.query<{ payload: FeedPayload }>(
    `SELECT payload FROM feed WHERE employee_id = $1 AND payload->>'kind' = 'call' AND payload->'call'->>'entryId' = $2 ORDER BY id`,
    [emp[name].employee.id, entry],
  );
  return q.rows.map((x) => x.payload as Extract<FeedPayload, { kind: 'call' }>);
}
const popupNow = async (name: string, entry: string) => (await items(name, entry)).at(-1)?.popup ?? false;
const everPopup = async (name: string, entry: string) => (await items(name, entry)).some((i) => i.popup);
const missedFor = async (name: string) => (await r.api<{ calls: Call[] }>('GET', '/api/missed', emp[name].token)).body.calls.map((c) => c.entryId);
const setStatus = async (name: string, acceptCalls: boolean) =>
  expect((await r.api('PUT', '/api/me/status', emp[name].token, { acceptCalls })).status).toBe(200);

beforeAll(async () => {
  r = await startTestRelay();
  for (const [login, role, ext] of [
    ['a101', 'to', '101'],
    ['b102', 'to', '102'],
    ['c103', 'pm', '103'],
    ['d104', 'to', '104'],
    ['e105', 'to', '105'],
    ['buh', 'buh', null],
  ] as const) {
    emp[login] = await r.createEmployee({ login, role, extension: ext });
  }
}, 60_000);
afterAll(async () => r?.close());

describe('accept-calls switched while a call is live', () => {
  it('switching off while a group call rings you withdraws your popup', async () => {
    const E = 'EDGE-OFF';
    await postAll([ivr(E, 'Appeared', 1), ivr(E, 'Disconnected', 2), leg(E, '101', 'Appeared', 1), leg(E, '102', 'Appeared', 1)]);
    expect(await popupNow('a101', E)).toBe(true);
    await setStatus('a101', false);
    await r.settle();
    try {
      expect(await popupNow('a101', E)).toBe(false);
      expect(await popupNow('b102', E)).toBe(true);
    } finally {
      await setStatus('a101', true);
    }
    await postAll([leg(E, '101', 'Disconnected', 2), leg(E, '102', 'Disconnected', 2)]);
  });

  it('switching on while a call waits in the queue offers it to you', async () => {
    const E = 'EDGE-ON';
    await setStatus('d104', false);
    await postAll([ivr(E, 'Appeared', 1)]);
    expect(await popupNow('a101', E)).toBe(true);
    expect(await everPopup('d104', E)).toBe(false);
    await setStatus('d104', true);
    await r.settle();
    try {
      expect(await popupNow('d104', E)).toBe(true);
    } finally {
      await postAll([ivr(E, 'Disconnected', 2)]);
    }
  });
});

describe('the admin changes an employee while a call is live', () => {
  const patch = async (name: string, body: object) =>
    expect((await r.api('PATCH', `/api/admin/employees/${emp[name].employee.id}`, r.adminToken, body)).status).toBe(200);

  it('a role whose default is on offers the ringing group call; back to the old role withdraws it', async () => {
    emp.f106 = await r.createEmployee({ login: 'f106', role: 'pm', extension: '106' });
    const E = 'EDGE-ROLE';
    await postAll([ivr(E, 'Appeared', 1), ivr(E, 'Disconnected', 2), leg(E, '106', 'Appeared', 1), leg(E, '101', 'Appeared', 1)]);
    expect(await everPopup('f106', E)).toBe(false); // pm: «Приём звонков» off by default
    await patch('f106', { role: 'to' });
    expect(await popupNow('f106', E)).toBe(true);
    await patch('f106', { role: 'pm' });
    expect(await popupNow('f106', E)).toBe(false);
    await postAll([leg(E, '106', 'Disconnected', 2), leg(E, '101', 'Disconnected', 2)]);
  });

  it('disabling an employee closes the popup of a call ringing them; enabling them again brings it back', async () => {
    const E = 'EDGE-DISABLE';
    await postAll([ivr(E, 'Appeared', 1), ivr(E, 'Disconnected', 2), leg(E, '105', 'Appeared', 1, false)]);
    expect(await popupNow('e105', E)).toBe(true);
    await patch('e105', { active: false });
    try {
      expect(await popupNow('e105', E)).toBe(false);
    } finally {
      await patch('e105', { active: true });
    }
    expect(await popupNow('e105', E)).toBe(true);
    await postAll([leg(E, '105', 'Disconnected', 2, false)]);
    emp.e105 = { ...emp.e105, token: (await r.login('e105', 'password-e105')).token }; // disabling ended its sessions
  });
});

describe('group call answered by one', () => {
  it('withdraws the others’ popups; no missed reminder for anyone', async () => {
    const E = 'EDGE-GRP';
    await postAll([ivr(E, 'Appeared', 1), ivr(E, 'Disconnected', 2), leg(E, '101', 'Appeared', 1), leg(E, '102', 'Appeared', 1), leg(E, '103', 'Appeared', 1)]);
    expect(await popupNow('a101', E)).toBe(true);
    expect(await popupNow('b102', E)).toBe(true);
    expect(await everPopup('c103', E)).toBe(false); // pm: accept-calls off by default
    await postAll([leg(E, '102', 'Connected', 2), leg(E, '101', 'Disconnected', 2, true, 1182), leg(E, '103', 'Disconnected', 2, true, 1182)]);
    expect(await popupNow('a101', E)).toBe(false);
    expect(await popupNow('b102', E)).toBe(true);
    await postAll([leg(E, '102', 'Disconnected', 3)]);
    for (const n of ['a101', 'b102', 'c103', 'buh']) expect(await missedFor(n)).not.toContain(E);
  });

  it('a missed group call reminds those it was offered to, not those with accept-calls off', async () => {
    const E = 'EDGE-MISS';
    await postAll([ivr(E, 'Appeared', 1), ivr(E, 'Disconnected', 2), leg(E, '101', 'Appeared', 1), leg(E, '103', 'Appeared', 1)]);
    await postAll([leg(E, '101', 'Disconnected', 2, true, 1111), leg(E, '103', 'Disconnected', 2, true, 1111)]);
    await post('events/summary', {
      entry_id: E, call_direction: 1, from: { number: '79161230000' }, to: { extension: '101' }, line_number: '74951234567',
      create_time: ts - 10, forward_time: 0, talk_time: 0, end_time: ++ts, entry_result: 0, disconnect_reason: 1111,
    });
    await r.settle();
    const rec = (await r.relay.ctx.db.query<{ status: string }>('SELECT status FROM calls WHERE entry_id = $1', [E])).rows[0];
    expect(rec.status).toBe('missed');
    expect(await missedFor('a101')).toContain(E);
    expect(await missedFor('c103')).not.toContain(E);
    expect(await missedFor('buh')).not.toContain(E);
    // The apps keep their reminders from the feed: its last item says whose missed call it is.
    expect((await items('a101', E)).at(-1)?.offered).toBe(true);
    expect((await items('c103', E)).at(-1)?.offered).toBe(false);
    const admin = (await r.api<{ calls: Call[] }>('GET', '/api/missed', r.adminToken)).body.calls.map((c) => c.entryId);
    expect(admin).toContain(E);
  });
});

describe('transfers', () => {
  for (const method of ['blind', 'hold'] as const) {
    it(`${method}: the transfer target gets the popup while ringing and keeps it while talking; A's closes`, async () => {
      const sc = buildScenario('incomingTransferred', { seed: method === 'blind' ? 7 : 8, start: ts + 100, extension: '101', transferTo: '105', transferMethod: method, group: null });
      ts += 1000;
      const E = sc.outcome.entryId;
      const events = sc.filter((e) => e.path === 'events/call');
      let sawB = false;
      let talkingB = false;
      for (const e of events) {
        await post(e.path, e.payload);
        await r.settle();
        const p = e.payload as { call_state: string; to: { extension?: string }; call_id: string };
        if (p.to.extension === '105' && p.call_state === 'Appeared') sawB ||= await popupNow('e105', E);
        if (p.to.extension === '105' && p.call_state === 'Connected' && !('extension' in ((e.payload as { from: object }).from))) {
          talkingB = (await popupNow('e105', E)) && !(await popupNow('a101', E));
        }
      }
      expect(sawB).toBe(true);
      expect(talkingB).toBe(true);
      for (const e of sc.filter((x) => x.path !== 'events/call')) await post(e.path, e.payload);
      await r.settle();
      const call = (await r.api<{ calls: Call[] }>('GET', `/api/calls?limit=1000`, r.adminToken)).body.calls.find((c) => c.entryId === E)!;
      expect(call).toMatchObject({ status: 'answered', phase: 'ended', talkSeconds: sc.outcome.talkSeconds });
      for (const n of ['a101', 'e105']) {
        const mine = (await r.api<{ calls: Call[] }>('GET', `/api/calls?limit=1000`, emp[n].token)).body.calls.map((c) => c.entryId);
        expect(mine).toContain(E);
        expect(await popupNow(n, E)).toBe(false);
      }
    });
  }
});

describe('order of arrival', () => {
  const shuffle = <T>(a: T[], seed: number) => {
    const x = [...a];
    let s = seed;
    for (let i = x.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const j = s % (i + 1);
      [x[i], x[j]] = [x[j], x[i]];
    }
    return x;
  };
  it.each(SCENARIO_KINDS.map((k) => [k]))('%s: any order and duplicates reduce to the in-order record', (kind) => {
    const sc = buildScenario(kind, { seed: 42, start: 1700000000, extensions: ['101', '102', '103'], transferTo: '105', withRecording: true });
    const toStored = (evs: SimEvent[]) => evs.map((e, i): StoredEvent => ({ id: i + 1, kind: e.path, payload: e.payload }));
    const base = reduceCall(sc.outcome.entryId, toStored([...sc]));
    for (let seed = 1; seed <= 30; seed++) {
      const evs = shuffle([...sc, ...sc.slice(0, seed % 5)], seed);
      expect(reduceCall(sc.outcome.entryId, toStored(evs))).toEqual(base);
    }
    expect(reduceCall(sc.outcome.entryId, toStored([...sc].reverse()))).toEqual(base);
  });
});

describe('calls that are nobody else’s business', () => {
  it('click-to-call pops up for no one; an internal call pops up for the callee only', async () => {
    const sc = buildScenario('clickToCall', { seed: 9, start: ts + 100, extension: '101' });
    ts += 1000;
    for (const e of sc) await post(e.path, e.payload);
    await r.settle();
    for (const n of ['a101', 'b102', 'd104', 'e105']) expect(await everPopup(n, sc.outcome.entryId)).toBe(false);
    const E = 'EDGE-INT';
    const base = { entry_id: E, call_id: `${E}-1`, location: 'abonent', from: { extension: '101', number: 'sip:101@x' }, to: { extension: '102', number: 'sip:102@x' }, dct: { type: 0 } };
    await postAll([{ ...base, seq: 1, timestamp: ++ts, call_state: 'Appeared' }]);
    expect(await popupNow('b102', E)).toBe(true);
    for (const n of ['a101', 'd104', 'e105']) expect(await everPopup(n, E)).toBe(false);
    await postAll([{ ...base, seq: 2, timestamp: ++ts, call_state: 'Disconnected', disconnect_reason: 1110 }]);
    const rec = (await r.relay.ctx.db.query<{ direction: string; status: string }>('SELECT direction, status FROM calls WHERE entry_id = $1', [E])).rows[0];
    expect(rec).toMatchObject({ direction: 'internal' });
  });

  it('a call to an extension no employee has: no popup to anyone, the record has no employee', async () => {
    const E = 'EDGE-NOEXT';
    await postAll([leg(E, '999', 'Appeared', 1, false)]);
    for (const n of ['a101', 'b102', 'd104', 'e105']) expect(await everPopup(n, E)).toBe(false);
    await postAll([leg(E, '999', 'Disconnected', 2, false)]);
    const call = (await r.api<{ calls: Call[] }>('GET', `/api/calls?limit=1000`, r.adminToken)).body.calls.find((c) => c.entryId === E)!;
    expect(call.employee).toBeNull();
  });
});
