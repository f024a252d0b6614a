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
 * - the employee who answered keeps the card open while talking.
 */
export function popupAudience(call: ReducedCall, staff: Staff): Set<number> {
  const out = new Set<number>();
  if (call.phase === 'ended' || call.status !== 'active' || call.direction === 'out') return out;
  if (call.phase === 'talking') {
    for (const e of staff.activeByExtension(call.answeredExtension)) out.add(e.id);
    return out;
  }
  for (const r of call.ringing) {
    for (const e of staff.activeByExtension(r.extension)) if (!r.group || e.acceptCalls) out.add(e.id);
  }
  if (call.inQueue && call.ringing.length === 0) {
    for (const e of staff.accepting) out.add(e.id);
  }
  return out;
}

/**
 * Who keeps a missed incoming call in their feed when nobody ever had it: it rang no one's
 * extension and ended before anyone got its popup (it appeared and ended within one reduction
 * batch, as in a burst). The employees who would have been offered it while it waited in the
 * IVR or queue: every active employee accepting calls.
 */
export function missedUnseen(call: ReducedCall, staff: Staff, before: ReadonlySet<number>): number[] {
  if (call.direction !== 'in' || call.status !== 'missed' || before.size > 0 || call.participants.length > 0) return [];
  return staff.accepting.map((e) => e.id);
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
