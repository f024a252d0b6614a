import { describe, expect, it } from 'vitest';
import { reduceCall, type StoredEvent } from '../../server/calls/reduce';

// Sequences from mango-api.md §3 (A: answered via IVR and group, B: missed, C: click-to-call).
const ivr = (seq: number, state: string, ts: number, extra: object = {}) => ({
  entry_id: 'E1', call_id: 'C1', timestamp: ts, seq, call_state: state, location: 'ivr',
  from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 }, ...extra,
});
const opLeg = (callId: string, ext: string, seq: number, state: string, ts: number, extra: object = {}) => ({
  entry_id: 'E1', call_id: callId, timestamp: ts, seq, call_state: state, location: 'abonent',
  from: { number: '79161234567', taken_from_call_id: 'C1' },
  to: { extension: ext, number: `sip:op${ext}@vpbx400000001.mangosip.ru`, line_number: '74951234567', acd_group: '22' }, dct: { type: 0 }, ...extra,
});
const summary = (extra: object) => ({
  entry_id: 'E1', call_direction: 1, from: { number: '79161234567' }, to: { extension: '101', number: 'sip:op101@vpbx400000001.mangosip.ru' },
  line_number: '74951234567', create_time: 1700000000, forward_time: 1700000006, talk_time: 1700000012, end_time: 1700000090, entry_result: 1, disconnect_reason: 1110, ...extra,
});

function events(list: [string, object][]): StoredEvent[] {
  return list.map(([kind, payload], i) => ({ id: i + 1, kind, payload }));
}

