/**
 * «Перевести звонок»: what Mango's commands/transfer needs from our data (mango-api.md §4:
 * the `call_id` of a Connected leg, an initiator on that leg who is an employee) and whom a
 * call may go to. The command itself is MangoServices.transfer; its outcome arrives as the
 * call's own events (a new leg to the colleague) and result/transfer.
 */
import type { Queryable } from '../db/db';
import { parseCallEvent } from '../mango/events';
import type { Colleague } from '../../src-shared/wire';

/**
 * The employee's live leg of a call: the newest state of each leg (by seq, then arrival) that is
 * Connected with their extension on either side. null when they are not talking on it now
 * (ringing, on hold, already handed on, or the call ended).
 */
export async function liveLegOf(q: Queryable, entryId: string, extension: string): Promise<{ callId: string } | null> {
  const rows = (
    await q.query<{ payload: unknown }>(
      `SELECT DISTINCT ON (payload->>'call_id') payload FROM mango_events
       WHERE entry_id = $1 AND kind = 'events/call'
       ORDER BY payload->>'call_id', (payload->>'seq')::numeric DESC, id DESC`,
      [entryId],
    )
  ).rows;
  for (const r of rows) {
    const e = parseCallEvent(r.payload);
    if (e.call_state === 'Connected' && (e.to.extension === extension || e.from.extension === extension)) return { callId: e.call_id };
  }
  return null;
}

/** Active employees with an extension other than `meId`, by name: whom a call can be handed to. */
export async function listColleagues(q: Queryable, meId: number): Promise<Colleague[]> {
  const rows = (
    await q.query<{ id: string; name: string; extension: string; accept_calls: boolean }>(
      `SELECT id, name, extension, accept_calls FROM employees
       WHERE active AND extension IS NOT NULL AND extension <> '' AND id <> $1 ORDER BY name, id`,
      [meId],
    )
  ).rows;
  return rows.map((r) => ({ id: Number(r.id), name: r.name, extension: r.extension, acceptCalls: r.accept_calls }));
}
