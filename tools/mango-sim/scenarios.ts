// Pure call-scenario generators: each returns the ordered webhooks Mango would send for one
// call (mango-api.md §3), plus the outcome a correct reducer must reach. Given a seed (or
// pinned ids) and a start time, the output is fully deterministic.
import { CallBuilder, type Direction, type Leg } from './call-builder';
import { createIdSource } from './ids';
import {
  DEFAULT_CALLER,
  DEFAULT_GROUP_EXTENSION,
  DEFAULT_LINE_NUMBER,
  DEFAULT_PRODUCT_ID,
  deviceOf,
  userIdOf,
} from './directory';
import { RESULT } from './codes';
import { applyTypeVariant } from './type-variant';
import type { CallRecord, Party, SimEvent, TransferSpelling, TypeVariant } from './types';

export type ScenarioKind =
  | 'incomingAnswered'
  | 'incomingMissed'
  | 'incomingParallelRing'
  | 'incomingTransferred'
  | 'outgoing'
  | 'clickToCall'
  | 'directToExtension';

export const SCENARIO_KINDS: readonly ScenarioKind[] = [
  'incomingAnswered',
  'incomingMissed',
  'incomingParallelRing',
  'incomingTransferred',
  'outgoing',
  'clickToCall',
  'directToExtension',
];

export interface ScenarioOptions {
  entryId?: string;
  /** Leg ids used in order of creation; generated ones follow when exhausted. */
  callIds?: string[];
  seed?: number;
  /** The external party: caller of incoming calls, callee of outgoing ones. */
  caller?: string;
  lineNumber?: string;
  /** Employee extension: who answers / who dials. */
  extension?: string;
  /** incomingParallelRing: every operator rung at once. */
  extensions?: string[];
  /** acd_group extension; null = no group on the employee legs. */
  group?: string | null;
  /** Unix seconds of the first event; defaults to now. */
  start?: number;
  ivrSeconds?: number;
  ringSeconds?: number;
  talkSeconds?: number;
  withRecording?: boolean;
  typeVariant?: TypeVariant;
  transferSpelling?: TransferSpelling;
  /** extension → device number shown in to.number (defaults from directory.ts). */
  devices?: Record<string, string>;
  hangupBy?: 'caller' | 'callee';
  productId?: number;
  recordAddedDelaySeconds?: number;
  /** Adds a location:"queue" leg between the IVR and the operators. */
  withQueue?: boolean;
  /** Missed calls: forward_time 0 as the doc text says, or the real forwarding moment. */
  missedForwardTime?: 'zero' | 'actual';

  /** outgoing, clickToCall, directToExtension: does the rung party answer. */
  answered?: boolean;
  /** incomingMissed variant (1110 caller gave up, 1111 ring timeout, 1164 no operator available);
   *  also the reason of unanswered outgoing/direct legs. */
  missReason?: number;
  /** incomingParallelRing: index in `extensions` of the operator who answers. */
  answerIndex?: number;
  /** incomingParallelRing: reason on the losing operators' legs ([UNCERTAIN] §3.A). */
  loserReason?: number;
  /** incomingTransferred. */
  transferTo?: string;
  transferMethod?: 'blind' | 'hold';
  transferAnswered?: boolean;
  consultSeconds?: number;
  talkAfterTransferSeconds?: number;
  /** clickToCall. */
  commandId?: string;
  employeeAnswers?: boolean;
}

export type CallDirectionName = 'incoming' | 'outgoing' | 'internal';
export type FinalStatus = 'answered' | 'missed' | 'unanswered';

export interface ExpectedOutcome {
  kind: ScenarioKind;
  entryId: string;
  direction: CallDirectionName;
  /** missed = incoming nobody answered; unanswered = outgoing the client did not pick up. */
  status: FinalStatus;
  /** Employee who took the call first (incoming) or whose call it was (outgoing, answered). */
  answeredBy?: string;
  /** Employee holding the call at the end (differs from answeredBy after a transfer). */
  finalExtension?: string;
  /** end_time - talk_time of the summary; 0 when nobody talked. */
  talkSeconds: number;
  externalNumber: string;
  lineNumber: string;
  extensionsRung: string[];
  recordingIds: string[];
  disconnectReason: number;
  commandId?: string;
}

/** Ordered events with the scenario's intent attached (a plain array otherwise). */
export type ScenarioEvents = SimEvent[] & {
  kind: ScenarioKind;
  entryId: string;
  outcome: ExpectedOutcome;
  /** The row stats/result would list for this call. */
  record: CallRecord;
};