/** Every permutation would be too many; rotations + reversal + a fixed shuffle cover reorderings. */
function orderings<T>(xs: T[]): T[][] {
  const out: T[][] = [xs, [...xs].reverse()];
  for (let r = 1; r < xs.length; r++) out.push([...xs.slice(r), ...xs.slice(0, r)]);
  const shuffled = [...xs];
  let seed = 7;
  for (let i = shuffled.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  out.push(shuffled);
  return out;
}

const answered: [string, object][] = [
  ['events/call', ivr(1, 'Appeared', 1700000000)],
  ['events/call', ivr(2, 'Disconnected', 1700000006, { disconnect_reason: 1100 })],
  ['events/call', opLeg('C2', '101', 1, 'Appeared', 1700000006)],
  ['events/call', opLeg('C2', '101', 2, 'Connected', 1700000012)],
  ['events/recording', { recording_id: 'R1', recording_state: 'Started', seq: 1, entry_id: 'E1', call_id: 'C2', extension: '101', timestamp: 1700000012 }],
  ['events/call', opLeg('C2', '101', 3, 'Disconnected', 1700000090, { disconnect_reason: 1110 })],
  ['events/recording', { recording_id: 'R1', recording_state: 'Completed', seq: 2, entry_id: 'E1', call_id: 'C2', extension: '101', timestamp: 1700000090, completion_code: 1000, recipient: 'Cloud' }],
  ['events/summary', summary({})],
  ['events/record/added', { entry_id: 'E1', product_id: 400000001, user_id: 400000123, timestamp: 1700000100, recording_id: 'R1' }],
];

describe('call reducer', () => {
  it('reduces an incoming call answered through IVR and a group (§3.A)', () => {
    const c = reduceCall('E1', events(answered))!;
    expect(c).toMatchObject({
      direction: 'in', status: 'answered', phase: 'ended', answeredExtension: '101', employeeExtension: '101',
      clientNumber: '+79161234567', lineNumber: '74951234567', talkSeconds: 78, waitSeconds: 12, disconnectReason: 1110,
      recordings: [{ id: 'R1', state: 'available' }], groupCall: true,
    });
    expect(c.startedAt).toBe(1700000000);
    expect(c.answeredAt).toBe(1700000012);
  });

  it('ends the same in any arrival order and with duplicates', () => {
    const expected = reduceCall('E1', events(answered));
    for (const order of orderings([...answered, answered[3], answered[7]])) {
      expect(reduceCall('E1', events(order))).toEqual(expected);
    }
  });

  it('shows the call ringing at the operator before the summary, and in the IVR before that', () => {
    const inIvr = reduceCall('E1', events(answered.slice(0, 1)))!;
    expect(inIvr).toMatchObject({ status: 'active', phase: 'ivr', inQueue: true, queueCallIds: ['C1'] });
    const ringing = reduceCall('E1', events(answered.slice(0, 3)))!;
    expect(ringing).toMatchObject({ status: 'active', phase: 'ringing', ringing: [{ extension: '101', group: true }], inQueue: false });
    const talking = reduceCall('E1', events(answered.slice(0, 4)))!;
    expect(talking).toMatchObject({ status: 'active', phase: 'talking', answeredExtension: '101', ringing: [] });
    const legsDone = reduceCall('E1', events(answered.slice(0, 6)))!;
    expect(legsDone.phase).toBe('ended');
  });

  it('reduces a missed call (§3.B) and keeps the first operator who missed it', () => {
    const missed = reduceCall('E1', events([
      ['events/call', ivr(1, 'Appeared', 1700000000)],
      ['events/call', ivr(2, 'Disconnected', 1700000006, { disconnect_reason: 1100 })],
      ['events/call', opLeg('C2', '101', 1, 'Appeared', 1700000006)],
      ['events/call', opLeg('C2', '101', 2, 'Disconnected', 1700000040, { disconnect_reason: 1110 })],
      ['events/summary', summary({ forward_time: 0, talk_time: 0, end_time: 1700000040, entry_result: 0 })],
    ]))!;
    expect(missed).toMatchObject({ direction: 'in', status: 'missed', answeredExtension: null, employeeExtension: '101', talkSeconds: 0, waitSeconds: 40, answeredAt: null });
  });

  it('handles parallel ringing: one operator answers, the other legs end', () => {
    const list: [string, object][] = [
      ['events/call', ivr(1, 'Appeared', 1700000000)],
      ['events/call', ivr(2, 'Disconnected', 1700000005, { disconnect_reason: 1100 })],
      ['events/call', opLeg('C2', '101', 1, 'Appeared', 1700000005)],
      ['events/call', opLeg('C3', '102', 1, 'Appeared', 1700000005)],
      ['events/call', opLeg('C4', '103', 1, 'Appeared', 1700000005)],
    ];
    const ringing = reduceCall('E1', events(list))!;
    expect(ringing.ringing.map((r) => r.extension).sort()).toEqual(['101', '102', '103']);
    list.push(
      ['events/call', opLeg('C3', '102', 2, 'Connected', 1700000009)],
      ['events/call', opLeg('C2', '101', 2, 'Disconnected', 1700000009, { disconnect_reason: 1182 })],
      ['events/call', opLeg('C4', '103', 2, 'Disconnected', 1700000009, { disconnect_reason: 1182 })],
    );
    const talking = reduceCall('E1', events(list))!;
    expect(talking).toMatchObject({ phase: 'talking', answeredExtension: '102', ringing: [] });
    list.push(
      ['events/call', opLeg('C3', '102', 3, 'Disconnected', 1700000060, { disconnect_reason: 1120 })],
      ['events/summary', summary({ to: { extension: '102' }, talk_time: 1700000009, end_time: 1700000060 })],
    );
    for (const order of orderings(list)) {
      expect(reduceCall('E1', events(order))).toMatchObject({ status: 'answered', answeredExtension: '102', talkSeconds: 51, participants: ['101', '102', '103'] });
    }
  });

  it('handles a transfer between employees, with either spelling of was_transfered', () => {
    for (const spelling of ['was_transfered', 'was_transferred']) {
      const list: [string, object][] = [
        ['events/call', opLeg('C2', '101', 1, 'Appeared', 1700000000)],
        ['events/call', opLeg('C2', '101', 2, 'Connected', 1700000004)],
        ['events/call', opLeg('C2', '101', 3, 'OnHold', 1700000030)],
        ['events/call', { ...opLeg('C5', '105', 1, 'Appeared', 1700000031), from: { number: '79161234567', taken_from_call_id: 'C2' }, transfer: 'blind' }],
        ['events/call', { ...opLeg('C2', '101', 4, 'Disconnected', 1700000033, { disconnect_reason: 1183 }), from: { number: '79161234567', [spelling]: true } }],
        ['events/call', opLeg('C5', '105', 2, 'Connected', 1700000033)],
        ['events/call', opLeg('C5', '105', 3, 'Disconnected', 1700000100, { disconnect_reason: 1110 })],
      ];
      const mid = reduceCall('E1', events(list.slice(0, 4)))!;
      expect(mid.phase).toBe('talking');
      const done = reduceCall('E1', events([...list, ['events/summary', summary({ to: { extension: '105' }, talk_time: 1700000004, end_time: 1700000100 })]]))!;
      expect(done).toMatchObject({ status: 'answered', answeredExtension: '101', participants: ['101', '105'], talkSeconds: 96 });
    }
  });

  it('reduces click-to-call (§3.C) as outgoing, answered by the client', () => {
    const leg1 = (seq: number, state: string, ts: number, extra: object = {}) => ({
      entry_id: 'E2', call_id: 'L1', timestamp: ts, seq, call_state: state, location: 'abonent', from: { number: '79161234567' },
      to: { extension: '101', number: 'sip:ivanov@vpbx400000001.mangosip.ru' }, command_id: 'crm-42', callback_initiator: 'API', dct: { type: 0 }, ...extra,
    });
    const leg2 = (seq: number, state: string, ts: number, extra: object = {}) => ({
      entry_id: 'E2', call_id: 'L2', timestamp: ts, seq, call_state: state, location: 'abonent',
      from: { extension: '101', number: 'sip:ivanov@vpbx400000001.mangosip.ru', taken_from_call_id: 'L1' }, to: { number: '79161234567' }, command_id: 'crm-42', dct: { type: 0 }, ...extra,
    });
    const list: [string, object][] = [
      ['events/call', leg1(1, 'Appeared', 1700001000)],
      ['events/call', leg1(2, 'Connected', 1700001003)],
      ['events/call', leg1(3, 'Disconnected', 1700001004, { disconnect_reason: 1000 })],
      ['events/call', leg2(1, 'Appeared', 1700001004)],
      ['events/call', leg2(2, 'Connected', 1700001010)],
    ];
    // Being dialled: neither in a voice menu nor anyone's popup.
    for (const n of [1, 4]) expect(reduceCall('E2', events(list.slice(0, n)))).toMatchObject({ direction: 'out', status: 'active', phase: 'ringing', ringing: [] });
    const talking = reduceCall('E2', events(list))!;
    expect(talking).toMatchObject({ direction: 'out', status: 'active', phase: 'talking', ringing: [], clientNumber: '+79161234567', employeeExtension: '101' });
    list.push(['events/call', leg2(3, 'Disconnected', 1700001070, { disconnect_reason: 1110 })]);
    list.push(['events/summary', { entry_id: 'E2', call_direction: 2, from: { extension: '101', number: 'sip:ivanov@vpbx400000001.mangosip.ru' }, to: { number: '79161234567' }, line_number: '74951234567', create_time: 1700001000, forward_time: 1700001000, talk_time: 1700001010, end_time: 1700001070, entry_result: 1, disconnect_reason: 1110 }]);
    for (const order of orderings(list)) {
      expect(reduceCall('E2', events(order))).toMatchObject({ direction: 'out', status: 'answered', talkSeconds: 60, clientNumber: '+79161234567', employeeExtension: '101' });
    }
  });

  it('marks an outgoing call the other side did not answer as unanswered', () => {
    const c = reduceCall('E3', events([
      ['events/call', { entry_id: 'E3', call_id: 'O1', timestamp: 10, seq: 1, call_state: 'Appeared', location: 'abonent', from: { extension: '101', number: 'sip:a@x' }, to: { number: '84951112233' } }],
      ['events/call', { entry_id: 'E3', call_id: 'O1', timestamp: 40, seq: 2, call_state: 'Disconnected', location: 'abonent', from: { extension: '101', number: 'sip:a@x' }, to: { number: '84951112233' }, disconnect_reason: 1111 }],
      ['events/summary', { entry_id: 'E3', call_direction: 2, from: { extension: '101' }, to: { number: '74951112233' }, create_time: 10, forward_time: 10, talk_time: 0, end_time: 40, entry_result: 0, disconnect_reason: 1111 }],
    ]))!;
    expect(c).toMatchObject({ direction: 'out', status: 'unanswered', clientNumber: '+74951112233', employeeExtension: '101', talkSeconds: 0 });
  });

  it('accepts doc-style string types the same as numbers', () => {
    const asStrings = answered.map(([k, p]) => [k, JSON.parse(JSON.stringify(p, (key, v) => (typeof v === 'number' && key !== '' ? String(v) : v)))] as [string, object]);
    expect(reduceCall('E1', events(asStrings))).toEqual(reduceCall('E1', events(answered)));
  });

  it('reduces the guide’s simplified events', () => {
    const c = reduceCall('simple:X', events([
      ['simple', { event: 'call.incoming', call_id: 'X', timestamp: 100, from: { number: '8 (916) 123-45-67' }, to: { extension: '101' } }],
      ['simple', { event: 'call.answered', call_id: 'X', timestamp: 105 }],
      ['simple', { event: 'call.ended', call_id: 'X', timestamp: 165, duration: 60 }],
    ]))!;
    expect(c).toMatchObject({ direction: 'in', status: 'answered', clientNumber: '+79161234567', answeredExtension: '101', talkSeconds: 60, waitSeconds: 5 });
  });

  it('builds a reconciled record from a statistics row alone', () => {
    const c = reduceCall('E9', events([['stats/row', { entry_id: 'E9', start: 100, finish: 200, answer: 0, from_extension: '', from_number: '79161234567', to_extension: '101', to_number: '', disconnect_reason: 1110, line_number: '74951234567', records: [] }]]))!;
    expect(c).toMatchObject({ direction: 'in', status: 'missed', reconciled: true, clientNumber: '+79161234567', endedAt: 200 });
  });
});
