// Calls the fake API drives in response to commands: each command validates against the
// live legs, then appends events (result/<cmd> + events/call …) through a CallBuilder on the
// real clock. A call whose last leg ends gets its summary and becomes a stats row.
import { CallBuilder, type Leg } from './call-builder';
import { RESULT } from './codes';
import { deviceOf, type SimGroup } from './directory';
import type { IdSource } from './ids';
import { addCallRecord, type MangoState } from './api-state';
import type { Party, SimEvent, TransferSpelling } from './types';

export interface LiveCallsDeps {
  state: MangoState;
  ids: IdSource;
  /** Unix seconds. */
  nowSec: () => number;
  emit: (events: SimEvent[]) => void;
  transferSpelling?: TransferSpelling;
}

interface LiveCall {
  b: CallBuilder;
  summaryFrom: Party;
  finished: boolean;
}

interface Target {
  party: Party;
  extension?: string;
  group?: SimGroup;
}

const pickParty = (p: Party): Party => ({
  ...(p.extension !== undefined ? { extension: p.extension } : {}),
  ...(p.number !== undefined ? { number: p.number } : {}),
});

const partyMatches = (p: Party, value: string) => p.extension === value || p.number === value;

export class LiveCalls {
  private readonly calls = new Map<string, LiveCall>();
  private readonly byLeg = new Map<string, LiveCall>();

  constructor(private readonly deps: LiveCallsDeps) {}

  private get flow() {
    return this.deps.state.callFlow;
  }

  /** Entry ids of calls that still have legs up. */
  activeEntries(): string[] {
    return [...this.calls.values()].filter((c) => !c.finished).map((c) => c.b.entryId);
  }

  /** Live legs (not yet Disconnected) of one call, or of all calls. */
  activeLegs(entryId?: string): Leg[] {
    const calls = entryId ? [this.calls.get(entryId)].filter((c): c is LiveCall => !!c) : [...this.calls.values()];
    return calls.flatMap((c) => c.b.activeLegs());
  }

  /** An incoming call that waits in the IVR until commands/route, hangup or endCall. */
  startIncoming(opts: { from?: string; lineNumber?: string; location?: 'ivr' | 'queue' } = {}): { entryId: string; callId: string } {
    const line = opts.lineNumber ?? this.deps.state.lineNumber;
    const from = opts.from ?? '79161234567';
    const call = this.newCall(1, line, { number: from });
    call.b.markForward();
    const leg = call.b.appear({ location: opts.location ?? 'ivr', from: { number: from }, to: { number: line, line_number: line } });
    this.commit(call);
    return { entryId: call.b.entryId, callId: leg.callId };
  }

  /** Ends every live leg of a call (reason 1110: the caller hung up). */
  endCall(entryId: string, reason: number = RESULT.callerHangup): boolean {
    const call = this.calls.get(entryId);
    if (!call || call.finished) return false;
    call.b.catchUp(this.deps.nowSec());
    for (const leg of call.b.activeLegs()) call.b.disconnect(leg, reason);
    this.commit(call);
    return true;
  }

  /** §3.C: ring the employee, then bridge to the client. */
  callback(cmd: { commandId: string; extension: string; toNumber: string; lineNumber?: string }): void {
    const target = this.resolveTarget(cmd.toNumber);
    const employee: Party = { extension: cmd.extension, number: this.device(cmd.extension) };
    const call = this.newCall(target.extension ? 0 : 2, cmd.lineNumber ?? this.deps.state.lineNumber, employee);
    const { b } = call;
    b.commandResult('callback', cmd.commandId, RESULT.ok);
    const l1 = b.appear({
      location: 'abonent',
      from: pickParty(target.party),
      to: employee,
      commandId: cmd.commandId,
      callbackInitiator: 'API',
    });
    b.advance(this.flow.ringSeconds);
    if (!this.flow.answer) {
      b.disconnect(l1, RESULT.noAnswer);
    } else {
      b.connect(l1, { talk: false });
      b.advance(1);
      b.disconnect(l1, RESULT.ok);
      const l2 = b.appear({
        location: 'abonent',
        from: { ...employee, taken_from_call_id: l1.callId },
        to: target.party,
        commandId: cmd.commandId,
      });
      this.ringAndTalk(call, l2, cmd.extension, this.flow.clientAnswers);
    }
    this.commit(call);
  }

