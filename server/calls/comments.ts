/**
 * «Комментарий к звонку»: one current note per call. Written by an employee who took part in
 * the call (took it, made it, was on it, or was offered it) or by an admin; pushed as a call
 * update to everyone who has the call in their feed, so their apps show it at once.
 */
import type { Db } from '../db/db';
import type { Call } from '../../src-shared/wire';
import type { EmployeeRow } from '../people/employees';
import { appendFeed, type StoredFeedItem } from '../hub/feed-store';
import { involved, popupAudience, Staff } from './audience';
import { audienceJoinSql, callerCards, loadListeners, lockEntriesSql } from './call-store';
import { feedItems } from './feed-items';
import { getCall } from './queries';
import type { ReducedCall } from './reduce';
import { callViewSql, mayCommentSql } from './view';

export type CommentResult =
  | { ok: true; call: Call; feed: StoredFeedItem[] }
  /** not-found: the employee may not see the call (as GET /api/calls/:id); forbidden: sees it, took no part in it. */
  | { ok: false; reason: 'not-found' | 'forbidden' };

/**
 * Sets (or, with empty `text`, removes) the comment of call `callId` as `me`. The feed items it
 * appends carry `deliveredBy` (the caller's hub): the caller hands `feed` to that hub after this
 * resolves (the transaction has committed by then).
 */
export async function setCallComment(db: Db, me: EmployeeRow, callId: number, text: string, opts: { telephonyOn: boolean; deliveredBy?: string }): Promise<CommentResult> {
  return db.tx(async (q) => {
    const seen = await getCall(q, me, callId);
    if (!seen) return { ok: false, reason: 'not-found' };
    // Locked as the reducer locks calls: a reduction running now finishes first (and its feed
    // item, read before this comment, is not the last word), and one starting now reads this comment.
    await q.query(`SELECT ${lockEntriesSql('$1')}`, [[seen.entryId]]);
    const params: unknown[] = [callId];
    const row = (
      await q.query<{ reduced: ReducedCall; allowed: boolean; current: string | null; audience: number[] | null; offered: number[] | null }>(
        `SELECT c.reduced, ${mayCommentSql('c', me, params)} AS allowed,
           (SELECT k.text FROM call_comments k WHERE k.call_id = c.id) AS current,
           aud.audience, aud.offered
         FROM calls c ${audienceJoinSql('c.id')}
         WHERE c.id = $1`,
        params,
      )
    ).rows[0];
    if (!row) return { ok: false, reason: 'not-found' };
    // The same rule as the views' canComment (mayCommentSql), so the app offers what is allowed.
    if (!row.allowed) return { ok: false, reason: 'forbidden' };

    let changed: boolean;
    if (!text) {
      changed = (await q.query('DELETE FROM call_comments WHERE call_id = $1 RETURNING call_id', [callId])).rows.length > 0;
    } else if (text === row.current) {
      changed = false; // saved twice: no news for anyone
    } else {
      await q.query(
        `INSERT INTO call_comments (call_id, text, author_id) VALUES ($1, $2, $3)
         ON CONFLICT (call_id) DO UPDATE SET text = EXCLUDED.text, author_id = EXCLUDED.author_id, updated_at = now()`,
        [callId, text, me.id],
      );
      changed = true;
    }
    const view = (await q.query<{ view: Call }>(`SELECT ${callViewSql('c')} AS view FROM calls c WHERE c.id = $1`, [callId])).rows[0].view;
    // The answer is the writer's: they were just allowed to. (The feed's copies get theirs per recipient.)
    const mine = { ...view, canComment: true };
    const audience = (row.audience ?? []).map(Number);
    if (!changed || audience.length === 0) return { ok: true, call: mine, feed: [] };

    // The same call item the reducer would send now: a ringing popup stays open, the caller's
    // card and last calls stay filled in (none rings with telephony switched off).
    const staff = new Staff(await loadListeners(q));
    const plan = {
      callId,
      call: row.reduced,
      view,
      popups: opts.telephonyOn ? popupAudience(row.reduced, staff) : new Set<number>(),
      offered: new Set((row.offered ?? []).map(Number)),
      involved: involved(row.reduced, staff),
      audience: new Set(audience),
    };
    const cards = await callerCards(q, row.reduced.clientNumber ? [row.reduced.clientNumber] : []);
    const feed = await appendFeed(q, feedItems([plan], cards), opts.deliveredBy);
    return { ok: true, call: mine, feed };
  });
}