interface Ctx {
  o: ScenarioOptions;
  b: CallBuilder;
  caller: string;
  line: string;
  ext: string;
  group?: string;
  product: number;
  dev: (ext: string) => string;
  hangupReason: number;
}

function makeCtx(o: ScenarioOptions, direction: Direction): Ctx {
  const ids = createIdSource({ seed: o.seed, callIds: o.callIds, entryId: o.entryId, productId: o.productId });
  const line = o.lineNumber ?? DEFAULT_LINE_NUMBER;
  const b = new CallBuilder({
    entryId: ids.entry(),
    ids,
    start: o.start ?? Math.floor(Date.now() / 1000),
    direction,
    lineNumber: line,
    transferSpelling: o.transferSpelling,
    productId: o.productId,
  });
  return {
    o,
    b,
    caller: o.caller ?? DEFAULT_CALLER,
    line,
    ext: o.extension ?? '101',
    group: o.group === null ? undefined : (o.group ?? DEFAULT_GROUP_EXTENSION),
    product: o.productId ?? DEFAULT_PRODUCT_ID,
    dev: (ext) => o.devices?.[ext] ?? deviceOf(ext),
    hangupReason: o.hangupBy === 'callee' ? RESULT.calleeHangup : RESULT.callerHangup,
  };
}

/** Employee side of an incoming leg. */
function employeeParty(c: Ctx, ext: string, withGroup = true): Party {
  return {
    extension: ext,
    number: c.dev(ext),
    line_number: c.line,
    ...(withGroup && c.group !== undefined ? { acd_group: c.group } : {}),
  };
}

/** IVR leg (and optional queue leg) up to the moment the IVR forwards the call. */
function ivrThenForward(c: Ctx): Leg {
  const { b } = c;
  const ivr = b.appear({ location: 'ivr', from: { number: c.caller }, to: { number: c.line, line_number: c.line } });
  b.advance(c.o.ivrSeconds ?? 6);
  b.markForward();
  b.disconnect(ivr, RESULT.normalEnd); // DOC110 p.49 uses 1100 for the IVR hand-off.
  if (!c.o.withQueue) return ivr;
  const queue = b.appear({
    location: 'queue',
    from: { number: c.caller, taken_from_call_id: ivr.callId },
    to: { number: c.line, line_number: c.line, ...(c.group !== undefined ? { acd_group: c.group } : {}) },
  });
  b.advance(3);
  b.disconnect(queue, RESULT.normalEnd);
  return queue;
}

function maybeRecord(c: Ctx, leg: Leg, ext: string): string | undefined {
  return c.o.withRecording ? c.b.startRecording(leg, ext) : undefined;
}

/** A leg to the client: answered (record, talk, hang up) or not; returns the talk seconds. */
function endOutwardLeg(c: Ctx, leg: Leg, answered: boolean, defaultTalk: number): number {
  if (!answered) {
    c.b.disconnect(leg, c.o.missReason ?? RESULT.noAnswer);
    return 0;
  }
  c.b.connect(leg);
  maybeRecord(c, leg, c.ext);
  const talk = c.o.talkSeconds ?? defaultTalk;
  c.b.advance(talk);
  c.b.disconnect(leg, c.hangupReason);
  return talk;
}

/** Recording lands in the cloud a little after the call (events/record/added, §2.6). */
function recordAddedAfter(c: Ctx, ext: string): void {
  const ids = c.b.recordingIds();
  if (ids.length === 0) return;
  c.b.advance(c.o.recordAddedDelaySeconds ?? 10);
  for (const id of ids) c.b.recordAdded(id, userIdOf(ext), c.product);
}

function finish(
  kind: ScenarioKind,
  c: Ctx,
  outcome: Omit<ExpectedOutcome, 'kind' | 'entryId' | 'lineNumber' | 'recordingIds' | 'disconnectReason'>,
): ScenarioEvents {
  const summary = c.b.summaryPayload ?? {};
  const full: ExpectedOutcome = {
    kind,
    entryId: c.b.entryId,
    lineNumber: c.line,
    recordingIds: c.b.recordingIds(),
    disconnectReason: Number(summary.disconnect_reason ?? c.b.lastReason),
    ...outcome,
  };
  const events = applyTypeVariant(c.b.events, c.o.typeVariant);
  return Object.assign(events, { kind, entryId: c.b.entryId, outcome: full, record: c.b.toCallRecord() });
}

