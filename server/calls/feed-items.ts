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
    for (const employeeId of p.audience) items.push({ employeeId, payload: { kind: 'call', call: p.view, popup: p.popups.has(employeeId), offered: p.offered.has(employeeId), contact, recentCalls } });
  }
  return items;
}
