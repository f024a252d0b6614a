import type { Call, CallComment } from '../../src-shared/wire';
import type { EmployeeRow } from '../people/employees';
import type { ReducedCall } from './reduce';

const iso = (unix: number | null) => (unix == null || unix === 0 ? null : new Date(unix * 1000).toISOString());

/**
 * The wire form of a call record as the reducer writes it to calls.view (what the API and the
 * feed send, once its comment is joined in: callViewSql, withComment).
 */
export function toCallView(
  id: number,
  c: ReducedCall,
  employee: { id: number; name: string; extension: string | null } | null,
  nameOfExtension: (ext: string) => { id: number; name: string } | null = () => null,
): Call {
  // Stored views from before connectedExtensions: the answerer.
  const talking = c.phase === 'talking' ? (c.connectedExtensions ?? (c.answeredExtension ? [c.answeredExtension] : [])) : [];
  return {
    id,
    entryId: c.entryId,
    direction: c.direction,
    from: { number: c.fromNumber, extension: c.fromExtension },
    to: { number: c.toNumber, extension: c.toExtension, line: c.lineNumber },
    clientNumber: c.clientNumber,
    employee,
    status: c.status,
    phase: c.phase,
    ringingExtensions: c.ringing.map((r) => r.extension),
    talkingExtensions: talking,
    talkingEmployees: talking.flatMap((ext) => nameOfExtension(ext) ?? []),
    startedAt: iso(c.startedAt) ?? new Date(0).toISOString(),
    answeredAt: iso(c.answeredAt),
    endedAt: iso(c.endedAt),
    talkSeconds: c.talkSeconds,
    waitSeconds: c.waitSeconds,
    disconnectReason: c.disconnectReason,
    recordings: c.recordings,
    reconciled: c.reconciled,
  };
}

/**
 * SQL: the comment of the call whose id is the expression `callId`, as the wire's CallComment
 * (jsonb), or NULL. The author's current name; the time in ISO form, as every other instant.
 */
export const commentSql = (callId: string) =>
  `(SELECT jsonb_build_object('text', cmt.text, 'by', jsonb_build_object('id', cmt.author_id, 'name', cmt_by.name),
           'at', to_char(cmt.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    FROM call_comments cmt JOIN employees cmt_by ON cmt_by.id = cmt.author_id WHERE cmt.call_id = ${callId})`;

/**
 * SQL: the wire view of the calls row `alias` with its comment (null when none). Comments live
 * in call_comments, not in calls.view, which the reducer rewrites from the events: joined here,
 * a re-reduction never loses one.
 */
export const callViewSql = (alias: string) => `(${alias}.view || jsonb_build_object('comment', ${commentSql(`${alias}.id`)}))`;

/** The view the reducer computed with the comment the call has (what its feed items carry). */
export function withComment(view: Call, comment: CallComment | null | undefined): Call {
  return { ...view, comment: comment ?? null };
}

/**
 * SQL: whether `viewer` may write the comment of the calls row `alias` (PUT
 * /api/calls/:id/comment): an admin always; anyone else who took the call (its employee), made
 * it or was on it (their extension among its participants), or was offered it. Pushes its
 * parameters onto `params`.
 */
export function mayCommentSql(alias: string, viewer: Pick<EmployeeRow, 'id' | 'role' | 'extension'>, params: unknown[]): string {
  if (viewer.role === 'admin') return 'true';
  params.push(viewer.id, viewer.extension ?? '');
  const id = `$${params.length - 1}`;
  const ext = `$${params.length}`;
  // COALESCE: a call nobody took has no employee_id, and NULL OR false is NULL, not false.
  return `COALESCE(${alias}.employee_id = ${id} OR (${ext} <> '' AND ${alias}.participants ? ${ext})
    OR EXISTS (SELECT 1 FROM call_audience a WHERE a.call_id = ${alias}.id AND a.employee_id = ${id} AND a.popup), false)`;
}

/**
 * SQL: callViewSql as `viewer` gets it from the API, with `canComment`, so the app offers
 * «Комментарий» only where the relay would save it. Pushes its parameters onto `params`.
 */
export const viewerCallViewSql = (alias: string, viewer: Pick<EmployeeRow, 'id' | 'role' | 'extension'>, params: unknown[]) =>
  `(${callViewSql(alias)} || jsonb_build_object('canComment', ${mayCommentSql(alias, viewer, params)}))`;