// ---------------------------------------------------------------------------------------

/** §3.A: IVR → group rings one extension → answered → caller (or callee) hangs up. */
export function incomingAnswered(o: ScenarioOptions = {}): ScenarioEvents {
  const c = makeCtx(o, 1);
  const { b } = c;
  const prev = ivrThenForward(c);
  const leg = b.appear({
    location: 'abonent',
    from: { number: c.caller, taken_from_call_id: prev.callId },
    to: employeeParty(c, c.ext),
  });
  b.advance(o.ringSeconds ?? 6);
  b.connect(leg);
  maybeRecord(c, leg, c.ext);
  const talk = o.talkSeconds ?? 78;
  b.advance(talk);
  b.disconnect(leg, c.hangupReason);
  b.summary({ from: { number: c.caller } });
  recordAddedAfter(c, c.ext);
  return finish('incomingAnswered', c, {
    direction: 'incoming',
    status: 'answered',
    answeredBy: c.ext,
    finalExtension: c.ext,
    talkSeconds: talk,
    externalNumber: c.caller,
    extensionsRung: [c.ext],
  });
}

/** §3.B: nobody answers. missReason 1110 (caller gives up), 1111 (ring timeout), 1164 (no operator). */
export function incomingMissed(o: ScenarioOptions = {}): ScenarioEvents {
  const c = makeCtx(o, 1);
  const { b } = c;
  const reason = o.missReason ?? RESULT.callerHangup;
  const forwardTime = (o.missedForwardTime ?? 'zero') === 'zero' ? 0 : undefined;
  if (reason === RESULT.allOperatorsUnavailable) {
    // Every operator busy/offline: no employee leg ever rings; the IVR leg ends the call.
    const ivr = b.appear({ location: 'ivr', from: { number: c.caller }, to: { number: c.line, line_number: c.line } });
    b.advance(o.ivrSeconds ?? 6);
    b.markForward();
    b.advance(o.ringSeconds ?? 2);
    b.disconnect(ivr, reason);
    b.summary({
      from: { number: c.caller },
      to: c.group !== undefined ? { extension: c.group } : {},
      forwardTime,
    });
    return finish('incomingMissed', c, {
      direction: 'incoming',
      status: 'missed',
      talkSeconds: 0,
      externalNumber: c.caller,
      extensionsRung: [],
    });
  }
  const prev = ivrThenForward(c);
  const leg = b.appear({
    location: 'abonent',
    from: { number: c.caller, taken_from_call_id: prev.callId },
    to: employeeParty(c, c.ext),
  });
  b.advance(o.ringSeconds ?? 20);
  b.disconnect(leg, reason);
  b.summary({ from: { number: c.caller }, forwardTime });
  return finish('incomingMissed', c, {
    direction: 'incoming',
    status: 'missed',
    talkSeconds: 0,
    externalNumber: c.caller,
    extensionsRung: [c.ext],
  });
}

/** The group rings several operators at once; one answers, the others' legs end. */
export function incomingParallelRing(o: ScenarioOptions = {}): ScenarioEvents {
  const c = makeCtx(o, 1);
  const { b } = c;
  const exts = o.extensions ?? ['101', '102', '103'];
  const winnerIndex = Math.min(Math.max(o.answerIndex ?? 1, 0), exts.length - 1);
  const prev = ivrThenForward(c);
  const legs = exts.map((ext) =>
    b.appear({
      location: 'abonent',
      from: { number: c.caller, taken_from_call_id: prev.callId },
      to: employeeParty(c, ext),
    }),
  );
  b.advance(o.ringSeconds ?? 6);
  const winner = legs[winnerIndex];
  const winnerExt = exts[winnerIndex];
  b.connect(winner);
  legs.forEach((leg, i) => {
    if (i !== winnerIndex) b.disconnect(leg, o.loserReason ?? RESULT.interceptedByOther);
  });
  maybeRecord(c, winner, winnerExt);
  const talk = o.talkSeconds ?? 64;
  b.advance(talk);
  b.disconnect(winner, c.hangupReason);
  b.summary({ from: { number: c.caller } });
  recordAddedAfter(c, winnerExt);
  return finish('incomingParallelRing', c, {
    direction: 'incoming',
    status: 'answered',
    answeredBy: winnerExt,
    finalExtension: winnerExt,
    talkSeconds: talk,
    externalNumber: c.caller,
    extensionsRung: [...exts],
  });
}

