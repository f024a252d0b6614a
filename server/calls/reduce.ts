/**
 * Pure reduction of every stored event of one call (one Mango entry_id) into its record.
 * The record is recomputed from the whole set each time, so duplicates and any arrival order
 * give the same result (mango-api.md §2.1: deliveries are parallel and unordered).
 */
import { normalizePhone, isExternalNumber } from '../../src-shared/phone';
import type { CallDirection, CallStatus } from '../../src-shared/wire';
import {
  parseCallEvent,
  parseRecordAdded,
  parseRecording,
  parseSummary,
  SimpleEventSchema,
  type CallEvent,
  type Summary,
} from '../mango/events';

export interface StoredEvent {
  id: number;
  kind: string;
  payload: unknown;
}

/** A row of Mango's statistics CSV (reconciliation), already parsed. */
export interface StatsRow {
  entry_id: string;
  start: number;
  finish: number;
  answer: number;
  from_extension: string;
  from_number: string;
  to_extension: string;
  to_number: string;
  disconnect_reason: number | null;
  line_number: string;
  records: string[];
}

export interface ReducedCall {
  entryId: string;
  direction: CallDirection;
  status: CallStatus;
  phase: 'ivr' | 'ringing' | 'talking' | 'ended';
  fromNumber: string | null;
  fromExtension: string | null;
  toNumber: string | null;
  toExtension: string | null;
  lineNumber: string | null;
  clientNumber: string | null;
  /** The employee extension the call belongs to: who answered, else who dialed out, else who missed it. */
  employeeExtension: string | null;
  answeredExtension: string | null;
  /** Employee extensions on a live leg right now (talking or holding), e.g. the transfer target after a transfer. */
  connectedExtensions?: string[];
  /** Extensions ringing right now, and whether each rings as part of a group (acd) call. */
  ringing: { extension: string; group: boolean }[];
  /** True while the call waits in the IVR or a queue (no employee assigned yet). */
  inQueue: boolean;
  /** Current IVR/queue leg ids (what `commands/route` targets). */
  queueCallIds: string[];
  participants: string[];
  groupCall: boolean;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  talkSeconds: number;
  waitSeconds: number;
  disconnectReason: number | null;
  recordings: { id: string; state: 'started' | 'completed' | 'available' | 'failed' }[];
  reconciled: boolean;
}

interface Leg {
  callId: string;
  last: CallEvent;
  firstTs: number;
  connectedTs: number | null;
  endedTs: number | null;
  firstSeq: CallEvent;
  everConnected: boolean;
  acd: boolean;
  disconnectReason: number | null;
}

const byNumber = (a: number, b: number) => a - b;

