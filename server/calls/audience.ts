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
export function popupAudience(call: ReducedCall, employees: Listener[]): Set<number> {
  const out = new Set<number>();
  if (call.phase === 'ended' || call.status !== 'active' || call.direction === 'out') return out;
  const byExt = new Map<string, Listener[]>();
  for (const e of employees) if (e.extension && e.active) byExt.set(e.extension, [...(byExt.get(e.extension) ?? []), e]);
  if (call.phase === 'talking') {
    for (const e of byExt.get(call.answeredExtension ?? '') ?? []) out.add(e.id);
    return out;
  }
  for (const r of call.ringing) {
    for (const e of byExt.get(r.extension) ?? []) if (!r.group || e.acceptCalls) out.add(e.id);
  }
  if (call.inQueue && call.ringing.length === 0) {
    for (const e of employees) if (e.active && e.acceptCalls) out.add(e.id);
  }
  return out;
}

/** Employees the call belongs to (their own history): participants by extension. */
export function involved(call: ReducedCall, employees: Listener[]): Set<number> {
  const exts = new Set([...call.participants, call.employeeExtension].filter((x): x is string => !!x));
  return new Set(employees.filter((e) => e.extension && exts.has(e.extension)).map((e) => e.id));
}