/**
 * Answered by A, then transferred to B. blind: A drops at once, B rings (if B does not answer,
 * Mango calls A back: transfer "return_blind"). hold (consultative): the client is OnHold while
 * A talks to B, and A hanging up joins the client to B.
 */
export function incomingTransferred(o: ScenarioOptions = {}): ScenarioEvents {
  const c = makeCtx(o, 1);
  const { b } = c;
  const a = c.ext;
  const bExt = o.transferTo ?? '102';
  const method = o.transferMethod ?? 'blind';
  const transferAnswered = o.transferAnswered ?? true;
  const ring = o.ringSeconds ?? 6;
  const talkBefore = o.talkSeconds ?? 30;
  const talkAfter = o.talkAfterTransferSeconds ?? 45;
  const consult = o.consultSeconds ?? 10;

  const prev = ivrThenForward(c);
  const legA = b.appear({
    location: 'abonent',
    from: { number: c.caller, taken_from_call_id: prev.callId },
    to: employeeParty(c, a),
  });
  b.advance(ring);
  b.connect(legA);
  maybeRecord(c, legA, a);
  b.advance(talkBefore);
  b.hold(legA, 'to');

  let finalExt = bExt;
  let talk = talkBefore;
  const rung = [a, bExt];
  if (method === 'blind') {
    const legB = b.appear({
      location: 'abonent',
      from: { number: c.caller, taken_from_call_id: legA.callId },
      to: employeeParty(c, bExt, false),
      transfer: 'blind',
    });
    b.continueRecording(legA, legB);
    b.disconnect(legA, RESULT.newOperatorAssigned, { transferred: 'to' });
    b.advance(ring);
    talk += ring;
    if (transferAnswered) {
      b.connect(legB);
      b.advance(talkAfter);
      b.disconnect(legB, c.hangupReason);
    } else {
      b.disconnect(legB, RESULT.noAnswer);
      const back = b.appear({
        location: 'abonent',
        from: { number: c.caller, taken_from_call_id: legB.callId },
        to: employeeParty(c, a, false),
        transfer: 'return_blind',
      });
      b.connect(back);
      b.advance(talkAfter);
      b.disconnect(back, c.hangupReason);
      finalExt = a;
    }
    talk += talkAfter;
  } else {
    const consultLeg = b.appear({
      location: 'abonent',
      from: { extension: a, number: c.dev(a) },
      to: { extension: bExt, number: c.dev(bExt) },
      transfer: 'consultative',
    });
    b.advance(ring);
    talk += ring;
    if (transferAnswered) {
      b.connect(consultLeg, { talk: false });
      b.advance(consult);
      talk += consult;
      // A hangs up: Mango joins the held client to B in a new leg.
      b.disconnect(consultLeg, RESULT.newOperatorAssigned, { transferred: 'from' });
      const legB = b.appear({
        location: 'abonent',
        from: { number: c.caller, taken_from_call_id: legA.callId },
        to: employeeParty(c, bExt, false),
        transfer: 'consultative',
      });
      b.continueRecording(legA, legB);
      b.disconnect(legA, RESULT.newOperatorAssigned, { transferred: 'to' });
      b.connect(legB);
      b.advance(talkAfter);
      b.disconnect(legB, c.hangupReason);
    } else {
      // B never answers: A takes the client back from hold.
      b.disconnect(consultLeg, RESULT.noAnswer);
      b.connect(legA);
      b.advance(talkAfter);
      b.disconnect(legA, c.hangupReason);
      finalExt = a;
    }
    talk += talkAfter;
  }
  b.summary({ from: { number: c.caller } });
  recordAddedAfter(c, a);
  return finish('incomingTransferred', c, {
    direction: 'incoming',
    status: 'answered',
    answeredBy: a,
    finalExtension: finalExt,
    talkSeconds: talk,
    externalNumber: c.caller,
    extensionsRung: rung,
  });
}

/** An employee dials an external number from their phone. */
export function outgoing(o: ScenarioOptions = {}): ScenarioEvents {
  const c = makeCtx(o, 2);
  const { b } = c;
  const employee: Party = { extension: c.ext, number: c.dev(c.ext) };
  const leg = b.appear({ location: 'abonent', from: employee, to: { number: c.caller, line_number: c.line } });
  b.advance(o.ringSeconds ?? 8);
  const answered = o.answered ?? true;
  const talk = endOutwardLeg(c, leg, answered, 95);
  b.summary({ from: employee, to: { number: c.caller } });
  recordAddedAfter(c, c.ext);
  return finish('outgoing', c, {
    direction: 'outgoing',
    status: answered ? 'answered' : 'unanswered',
    ...(answered ? { answeredBy: c.ext, finalExtension: c.ext } : {}),
    talkSeconds: talk,
    externalNumber: c.caller,
    extensionsRung: [c.ext],
  });
}

