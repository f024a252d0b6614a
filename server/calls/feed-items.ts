import type { Call, Contact, FeedPayload } from '../../src-shared/wire';
import { toContact } from '../people/contacts';
import type { CallerCard } from './call-store';
import type { ReducedCall } from './reduce';

/** What an employee is told of a call: its record, whether it pops up for whom, who hears of it. */
export interface CallPlan {
  callId: number;
  call: ReducedCall;
  view: Call;
  popups: Set<number>;
  /** Offered the call at some point (had or would have had its popup): their missed call. */
  offered: Set<number>;
  /**
   * Took, made or were on the call (its employee, an extension among its participants): with
   * `offered`, who may comment on it. Absent (plans that do not know it): only the offered are
   * known to, and the others' items carry no canComment.
   */
  involved?: Set<number>;
  audience: Set<number>;
}

/** One feed item per employee who hears of a call: the call, popup or not, caller's card, last calls. */
export function feedItems(
  plans: CallPlan[],
  cards: CallerCard[],
): { employeeId: number; payload: FeedPayload }[] {
  const byNumber = new Map(cards.map((r) => [r.number, r]));
  const items: { employeeId: number; payload: FeedPayload }[] = [];
  for (const p of plans) {
    const card = p.call.clientNumber ? byNumber.get(p.call.clientNumber) : undefined;
    const contact: Contact | null = card && card.id != null ? toContact(card) : null;
    const recentCalls = (card?.recent ?? []).filter((x) => Number(x.id) !== p.callId).slice(0, 5).map((x) => x.view);
    for (const employeeId of p.audience) {
      // Per recipient, so on a copy of the view all of them share. Each item is stored for its
      // employee alone: the flag is theirs. Admins are left to the app (a role changes after
      // an item is written; its replay must not take the action away from a new admin).
      const may = p.offered.has(employeeId) || p.involved?.has(employeeId) ? true : p.involved ? false : undefined;
      const call = may === undefined ? p.view : { ...p.view, canComment: may };
      items.push({ employeeId, payload: { kind: 'call', call, popup: p.popups.has(employeeId), offered: p.offered.has(employeeId), contact, recentCalls } });
    }
  }
  return items;
}
