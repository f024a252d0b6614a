// Builds the webhook sequence of one call (one entry_id) step by step, keeping per-leg seq,
// timestamps and the bookkeeping events/summary needs. Used by the pure scenarios (on a
// virtual clock) and by the fake API's live calls (on the real clock).
import type { IdSource } from './ids';
import type {
  CallLocation,
  CallRecord,
  CallState,
  Party,
  SimEvent,
  TransferKind,
  TransferSpelling,
} from './types';

export type Direction = 0 | 1 | 2; // internal, incoming, outgoing (events/summary call_direction)

export interface Leg {
  callId: string;
  seq: number;
  state: CallState;
  location: CallLocation;
  from: Party;
  to: Party;
  commandId?: string;
  callbackInitiator?: string;
  transfer?: TransferKind;
  connectedAt?: number;
  ended: boolean;
  /** Active recording ids on this leg; completed automatically when the leg ends. */
  recordings: string[];
}

export interface AppearOptions {
  location: CallLocation;
  from: Party;
  to: Party;
  commandId?: string;
  callbackInitiator?: string;
  transfer?: TransferKind;
}

export interface SummaryOptions {
  from: Party;
  to?: Party;
  lineNumber?: string | null;
  disconnectReason?: number;
  entryResult?: 0 | 1;
  forwardTime?: number;
}

interface RecordingState {
  id: string;
  callId: string;
  extension: string;
  seq: number;
  commandId?: string;
  completed: boolean;
}

export interface CallBuilderOptions {
  entryId: string;
  ids: IdSource;
  start: number;
  direction: Direction;
  lineNumber?: string;
  transferSpelling?: TransferSpelling;
  productId?: number;
}

/** Only extension and number identify a party in events/summary. */
const summaryParty = (p: Party): Party => ({
  ...(p.extension !== undefined ? { extension: p.extension } : {}),
  ...(p.number !== undefined ? { number: p.number } : {}),
});

export class CallBuilder {
  readonly entryId: string;
  readonly direction: Direction;
  readonly lineNumber?: string;
  readonly createTime: number;
  readonly events: SimEvent[] = [];
  readonly legs = new Map<string, Leg>();
  /** Unix seconds used as the timestamp of the next event. */
  now: number;
  forwardTime = 0;
  talkTime = 0;
  endTime = 0;
  answeredTo?: Party;
  firstMissedTo?: Party;
  lastReason: number = 1100;
  lastLocation: CallLocation = 'ivr';
  summaryPayload?: Record<string, unknown>;

  private readonly ids: IdSource;
  private readonly spelling: TransferSpelling;
  private readonly recordings = new Map<string, RecordingState>();
  private drained = 0;

  constructor(opts: CallBuilderOptions) {
    this.entryId = opts.entryId;
    this.ids = opts.ids;
    this.direction = opts.direction;
    this.lineNumber = opts.lineNumber;
    this.createTime = opts.start;
    this.now = opts.start;
    this.spelling = opts.transferSpelling ?? 'was_transfered';
    // Outgoing and internal calls have forward_time == create_time (mango-api.md §2.4).
    if (opts.direction !== 1) this.forwardTime = opts.start;
  }

  advance(seconds: number): this {
    this.now += Math.max(0, Math.round(seconds));
    return this;
  }

  /** Moves the clock forward to at least `t` (live calls follow the wall clock). */
  catchUp(t: number): this {
    if (t > this.now) this.now = t;
    return this;
  }

  /** Marks the moment the IVR started forwarding (incoming calls). */
  markForward(): this {
    if (this.forwardTime === 0) this.forwardTime = this.now;
    return this;
  }

  appear(opts: AppearOptions): Leg {
    const leg: Leg = {
      callId: this.ids.call(),
      seq: 0,
      state: 'Appeared',
      location: opts.location,
      from: { ...opts.from },
      to: { ...opts.to },
      commandId: opts.commandId,
      callbackInitiator: opts.callbackInitiator,
      transfer: opts.transfer,
      ended: false,
      recordings: [],
    };
    this.legs.set(leg.callId, leg);
    this.pushLeg(leg);
    return leg;
  }

  /** talk=false for legs that are not the conversation itself (callback's employee leg). */
  connect(leg: Leg, opts: { talk?: boolean } = {}): this {
    leg.state = 'Connected';
    leg.connectedAt = this.now;
    if (opts.talk ?? true) {
      if (this.talkTime === 0) this.talkTime = this.now;
      this.answeredTo = summaryParty(leg.to);
    }
    this.pushLeg(leg);
    return this;
  }

  hold(leg: Leg, initiator: 'from' | 'to'): this {
    leg.state = 'OnHold';
    this.pushLeg(leg, { [initiator]: { hold_initiator: true } });
    return this;
  }

  /** Emits Disconnected; `transferred` marks the side that handed the call over. */
  disconnect(leg: Leg, reason: number, opts: { transferred?: 'from' | 'to' } = {}): this {
    if (leg.ended) return this;
    leg.state = 'Disconnected';
    leg.ended = true;
    this.lastReason = reason;
    this.lastLocation = leg.location;
    if (leg.connectedAt === undefined && leg.location === 'abonent' && this.firstMissedTo === undefined) {
      this.firstMissedTo = summaryParty(leg.to);
    }
    const flags = opts.transferred ? { [opts.transferred]: { [this.spelling]: true } } : {};
    this.pushLeg(leg, flags, reason);
    for (const recId of leg.recordings) this.completeRecording(recId);
    leg.recordings = [];
    return this;
  }