/** §3.C: commands/callback — the employee's phone rings first, then the client's. */
export function clickToCall(o: ScenarioOptions = {}): ScenarioEvents {
  const c = makeCtx(o, 2);
  const { b } = c;
  const commandId = o.commandId ?? `crm-${b.entryId.slice(0, 8)}`;
  const employee: Party = { extension: c.ext, number: c.dev(c.ext) };
  b.commandResult('callback', commandId, RESULT.ok);
  const l1 = b.appear({
    location: 'abonent',
    from: { number: c.caller },
    to: { extension: c.ext, number: c.dev(c.ext) },
    commandId,
    callbackInitiator: 'API',
  });
  b.advance(3);
  const employeeAnswers = o.employeeAnswers ?? true;
  const answered = employeeAnswers && (o.answered ?? true);
  let talk = 0;
  if (!employeeAnswers) {
    b.disconnect(l1, RESULT.noAnswer);
  } else {
    b.connect(l1, { talk: false });
    b.advance(1);
    // The employee leg is replaced by the bridged leg (DOC110 uses 1000 here).
    b.disconnect(l1, RESULT.ok);
    const l2 = b.appear({
      location: 'abonent',
      from: { ...employee, taken_from_call_id: l1.callId },
      to: { number: c.caller },
      commandId,
    });
    b.advance(o.ringSeconds ?? 6);
    talk = endOutwardLeg(c, l2, answered, 60);
  }
  b.summary({ from: employee, to: { number: c.caller } });
  recordAddedAfter(c, c.ext);
  return finish('clickToCall', c, {
    direction: 'outgoing',
    status: answered ? 'answered' : 'unanswered',
    ...(answered ? { answeredBy: c.ext, finalExtension: c.ext } : {}),
    talkSeconds: talk,
    externalNumber: c.caller,
    extensionsRung: [c.ext],
    commandId,
  });
}

/** A call straight to an employee's extension/DID: no IVR, no acd_group. */
export function directToExtension(o: ScenarioOptions = {}): ScenarioEvents {
  const c = makeCtx(o, 1);
  const { b } = c;
  b.markForward();
  const leg = b.appear({ location: 'abonent', from: { number: c.caller }, to: employeeParty(c, c.ext, false) });
  const answered = o.answered ?? true;
  let talk = 0;
  if (answered) {
    b.advance(o.ringSeconds ?? 5);
    b.connect(leg);
    maybeRecord(c, leg, c.ext);
    talk = o.talkSeconds ?? 50;
    b.advance(talk);
    b.disconnect(leg, c.hangupReason);
    b.summary({ from: { number: c.caller } });
  } else {
    b.advance(o.ringSeconds ?? 20);
    b.disconnect(leg, o.missReason ?? RESULT.callerHangup);
    const zero = (o.missedForwardTime ?? 'zero') === 'zero';
    b.summary({ from: { number: c.caller }, ...(zero ? { forwardTime: 0 } : {}) });
  }
  recordAddedAfter(c, c.ext);
  return finish('directToExtension', c, {
    direction: 'incoming',
    status: answered ? 'answered' : 'missed',
    ...(answered ? { answeredBy: c.ext, finalExtension: c.ext } : {}),
    talkSeconds: talk,
    externalNumber: c.caller,
    extensionsRung: [c.ext],
  });
}

export const SCENARIOS: Record<ScenarioKind, (o?: ScenarioOptions) => ScenarioEvents> = {
  incomingAnswered,
  incomingMissed,
  incomingParallelRing,
  incomingTransferred,
  outgoing,
  clickToCall,
  directToExtension,
};

export function buildScenario(kind: ScenarioKind, o: ScenarioOptions = {}): ScenarioEvents {
  return SCENARIOS[kind](o);
}

/**
 * What a correct reducer must conclude for this scenario. Deterministic when the options pin
 * the ids (entryId/callIds or seed) and the start time; otherwise read `events.outcome`.
 */
export function expectedOutcome(kind: ScenarioKind, o: ScenarioOptions = {}): ExpectedOutcome {
  return buildScenario(kind, o).outcome;
}
