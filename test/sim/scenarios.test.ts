import { describe, expect, it } from 'vitest';
import {
  SCENARIO_KINDS,
  buildScenario,
  clickToCall,
  expectedOutcome,
  incomingMissed,
  incomingParallelRing,
  incomingTransferred,
  type ScenarioEvents,
  type ScenarioOptions,
} from '../../tools/mango-sim/scenarios';

const VARIANTS: ScenarioOptions[] = [
  {},
  { withRecording: true },
  { answered: false, employeeAnswers: false },
  { transferMethod: 'hold', withRecording: true },
  { transferAnswered: false },
  { transferMethod: 'hold', transferAnswered: false },
  { missReason: 1111 },
  { missReason: 1164 },
  { withQueue: true },
];

const all: { name: string; events: ScenarioEvents }[] = SCENARIO_KINDS.flatMap((kind) =>
  VARIANTS.map((v, i) => ({ name: `${kind}#${i}`, events: buildScenario(kind, { ...v, seed: 100 + i, start: 1_700_000_000 }) })),
);

const isInt = (v: unknown) => Number.isInteger(v);
const isStrOpt = (v: unknown) => v === undefined || typeof v === 'string';

describe.each(all)('$name', ({ events }) => {
  const calls = events.filter((e) => e.path === 'events/call').map((e) => e.payload as any);

  it('events/call fields have Mango types and dct {"type":0}', () => {
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(typeof c.entry_id).toBe('string');
      expect(typeof c.call_id).toBe('string');
      expect(isInt(c.seq) && isInt(c.timestamp)).toBe(true);
      expect(['Appeared', 'Connected', 'OnHold', 'Disconnected']).toContain(c.call_state);
      expect(['ivr', 'queue', 'abonent']).toContain(c.location);
      expect(c.dct).toEqual({ type: 0 });
      for (const side of [c.from, c.to]) {
        expect(isStrOpt(side.extension) && isStrOpt(side.number) && isStrOpt(side.line_number) && isStrOpt(side.acd_group)).toBe(true);
      }
      if (c.call_state === 'Disconnected') expect(isInt(c.disconnect_reason)).toBe(true);
      else expect(c).not.toHaveProperty('disconnect_reason');
      expect(c.entry_id).toBe(events.entryId);
    }
  });

  it('seq runs 1, 2, 3… per call_id and every leg ends Disconnected', () => {
    const byLeg = new Map<string, any[]>();
    for (const c of calls) byLeg.set(c.call_id, [...(byLeg.get(c.call_id) ?? []), c]);
    for (const legs of byLeg.values()) {
      expect(legs.map((l) => l.seq)).toEqual(legs.map((_, i) => i + 1));
      expect(legs.map((l) => l.timestamp)).toEqual([...legs.map((l) => l.timestamp)].sort((a, b) => a - b));
      expect(legs.at(-1).call_state).toBe('Disconnected');
    }
  });

  it('taken_from_call_id points at an earlier leg of the same call', () => {
    const seen = new Set<string>();
    for (const c of calls) {
      if (c.from.taken_from_call_id) expect(seen.has(c.from.taken_from_call_id)).toBe(true);
      seen.add(c.call_id);
    }
  });

  it('ends with one summary after every events/call and events/recording', () => {
    const summaries = events.map((e, i) => [e, i] as const).filter(([e]) => e.path === 'events/summary');
    expect(summaries).toHaveLength(1);
    const [[summary, at]] = summaries;
    events.forEach((e, i) => {
      if (e.path === 'events/call' || e.path === 'events/recording') expect(i).toBeLessThan(at);
    });
    const s = summary.payload as any;
    for (const k of ['call_direction', 'create_time', 'forward_time', 'talk_time', 'end_time', 'entry_result', 'disconnect_reason']) {
      expect(isInt(s[k])).toBe(true);
    }
    const o = events.outcome;
    expect(s.entry_id).toBe(o.entryId);
    expect(s.call_direction).toBe(o.direction === 'incoming' ? 1 : o.direction === 'outgoing' ? 2 : 0);
    expect(s.entry_result).toBe(o.status === 'answered' ? 1 : 0);
    expect(s.talk_time === 0 ? 0 : s.end_time - s.talk_time).toBe(o.talkSeconds);
    expect(s.disconnect_reason).toBe(o.disconnectReason);
    expect(s.from).not.toHaveProperty('taken_from_call_id');
    if (o.direction === 'incoming') expect(s.from).toEqual({ number: o.externalNumber });
  });

  it('recordings: Started … Completed, seq per recording, record/added after the summary', () => {
    const recs = events.filter((e) => e.path === 'events/recording').map((e) => e.payload as any);
    for (const id of events.outcome.recordingIds) {
      const mine = recs.filter((r) => r.recording_id === id);
      expect(mine[0].recording_state).toBe('Started');
      expect(mine.at(-1)).toMatchObject({ recording_state: 'Completed', completion_code: 1000, recipient: 'Cloud' });
      expect(mine.map((r) => r.seq)).toEqual(mine.map((_, i) => i + 1));
      const added = events.findIndex((e) => e.path === 'events/record/added' && e.payload.recording_id === id);
      expect(added).toBeGreaterThan(events.findIndex((e) => e.path === 'events/summary'));
    }
  });
});

