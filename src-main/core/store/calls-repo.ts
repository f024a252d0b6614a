/** The employee's own calls as the relay last described them (a cache, keyed by relay id). */
import type Database from 'better-sqlite3';
import type { Call } from '../../../src-shared/wire';
import type { CallsQuery } from '../../../src-shared/ipc/telephony';
import { normalizePhone } from '../../../src-shared/phone';

export interface CallsRepo {
  upsert(call: Call): void;
  get(id: number): Call | null;
  list(query: CallsQuery): Call[];
  /** Calls still `active` in the cache: the ones a resume must re-check. */
  active(): Call[];
  clear(): void;
}

export function createCallsRepo(db: Database.Database): CallsRepo {
  const upsertStmt = db.prepare(`
    INSERT INTO calls (id, started_at, client_number, status, direction, employee_id, json, updated_at)
    VALUES (@id, @startedAt, @clientNumber, @status, @direction, @employeeId, @json, @updatedAt)
    ON CONFLICT(id) DO UPDATE SET
      started_at = excluded.started_at, client_number = excluded.client_number, status = excluded.status,
      direction = excluded.direction, employee_id = excluded.employee_id, json = excluded.json,
      updated_at = excluded.updated_at`);
  const getStmt = db.prepare('SELECT json FROM calls WHERE id = ?');
  const activeStmt = db.prepare(`SELECT json FROM calls WHERE status = 'active' ORDER BY started_at DESC, id DESC`);

  return {
    upsert(call) {
      upsertStmt.run({
        id: call.id,
        startedAt: call.startedAt,
        clientNumber: call.clientNumber,
        status: call.status,
        direction: call.direction,
        employeeId: call.employee?.id ?? null,
        json: JSON.stringify(call),
        updatedAt: new Date().toISOString(),
      });
    },
    get(id) {
      const row = getStmt.get(id) as { json: string } | undefined;
      return row ? (JSON.parse(row.json) as Call) : null;
    },
    list(query) {
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      if (query.direction) { where.push('direction = @direction'); params.direction = query.direction; }
      if (query.status) { where.push('status = @status'); params.status = query.status; }
      if (query.employeeId != null) { where.push('employee_id = @employeeId'); params.employeeId = query.employeeId; }
      if (query.since) { where.push('started_at >= @since'); params.since = query.since; }
      if (query.until) { where.push('started_at < @until'); params.until = query.until; }
      if (query.phone) {
        where.push('client_number = @phone');
        params.phone = normalizePhone(query.phone) ?? query.phone;
      }
      if (query.search) {
        // The cache has no FTS: a plain substring over the stored JSON (numbers, names) is enough for offline use.
        where.push(`json LIKE @search ESCAPE '\\'`);
        params.search = `%${query.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      }
      if (query.before != null) {
        const anchor = getStmt.get(query.before) as { json: string } | undefined;
        if (anchor) {
          const a = JSON.parse(anchor.json) as Call;
          where.push('(started_at < @bStarted OR (started_at = @bStarted AND id < @bId))');
          params.bStarted = a.startedAt;
          params.bId = a.id;
        } else {
          where.push('id < @bId');
          params.bId = query.before;
        }
      }
      params.limit = query.limit ?? 200;
      const sql = `SELECT json FROM calls ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
                   ORDER BY started_at DESC, id DESC LIMIT @limit`;
      return (db.prepare(sql).all(params) as { json: string }[]).map((r) => JSON.parse(r.json) as Call);
    },
    active() {
      return (activeStmt.all() as { json: string }[]).map((r) => JSON.parse(r.json) as Call);
    },
    clear() {
      db.exec('DELETE FROM calls');
    },
  };
}
