import type { ReducedCall } from './reduce';

export interface Listener {
  id: number;
  extension: string | null;
  active: boolean;
  acceptCalls: boolean;
}

/**
 * Who gets a ringing popup for a call right now (DESIGN.md "Who hears of a call"):
 * - the employee whose extension Mango rings directly, always;
 * - an employee rung as part of a group (acd) call, only while accepting calls;
 * - while the call waits in the IVR or a queue, every active employee accepting calls;
 * - while talking, the employees on a live leg (who answered, or the transfer target once the
 *   call is theirs) keep the card open, and a transfer target rung meanwhile gets it.
 */
export function popupAudience(call: ReducedCall, staff: Staff): Set<number> {
  const out = new Set<number>();
  if (call.phase === 'ended' || call.status !== 'active' || call.direction === 'out') return out;
  // Stored reductions from before connectedExtensions existed: the answerer.
  const live = call.phase === 'talking' ? call.connectedExtensions ?? [call.answeredExtension] : [];
  for (const ext of live) for (const e of staff.activeByExtension(ext)) out.add(e.id);
  for (const r of call.ringing) {
    for (const e of staff.activeByExtension(r.extension)) if (!r.group || e.acceptCalls) out.add(e.id);
  }
  if (call.phase !== 'talking' && call.inQueue && call.ringing.length === 0) {
    for (const e of staff.accepting) out.add(e.id);
  }
  return out;
}

/**
 * Who is offered a missed incoming call that nobody ever had: it ended before anyone got its
 * popup (it appeared and ended within one reduction batch, as in a burst or after an outage).
 * The employees it rang (of a group call, those accepting calls), as they would have had it;
 * when it rang no one's extension (it waited in the IVR or queue), every employee accepting calls.
 */
export function missedUnseen(call: ReducedCall, staff: Staff, offeredBefore: ReadonlySet<number>): number[] {
  if (call.direction !== 'in' || call.status !== 'missed' || offeredBefore.size > 0) return [];
  if (call.participants.length === 0) return staff.accepting.map((e) => e.id);
  const out: number[] = [];
  for (const ext of new Set(call.participants)) for (const e of staff.activeByExtension(ext)) if (!call.groupCall || e.acceptCalls) out.push(e.id);
  return out;
}

/** Employees the call belongs to (their own history): participants by extension. */
export function involved(call: ReducedCall, staff: Staff): Set<number> {
  const out = new Set<number>();
  for (const ext of new Set([...call.participants, call.employeeExtension])) for (const e of staff.byExtension(ext)) out.add(e.id);
  return out;
}

/** The employee list indexed once for the audience rules (a batch asks it per call). */
export class Staff<L extends Listener = Listener> {
  private all = new Map<string, L[]>();
  private active = new Map<string, L[]>();
  readonly accepting: L[];

  constructor(list: L[]) {
    for (const e of list) {
      if (!e.extension) continue;
      push(this.all, e.extension, e);
      if (e.active) push(this.active, e.extension, e);
    }
    this.accepting = list.filter((e) => e.active && e.acceptCalls);
  }

  byExtension(ext: string | null | undefined): L[] {
    return (ext && this.all.get(ext)) || [];
  }

  activeByExtension(ext: string | null | undefined): L[] {
    return (ext && this.active.get(ext)) || [];
  }
}

function push<L>(m: Map<string, L[]>, k: string, v: L) {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