  /** Re-routes a leg not yet talking (IVR, queue or ringing) to a new target: a new leg. */
  route(cmd: { commandId: string; callId: string; toNumber: string }): void {
    const found = this.live(cmd.callId, 'route', cmd.commandId);
    if (!found) return;
    const { call, leg } = found;
    if (leg.state === 'Connected' || leg.state === 'OnHold') return this.asyncResult('route', cmd.commandId, RESULT.impossible);
    const { b } = call;
    const target = this.resolveTarget(cmd.toNumber);
    b.disconnect(leg, RESULT.normalEnd);
    b.markForward();
    const next = b.appear({
      location: 'abonent',
      from: { ...pickParty(leg.from), taken_from_call_id: leg.callId },
      to: {
        ...target.party,
        line_number: leg.to.line_number ?? b.lineNumber,
        ...(target.group ? { acd_group: target.group.extension } : {}),
      },
      commandId: cmd.commandId,
    });
    // DOC110's route example shows the new leg's event before result/route.
    b.commandResult('route', cmd.commandId, RESULT.ok);
    this.ringAndTalk(call, next, target.extension, this.flow.answer);
    this.commit(call);
  }

  hangup(cmd: { commandId: string; callId: string }): void {
    const found = this.live(cmd.callId, 'call/hangup', cmd.commandId);
    if (!found) return;
    const { call, leg } = found;
    const { b } = call;
    b.disconnect(leg, RESULT.externalHangup);
    b.commandResult('call/hangup', cmd.commandId, RESULT.ok);
    // Hanging up a consultation leg cancels the transfer: the held party comes back.
    if (leg.transfer === 'consultative') {
      for (const held of b.activeLegs()) if (held.state === 'OnHold') b.connect(held);
    }
    this.commit(call);
  }

  transfer(cmd: { commandId: string; callId: string; method: 'blind' | 'hold'; toNumber: string; initiator: string }): void {
    const found = this.live(cmd.callId, 'transfer', cmd.commandId);
    if (!found) return;
    const { call, leg } = found;
    if (leg.state !== 'Connected') return this.asyncResult('transfer', cmd.commandId, RESULT.impossible);
    const side = partyMatches(leg.to, cmd.initiator) ? 'to' : partyMatches(leg.from, cmd.initiator) ? 'from' : undefined;
    if (!side) return this.asyncResult('transfer', cmd.commandId, RESULT.numberNotFound);
    const { b } = call;
    const target = this.resolveTarget(cmd.toNumber);
    const initiator = pickParty(leg[side]);
    const other = pickParty(side === 'to' ? leg.from : leg.to);
    const lineNumber = leg.to.line_number ?? leg.from.line_number;
    const targetParty: Party = { ...target.party, ...(lineNumber ? { line_number: lineNumber } : {}) };
    b.hold(leg, side);

    if (cmd.method === 'blind') {
      const next = b.appear({
        location: 'abonent',
        from: { ...other, taken_from_call_id: leg.callId },
        to: targetParty,
        transfer: 'blind',
        commandId: cmd.commandId,
      });
      b.commandResult('transfer', cmd.commandId, RESULT.ok);
      b.continueRecording(leg, next);
      b.disconnect(leg, RESULT.newOperatorAssigned, { transferred: side });
      b.advance(this.flow.ringSeconds);
      if (this.flow.answer) {
        this.talk(call, next, target.extension);
      } else {
        // Nobody took it: Mango rings the initiator back.
        b.disconnect(next, RESULT.noAnswer);
        const back = b.appear({
          location: 'abonent',
          from: { ...other, taken_from_call_id: next.callId },
          to: { ...initiator, ...(lineNumber ? { line_number: lineNumber } : {}) },
          transfer: 'return_blind',
        });
        this.talk(call, back, initiator.extension);
      }
      return this.commit(call);
    }

    const consult = b.appear({
      location: 'abonent',
      from: initiator,
      to: pickParty(target.party),
      transfer: 'consultative',
      commandId: cmd.commandId,
    });
    b.commandResult('transfer', cmd.commandId, RESULT.ok);
    b.advance(this.flow.ringSeconds);
    if (!this.flow.answer) {
      b.disconnect(consult, RESULT.noAnswer);
      this.talk(call, leg, initiator.extension, { resume: true });
      return this.commit(call);
    }
    b.connect(consult, { talk: false });
    if (this.flow.autoHangup) {
      // The initiator hangs up after consulting: the held party is joined to the target.
      b.advance(5);
      b.disconnect(consult, RESULT.newOperatorAssigned, { transferred: 'from' });
      const joined = b.appear({
        location: 'abonent',
        from: { ...other, taken_from_call_id: leg.callId },
        to: targetParty,
        transfer: 'consultative',
      });
      b.continueRecording(leg, joined);
      b.disconnect(leg, RESULT.newOperatorAssigned, { transferred: side });
      this.talk(call, joined, target.extension);
    }
    this.commit(call);
  }

