/**
 * The final outcome of an employee's command. Mango answers a command with 1000 ("accepted") and
 * posts how it ended later to result/<command> (mango-api.md §2.9): a click-to-call the billing
 * forbids, a transfer of a call that ended meanwhile. Without this the employee pressed the
 * button and nothing happened; now the failure reaches them as a feed item.
 */
import type { Db, Queryable } from '../db/db';
import type { CommandFailure, FeedPayload } from '../../src-shared/wire';
import { appendFeed, type StoredFeedItem } from '../hub/feed-store';

export type CommandAction = CommandFailure['action'];

/** Whose command it is and what it was about; recorded before the command leaves. */
export interface CommandOwner {
  employeeId: number;
  /** What the employee aimed at: the number dialled, the colleague's name. */
  target: string;
  /** Our call, for a transfer. */
  callId?: number;
}

const RESULT_PATHS: Record<string, CommandAction> = { 'result/callback': 'callback', 'result/transfer': 'transfer' };
/** Outcomes older than this are of no use to anyone. */
const KEEP_DAYS = 7;

export async function recordCommand(q: Queryable, commandId: string, action: CommandAction, owner: CommandOwner): Promise<void> {
  await q.query(`DELETE FROM mango_commands WHERE created_at < now() - make_interval(days => ${KEEP_DAYS})`);
  await q.query('INSERT INTO mango_commands (command_id, employee_id, action, target, call_id) VALUES ($1, $2, $3, $4, $5)', [
    commandId,
    owner.employeeId,
    action,
    owner.target.slice(0, 200),
    owner.callId ?? null,
  ]);
}

/** Mango refused the command at once (an HTTP answer other than 1000): the employee saw that error. */
export async function forgetCommand(q: Queryable, commandId: string): Promise<void> {
  await q.query('DELETE FROM mango_commands WHERE command_id = $1', [commandId]);
}

/**
 * Applies a stored result callback: the command's first result is kept, and a failure becomes a
 * feed item for the employee who gave it, in the same transaction, so a resent callback (after a
 * crash between the two) still tells them once. Returns the items to deliver after the commit.
 */
export async function applyCommandResult(db: Db, path: string, payload: Record<string, unknown>, deliveredBy?: string): Promise<StoredFeedItem[]> {
  const action = RESULT_PATHS[path];
  const commandId = typeof payload.command_id === 'string' ? payload.command_id : null;
  // `result` comes as a number or as a string (§2.9).
  const result = Number(payload.result);
  if (!action || !commandId || payload.result == null || payload.result === '' || !Number.isInteger(result)) return [];
  return db.tx(async (q) => {
    const r = await q.query<{ employee_id: number; target: string; call_id: number | null }>(
      `UPDATE mango_commands SET result = $3, result_at = now()
       WHERE command_id = $1 AND action = $2 AND result IS NULL
       RETURNING employee_id, target, call_id`,
      [commandId, action, result],
    );
    const row = r.rows[0];
    // 1xxx is success or a normal end (1000 accepted, 1100…, 1183 a new operator took it, §7).
    if (!row || (result >= 1000 && result < 2000)) return [];
    const payloadOut: FeedPayload = {
      kind: 'command-failed',
      command: { commandId, action, target: row.target, callId: row.call_id == null ? null : Number(row.call_id), result, reason: failureReason(action, result) },
    };
    return appendFeed(q, [{ employeeId: Number(row.employee_id), payload: payloadOut }], deliveredBy);
  });
}

/** Why it failed, in the employee's words; the app puts it after «Не удалось …:». */
export function failureReason(action: CommandAction, code: number): string {
  if (code >= 2000 && code < 3000) return `Манго не разрешает вызов по тарифу или балансу (код ${code}), обратитесь к администратору`;
  // The employee's own call ended before Mango moved it, not the colleague's.
  if (action === 'transfer' && code === 4101) return 'ваш разговор уже завершился';
  if (action === 'transfer' && code === 4100) return 'этот звонок нельзя перевести';
  if (code >= 3200 && code < 3300) return `Манго не принял номер (код ${code})`;
  if (code >= 3000 && code < 4000) return `Манго отклонил команду (код ${code})`;
  if (code === 4001) return 'команда не поддерживается АТС (код 4001)';
  if (code >= 4000 && code < 5000) return `АТС не может выполнить команду (код ${code})`;
  if (code >= 5000 && code < 6000) return `ошибка сервера Манго (код ${code})`;
  return `Манго не выполнил команду (код ${code})`;
}