describe('scenario specifics', () => {
  it('is deterministic for a seed and start, and honours pinned ids', () => {
    const a = buildScenario('incomingAnswered', { seed: 5, start: 1_700_000_000 });
    const b = buildScenario('incomingAnswered', { seed: 5, start: 1_700_000_000 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(expectedOutcome('incomingAnswered', { seed: 5, start: 1_700_000_000 })).toEqual(a.outcome);
    const pinned = buildScenario('incomingAnswered', { entryId: 'E1', callIds: ['C1', 'C2'], start: 1_700_000_000 });
    expect(pinned.entryId).toBe('E1');
    expect([...new Set(pinned.filter((e) => e.path === 'events/call').map((e) => e.payload.call_id))]).toEqual(['C1', 'C2']);
  });

  it('matches §3.A step by step for the documented example', () => {
    const ev = buildScenario('incomingAnswered', { entryId: 'E1', callIds: ['C1', 'C2'], start: 1_700_000_000, ringSeconds: 6, talkSeconds: 78 });
    expect(ev[0].payload).toEqual({
      entry_id: 'E1', call_id: 'C1', timestamp: 1700000000, seq: 1, call_state: 'Appeared', location: 'ivr',
      from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 },
    });
    expect(ev[2].payload).toEqual({
      entry_id: 'E1', call_id: 'C2', timestamp: 1700000006, seq: 1, call_state: 'Appeared', location: 'abonent',
      from: { number: '79161234567', taken_from_call_id: 'C1' },
      to: { extension: '101', number: 'sip:ivanov@vpbx400000001.mangosip.ru', line_number: '74951234567', acd_group: '22' },
      dct: { type: 0 },
    });
    expect(ev.find((e) => e.path === 'events/summary')!.payload).toEqual({
      entry_id: 'E1', call_direction: 1, from: { number: '79161234567' },
      to: { extension: '101', number: 'sip:ivanov@vpbx400000001.mangosip.ru' }, line_number: '74951234567',
      create_time: 1700000000, forward_time: 1700000006, talk_time: 1700000012, end_time: 1700000090, entry_result: 1, disconnect_reason: 1110,
    });
  });

  it('emits doc-style string numbers with typeVariant "strings"', () => {
    const ev = buildScenario('incomingAnswered', { typeVariant: 'strings', seed: 1 });
    const first = ev[0].payload as any;
    expect(first.seq).toBe('1');
    expect(typeof first.timestamp).toBe('string');
    const s = ev.find((e) => e.path === 'events/summary')!.payload as any;
    expect(s.call_direction).toBe('1');
    expect(s.disconnect_reason).toBe('1110');
  });

  it('click-to-call: result/callback plus command_id and callback_initiator on the API legs', () => {
    const ev = clickToCall({ commandId: 'crm-42', seed: 3 });
    expect(ev[0]).toEqual({ path: 'result/callback', payload: { command_id: 'crm-42', result: 1000 } });
    const legs = ev.filter((e) => e.path === 'events/call').map((e) => e.payload as any);
    expect(legs.every((l) => l.command_id === 'crm-42')).toBe(true);
    expect(legs[0]).toMatchObject({ callback_initiator: 'API', to: { extension: '101' }, from: { number: '79161234567' } });
    const l2 = legs.find((l) => l.from.extension === '101');
    expect(l2.from.taken_from_call_id).toBe(legs[0].call_id);
    expect(ev.outcome).toMatchObject({ direction: 'outgoing', status: 'answered', commandId: 'crm-42' });
  });

  it('missed variants carry 1110 / 1111 / 1164 and summary entry_result 0', () => {
    for (const reason of [1110, 1111, 1164]) {
      const ev = incomingMissed({ missReason: reason, seed: reason });
      const s = ev.find((e) => e.path === 'events/summary')!.payload as any;
      expect(s).toMatchObject({ entry_result: 0, talk_time: 0, forward_time: 0, disconnect_reason: reason });
      expect(ev.outcome).toMatchObject({ status: 'missed', talkSeconds: 0 });
      if (reason === 1164) expect(s.to).toEqual({ extension: '22' });
      else expect(s.to.extension).toBe('101');
    }
  });

  it('parallel ring: the losers end right after the winner connects', () => {
    const ev = incomingParallelRing({ extensions: ['101', '102', '103'], answerIndex: 2, seed: 9 });
    const legs = ev.filter((e) => e.path === 'events/call').map((e) => e.payload as any);
    const connectedAt = legs.findIndex((l) => l.call_state === 'Connected');
    expect(legs[connectedAt].to.extension).toBe('103');
    const losers = legs.filter((l) => l.call_state === 'Disconnected' && l.location === 'abonent' && l.to.extension !== '103');
    expect(losers.map((l) => l.to.extension).sort()).toEqual(['101', '102']);
    expect(losers.every((l) => l.timestamp === legs[connectedAt].timestamp)).toBe(true);
    expect(ev.outcome).toMatchObject({ answeredBy: '103', extensionsRung: ['101', '102', '103'] });
  });

  it('transfer: OnHold, new legs taken from the old one, was_transfered / was_transferred', () => {
    for (const spelling of ['was_transfered', 'was_transferred'] as const) {
      const ev = incomingTransferred({ transferSpelling: spelling, transferTo: '102', seed: 11 });
      const legs = ev.filter((e) => e.path === 'events/call').map((e) => e.payload as any);
      const held = legs.find((l) => l.call_state === 'OnHold');
      expect(held.to).toMatchObject({ extension: '101', hold_initiator: true });
      const gone = legs.find((l) => l.call_id === held.call_id && l.call_state === 'Disconnected');
      expect(gone.to[spelling]).toBe(true);
      const toB = legs.find((l) => l.to.extension === '102');
      expect(toB).toMatchObject({ transfer: 'blind', from: { taken_from_call_id: held.call_id } });
      expect(ev.outcome).toMatchObject({ answeredBy: '101', finalExtension: '102' });
    }
  });

  it('direct to extension has no IVR leg and no acd_group', () => {
    const ev = buildScenario('directToExtension', { extension: '104', seed: 2 });
    const legs = ev.filter((e) => e.path === 'events/call').map((e) => e.payload as any);
    expect(legs.every((l) => l.location === 'abonent' && l.to.acd_group === undefined)).toBe(true);
    expect(ev.outcome.answeredBy).toBe('104');
  });
});