export function reduceCall(entryId: string, events: StoredEvent[]): ReducedCall | null {
  const legs = new Map<string, Leg>();
  let summary: Summary | null = null;
  let stats: StatsRow | null = null;
  let finalizedAt: number | null = null;
  const simple: ReturnType<typeof SimpleEventSchema.parse>[] = [];
  const recs = new Map<string, { state: 'started' | 'completed' | 'available' | 'failed'; rank: number }>();
  const setRec = (id: string, state: 'started' | 'completed' | 'available' | 'failed', rank: number) => {
    const cur = recs.get(id);
    if (!cur || cur.rank < rank) recs.set(id, { state, rank });
  };

  // Deterministic order regardless of arrival: by the event's own ordering fields, then id.
  for (const ev of [...events].sort((a, b) => a.id - b.id)) {
    switch (ev.kind) {
      case 'events/call': {
        const e = parseCallEvent(ev.payload);
        const leg = legs.get(e.call_id);
        const connectedTs = e.call_state === 'Connected' ? e.timestamp : null;
        const endedTs = e.call_state === 'Disconnected' ? e.timestamp : null;
        if (!leg) {
          legs.set(e.call_id, {
            callId: e.call_id,
            last: e,
            firstSeq: e,
            firstTs: e.timestamp,
            connectedTs,
            endedTs,
            everConnected: e.call_state === 'Connected',
            acd: !!e.to.acdGroup,
            disconnectReason: e.disconnect_reason ?? null,
          });
        } else {
          if (e.seq > leg.last.seq || (e.seq === leg.last.seq && rankState(e.call_state) > rankState(leg.last.call_state))) leg.last = e;
          if (e.seq < leg.firstSeq.seq) leg.firstSeq = e;
          leg.firstTs = Math.min(leg.firstTs, e.timestamp);
          if (connectedTs != null) leg.connectedTs = leg.connectedTs == null ? connectedTs : Math.min(leg.connectedTs, connectedTs);
          if (endedTs != null) leg.endedTs = leg.endedTs == null ? endedTs : Math.max(leg.endedTs, endedTs);
          leg.everConnected ||= e.call_state === 'Connected';
          leg.acd ||= !!e.to.acdGroup;
          if (e.disconnect_reason != null) leg.disconnectReason = e.disconnect_reason;
        }
        break;
      }
      case 'events/summary':
        summary = parseSummary(ev.payload);
        break;
      case 'events/recording': {
        const r = parseRecording(ev.payload);
        if (r.recording_state === 'Completed') {
          const ok = r.completion_code == null || r.completion_code === 1000;
          setRec(r.recording_id, ok ? 'completed' : 'failed', ok ? 2 : 3);
        } else setRec(r.recording_id, 'started', 1);
        break;
      }
      case 'events/record/added':
        setRec(parseRecordAdded(ev.payload).recording_id, 'available', 4);
        break;
      case 'simple':
        simple.push(SimpleEventSchema.parse(ev.payload));
        break;
      case 'stats/row':
        stats = ev.payload as StatsRow;
        for (const id of stats.records) setRec(id, 'available', 4);
        break;
      case 'internal/finalize':
        finalizedAt = Number((ev.payload as { at: number }).at);
        break;
    }
  }

  if (simple.length) return reduceSimple(entryId, simple);
  if (legs.size === 0 && !summary && !stats) return null;

  const legList = [...legs.values()].sort((a, b) => a.firstTs - b.firstTs || byNumber(a.firstSeq.seq, b.firstSeq.seq) || (a.callId < b.callId ? -1 : 1));
  const first = legList[0] ?? null;
  const isQueueLoc = (l: string) => l === 'ivr' || l === 'queue' || l.startsWith('ivr.');
  const isExt = (p: { extension: string | null }) => !!p.extension;

  // Direction: summary is authoritative; otherwise infer (mango-api.md §8.7).
  let direction: CallDirection;
  if (summary) direction = summary.call_direction === 2 ? 'out' : summary.call_direction === 0 ? 'internal' : 'in';
  else if (legList.some((l) => isQueueLoc(l.firstSeq.location))) direction = 'in';
  else if (first) {
    const f = first.firstSeq;
    const apiCallback = !!(f.command_id || f.callback_initiator);
    if (apiCallback) direction = 'out';
    else if (isExt(f.from) && isExt(f.to)) direction = 'internal';
    else if (isExt(f.from)) direction = 'out';
    else direction = 'in';
  } else if (stats) direction = stats.from_extension && !stats.to_extension ? 'out' : stats.from_extension && stats.to_extension ? 'internal' : 'in';
  else direction = 'in';

  // Employee-side legs (location abonent, to an extension) vs legs to the outside world.
  const employeeLegs = legList.filter((l) => !isQueueLoc(l.firstSeq.location) && l.firstSeq.to.extension);
  const externalLegs = legList.filter((l) => !isQueueLoc(l.firstSeq.location) && !l.firstSeq.to.extension);

  // Who answered and when.
  let answeredLeg: Leg | null = null;
  if (direction === 'out') {
    answeredLeg = externalLegs.filter((l) => l.everConnected).sort((a, b) => (a.connectedTs ?? 0) - (b.connectedTs ?? 0))[0] ?? null;
  } else {
    answeredLeg = employeeLegs.filter((l) => l.everConnected).sort((a, b) => (a.connectedTs ?? 0) - (b.connectedTs ?? 0))[0] ?? null;
  }
  let answeredAt = answeredLeg?.connectedTs ?? null;
  if (summary && summary.talk_time && summary.talk_time > 0) answeredAt = summary.talk_time;
  if (!summary && !legs.size && stats && stats.answer > 0) answeredAt = stats.answer;

  const fromExtension = first?.firstSeq.from.extension ?? summary?.from.extension ?? (stats?.from_extension || null);
  let employeeExtension: string | null;
  let answeredExtension: string | null = null;
  if (direction === 'out' || direction === 'internal') {
    // The initiator; for click-to-call the first leg rings the employee (from=target, to=employee).
    const f = first?.firstSeq;
    employeeExtension = f && (f.command_id || f.callback_initiator) && !f.from.extension ? f.to.extension : fromExtension;
    if (answeredAt != null) answeredExtension = employeeExtension;
  } else {
    answeredExtension = answeredLeg?.firstSeq.to.extension ?? (summary && answeredAt != null ? summary.to.extension : null) ?? (stats && stats.answer > 0 ? stats.to_extension || null : null);
    const firstRung = employeeLegs[0]?.firstSeq.to.extension ?? summary?.to.extension ?? (stats?.to_extension || null);
    employeeExtension = answeredExtension ?? firstRung ?? null;
  }

  // External party and numbers.
  const firstFrom = first?.firstSeq.from ?? summary?.from;
  const firstTo = first?.firstSeq.to ?? summary?.to;
  const fromNumber = firstFrom?.number ?? (stats?.from_number || null);
  let toNumber = firstTo?.number ?? (stats?.to_number || null);
  const lineNumber = first?.firstSeq.to.lineNumber ?? summary?.line_number ?? (stats?.line_number || null);
  let clientNumber: string | null = null;
  if (direction === 'in') clientNumber = normalizePhone(fromNumber);
  else if (direction === 'out') {
    const ext = externalLegs[0]?.firstSeq.to.number ?? (first && (first.firstSeq.command_id || first.firstSeq.callback_initiator) ? first.firstSeq.from.number : null) ?? summary?.to.number ?? toNumber;
    clientNumber = normalizePhone(ext);
    toNumber = ext ?? toNumber;
  }
  if (clientNumber && !isExternalNumber(clientNumber)) clientNumber = direction === 'internal' ? null : clientNumber;

  // Times.
  const allTs = legList.flatMap((l) => [l.firstTs]);
  const startedAt = summary?.create_time ?? (allTs.length ? Math.min(...allTs) : stats?.start ?? 0);
  const allEnded = legList.length > 0 && legList.every((l) => l.last.call_state === 'Disconnected');
  const lastEnd = legList.reduce((m, l) => Math.max(m, l.endedTs ?? 0), 0) || null;
  const ended = !!summary || !!finalizedAt || (!!stats && legList.length === 0);
  const endedAt = summary?.end_time ?? (finalizedAt != null ? lastEnd ?? finalizedAt : null) ?? (stats && !legList.length ? stats.finish : null);

  // Status.
  let status: CallStatus = 'active';
  if (ended) {
    const talked = summary ? (summary.talk_time ?? 0) > 0 && (summary.entry_result ?? 1) !== 0 : answeredAt != null;
    const answered = talked || (answeredAt != null && !summary);
    if (direction === 'in') status = answered ? 'answered' : 'missed';
    else status = answered ? 'answered' : 'unanswered';
    if (!answered) answeredExtension = null;
  }
  if (status !== 'answered' && ended) answeredAt = null;

  // Ringing now, queue state, phase.
  const ringing = ended
    ? []
    : legList
        .filter((l) => l.last.call_state === 'Appeared' && l.firstSeq.to.extension && !isQueueLoc(l.firstSeq.location))
        .filter(() => direction !== 'out')
        .map((l) => ({ extension: l.firstSeq.to.extension as string, group: l.acd }));
  const liveQueueLegs = ended ? [] : legList.filter((l) => isQueueLoc(l.last.location) && l.last.call_state !== 'Disconnected');
  const connectedExtensions = ended
    ? []
    : [...new Set(legList
        .filter((l) => (l.last.call_state === 'Connected' || l.last.call_state === 'OnHold') && l.firstSeq.to.extension && !isQueueLoc(l.firstSeq.location))
        .map((l) => l.firstSeq.to.extension as string))].sort();
  const talking = !ended && legList.some((l) => l.last.call_state === 'Connected' || l.last.call_state === 'OnHold');
  // An outgoing call never waits in the voice menu: until answered it is being dialled (it rings
  // the other side, no employee's popup: `ringing` stays empty).
  const phase: ReducedCall['phase'] = ended || allEnded ? 'ended' : talking ? 'talking' : ringing.length || direction === 'out' ? 'ringing' : 'ivr';

  const endForTalk = endedAt ?? lastEnd;
  let talkSeconds = 0;
  if (summary && summary.talk_time && summary.talk_time > 0) talkSeconds = Math.max(0, summary.end_time - summary.talk_time);
  else if (answeredAt != null && endForTalk != null) talkSeconds = Math.max(0, endForTalk - answeredAt);
  const waitSeconds = Math.max(0, (answeredAt ?? endedAt ?? startedAt) - startedAt);

  const participants = [...new Set([fromExtension, ...legList.map((l) => l.firstSeq.to.extension), ...legList.map((l) => l.firstSeq.from.extension), summary?.to.extension, stats?.to_extension || null].filter((x): x is string => !!x))].sort();

  const lastLegReason = [...legList].sort((a, b) => (a.endedTs ?? 0) - (b.endedTs ?? 0)).at(-1)?.disconnectReason ?? null;

  return {
    entryId,
    direction,
    status,
    phase,
    fromNumber,
    fromExtension,
    toNumber,
    toExtension: firstTo?.extension ?? (stats?.to_extension || null),
    lineNumber,
    clientNumber,
    employeeExtension,
    answeredExtension: status === 'answered' || !ended ? answeredExtension : null,
    connectedExtensions,
    ringing,
    inQueue: liveQueueLegs.length > 0,
    queueCallIds: liveQueueLegs.map((l) => l.callId),
    participants,
    groupCall: legList.some((l) => l.acd || isQueueLoc(l.firstSeq.location)),
    startedAt,
    answeredAt,
    endedAt: ended ? endedAt : null,
    talkSeconds,
    waitSeconds,
    disconnectReason: summary?.disconnect_reason ?? (ended ? lastLegReason ?? stats?.disconnect_reason ?? null : null),
    recordings: [...recs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([id, r]) => ({ id, state: r.state })),
    reconciled: legList.length === 0 && !summary && !!stats,
  };
}