  startRecording(leg: Leg, extension: string, opts: { commandId?: string } = {}): string {
    const rec: RecordingState = {
      id: this.ids.recording(),
      callId: leg.callId,
      extension,
      seq: 0,
      commandId: opts.commandId,
      completed: false,
    };
    this.recordings.set(rec.id, rec);
    leg.recordings.push(rec.id);
    this.pushRecording(rec, 'Started');
    return rec.id;
  }

  /** A transfer moves the recording to the new leg: recording_state "Continued" (§2.5). */
  continueRecording(fromLeg: Leg, toLeg: Leg): this {
    for (const recId of fromLeg.recordings) {
      const rec = this.recordings.get(recId);
      if (!rec || rec.completed) continue;
      rec.callId = toLeg.callId;
      toLeg.recordings.push(recId);
      this.pushRecording(rec, 'Continued');
    }
    fromLeg.recordings = [];
    return this;
  }

  isRecording(leg: Leg): boolean {
    return leg.recordings.length > 0;
  }

  completeRecording(recordingId: string, completionCode = 1000): this {
    const rec = this.recordings.get(recordingId);
    if (!rec || rec.completed) return this;
    rec.completed = true;
    this.pushRecording(rec, 'Completed', completionCode);
    return this;
  }

  recordingInfo(recordingId: string): { callId: string; extension: string } | undefined {
    const rec = this.recordings.get(recordingId);
    return rec && { callId: rec.callId, extension: rec.extension };
  }

  recordingIds(): string[] {
    return [...this.recordings.keys()];
  }

  recordAdded(recordingId: string, userId: number, productId: number): this {
    this.events.push({
      path: 'events/record/added',
      payload: { entry_id: this.entryId, product_id: productId, user_id: userId, timestamp: this.now, recording_id: recordingId },
    });
    return this;
  }

  commandResult(command: string, commandId: string, result: number): this {
    this.events.push({ path: `result/${command}`, payload: { command_id: commandId, result } });
    return this;
  }

  summary(opts: SummaryOptions): this {
    this.endTime = this.now;
    const answered = this.talkTime > 0;
    const to = opts.to ?? (answered ? this.answeredTo : this.firstMissedTo) ?? {};
    const line = opts.lineNumber === null ? undefined : (opts.lineNumber ?? this.lineNumber);
    const payload: Record<string, unknown> = {
      entry_id: this.entryId,
      call_direction: this.direction,
      from: summaryParty(opts.from),
      to: summaryParty(to),
      ...(line !== undefined && this.direction !== 0 ? { line_number: line } : {}),
      create_time: this.createTime,
      forward_time: opts.forwardTime ?? this.forwardTime,
      talk_time: this.talkTime,
      end_time: this.endTime,
      entry_result: opts.entryResult ?? (answered ? 1 : 0),
      disconnect_reason: opts.disconnectReason ?? this.lastReason,
    };
    this.summaryPayload = payload;
    this.events.push({ path: 'events/summary', payload });
    return this;
  }

  activeLegs(): Leg[] {
    return [...this.legs.values()].filter((l) => !l.ended);
  }

  /** Events added since the previous drain (live calls emit them incrementally). */
  drain(): SimEvent[] {
    const out = this.events.slice(this.drained);
    this.drained = this.events.length;
    return out;
  }

  /** The stats/result row for this call; only meaningful after summary(). */
  toCallRecord(): CallRecord {
    const s = this.summaryPayload ?? {};
    const from = (s.from ?? {}) as Party;
    const to = (s.to ?? {}) as Party;
    return {
      entry_id: this.entryId,
      records: this.recordingIds(),
      start: this.createTime,
      finish: this.endTime || this.now,
      answer: this.talkTime,
      from_extension: from.extension ?? '',
      from_number: from.number ?? '',
      to_extension: to.extension ?? '',
      to_number: to.number ?? '',
      disconnect_reason: this.lastReason,
      line_number: this.lineNumber ?? '',
      location: this.lastLocation,
      create: this.createTime,
    };
  }

  private pushLeg(leg: Leg, flags: { from?: object; to?: object } = {}, reason?: number): void {
    leg.seq += 1;
    const payload: Record<string, unknown> = {
      entry_id: this.entryId,
      call_id: leg.callId,
      timestamp: this.now,
      seq: leg.seq,
      call_state: leg.state,
      location: leg.location,
      from: { ...leg.from, ...flags.from },
      to: { ...leg.to, ...flags.to },
    };
    if (reason !== undefined) payload.disconnect_reason = reason;
    if (leg.transfer) payload.transfer = leg.transfer;
    if (leg.commandId) payload.command_id = leg.commandId;
    if (leg.callbackInitiator) payload.callback_initiator = leg.callbackInitiator;
    payload.dct = { type: 0 };
    this.events.push({ path: 'events/call', payload });
  }

  private pushRecording(rec: RecordingState, state: 'Started' | 'Continued' | 'Completed', completionCode?: number): void {
    rec.seq += 1;
    const payload: Record<string, unknown> = {
      recording_id: rec.id,
      recording_state: state,
      seq: rec.seq,
      entry_id: this.entryId,
      call_id: rec.callId,
      extension: rec.extension,
      timestamp: this.now,
    };
    if (rec.commandId) payload.command_id = rec.commandId;
    if (state === 'Completed') {
      payload.completion_code = completionCode ?? 1000;
      if (payload.completion_code === 1000) payload.recipient = 'Cloud';
    }
    this.events.push({ path: 'events/recording', payload });
  }
}