  recordingStart(cmd: { commandId: string; callId: string; party: string }): void {
    const found = this.live(cmd.callId, 'recording/start', cmd.commandId);
    if (!found) return;
    const { call, leg } = found;
    const side = partyMatches(leg.to, cmd.party) ? leg.to : partyMatches(leg.from, cmd.party) ? leg.from : undefined;
    if (!side) return this.asyncResult('recording/start', cmd.commandId, RESULT.numberNotFound);
    if (call.b.isRecording(leg)) return this.asyncResult('recording/start', cmd.commandId, RESULT.alreadyRecording);
    call.b.commandResult('recording/start', cmd.commandId, RESULT.ok);
    call.b.startRecording(leg, side.extension ?? '', { commandId: cmd.commandId });
    this.commit(call);
  }

  // -------------------------------------------------------------------------------------

  private newCall(direction: 0 | 1 | 2, lineNumber: string, summaryFrom: Party): LiveCall {
    const b = new CallBuilder({
      entryId: this.deps.ids.entry(),
      ids: this.deps.ids,
      start: this.deps.nowSec(),
      direction,
      lineNumber,
      transferSpelling: this.deps.transferSpelling,
      productId: this.deps.state.productId,
    });
    const call: LiveCall = { b, summaryFrom, finished: false };
    this.calls.set(b.entryId, call);
    return call;
  }

  /** The live leg, or (after emitting result/<cmd> 4101) undefined: unknown or already ended. */
  private live(callId: string, command: string, commandId: string): { call: LiveCall; leg: Leg } | undefined {
    const call = this.byLeg.get(callId);
    const leg = call?.b.legs.get(callId);
    if (!call || !leg || leg.ended) {
      this.asyncResult(command, commandId, RESULT.callEnded);
      return undefined;
    }
    call.b.catchUp(this.deps.nowSec());
    return { call, leg };
  }

  private asyncResult(command: string, commandId: string, result: number): void {
    this.deps.emit([{ path: `result/${command}`, payload: { command_id: commandId, result } }]);
  }

  private ringAndTalk(call: LiveCall, leg: Leg, extension: string | undefined, answers: boolean): void {
    call.b.advance(this.flow.ringSeconds);
    if (!answers) call.b.disconnect(leg, RESULT.noAnswer);
    else this.talk(call, leg, extension);
  }

  /** Connects (or resumes) a leg, records if configured, and hangs up after talkSeconds if auto. */
  private talk(call: LiveCall, leg: Leg, extension: string | undefined, opts: { resume?: boolean } = {}): void {
    const { b } = call;
    b.connect(leg);
    if (this.flow.record && !opts.resume && extension && !b.isRecording(leg)) b.startRecording(leg, extension);
    if (this.flow.autoHangup) {
      b.advance(this.flow.talkSeconds);
      b.disconnect(leg, RESULT.callerHangup);
    }
  }

  /** Indexes new legs, closes the call if nothing is live, emits what was appended. */
  private commit(call: LiveCall): void {
    const { b } = call;
    const { state } = this.deps;
    for (const id of b.legs.keys()) this.byLeg.set(id, call);
    // Recordings become downloadable (queries/recording/post) as soon as they exist.
    for (const id of b.recordingIds()) {
      if (state.recordings.has(id)) continue;
      const info = b.recordingInfo(id);
      state.recordings.set(id, { recording_id: id, entry_id: b.entryId, call_id: info?.callId, extension: info?.extension });
    }
    if (!call.finished && b.legs.size > 0 && b.activeLegs().length === 0) {
      call.finished = true;
      b.summary({ from: call.summaryFrom });
      addCallRecord(state, b.toCallRecord());
      const recs = b.recordingIds();
      if (recs.length > 0) {
        b.advance(2);
        for (const id of recs) {
          const ext = b.recordingInfo(id)?.extension;
          const userId = state.users.find((u) => u.extension === ext)?.user_id ?? -1;
          b.recordAdded(id, userId, state.productId);
        }
      }
    }
    const events = b.drain();
    if (events.length > 0) this.deps.emit(events);
  }

  private device(extension: string): string {
    return deviceOf(extension, this.deps.state.users);
  }

  /** Employee extension, group extension or an external number. */
  private resolveTarget(toNumber: string): Target {
    const { users, groups } = this.deps.state;
    const user = users.find((u) => u.extension === toNumber);
    if (user) return { party: { extension: user.extension, number: this.device(user.extension) }, extension: user.extension };
    const group = groups.find((g) => g.extension === toNumber);
    if (group) {
      // The group's algorithm picks an operator; the simulator takes the first one listed.
      const op = users.find((u) => group.operators.includes(u.user_id));
      if (op) return { party: { extension: op.extension, number: this.device(op.extension) }, extension: op.extension, group };
      return { party: { extension: group.extension }, group };
    }
    return { party: { number: toNumber } };
  }
}