function rankState(s: CallEvent['call_state']): number {
  return s === 'Appeared' ? 0 : s === 'Connected' ? 1 : s === 'OnHold' ? 2 : 3;
}

/** The guide's simplified events: incoming → answered → ended. */
function reduceSimple(entryId: string, evs: ReturnType<typeof SimpleEventSchema.parse>[]): ReducedCall {
  const get = (name: string) => evs.find((e) => e.event === name);
  const inc = get('call.incoming') ?? evs[0];
  const ans = get('call.answered');
  const end = get('call.ended');
  const any = (f: (e: (typeof evs)[number]) => string | null | undefined) => evs.map(f).find((x) => !!x) ?? null;
  const out = evs.some((e) => e.direction === 'out' || e.direction === 'outgoing');
  const direction: CallDirection = out ? 'out' : 'in';
  const fromNumber = any((e) => e.from?.number);
  const toNumber = any((e) => e.to?.number);
  const toExtension = any((e) => e.to?.extension);
  const fromExtension = any((e) => e.from?.extension);
  const ts = (e: typeof inc | undefined) => (e?.timestamp != null ? e.timestamp : null);
  const startedAt = ts(inc) ?? ts(ans) ?? ts(end) ?? 0;
  const answeredAt = ans ? ts(ans) ?? startedAt : null;
  const endedAt = end ? ts(end) ?? (answeredAt ?? startedAt) + (end.duration ?? 0) : null;
  const ended = !!end;
  const status: CallStatus = !ended ? 'active' : answeredAt != null || (end?.duration ?? 0) > 0 ? 'answered' : out ? 'unanswered' : 'missed';
  const ext = out ? fromExtension : toExtension;
  return {
    entryId,
    direction,
    status,
    phase: ended ? 'ended' : ans ? 'talking' : 'ringing',
    fromNumber,
    fromExtension,
    toNumber,
    toExtension,
    lineNumber: any((e) => e.to?.line_number),
    clientNumber: normalizePhone(out ? toNumber : fromNumber),
    employeeExtension: ext,
    answeredExtension: status === 'answered' || (!ended && ans) ? ext : null,
    connectedExtensions: !ended && ans && ext ? [ext] : [],
    ringing: !ended && !ans && ext && !out ? [{ extension: ext, group: false }] : [],
    inQueue: !ended && !ans && !ext && !out,
    queueCallIds: [],
    participants: [fromExtension, toExtension].filter((x): x is string => !!x),
    groupCall: !ext,
    startedAt,
    answeredAt: status === 'answered' || !ended ? answeredAt : null,
    endedAt,
    talkSeconds: end?.duration ?? (answeredAt != null && endedAt != null ? Math.max(0, endedAt - answeredAt) : 0),
    waitSeconds: Math.max(0, (answeredAt ?? endedAt ?? startedAt) - startedAt),
    disconnectReason: null,
    recordings: [],
    reconciled: false,
  };
}
