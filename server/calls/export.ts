/**
 * «Выгрузить в CSV» of the call history (GET /api/calls/export): the calls the list would show
 * the viewer for the same filter, newest first, as a CSV Russian Excel opens by a double click —
 * UTF-8 with a BOM (without it Excel reads cp1251), `;` between cells (the ru-RU list
 * separator), CRLF line ends, RFC 4180 quoting, and no cell Excel would run as a formula.
 */
import type { Queryable } from '../db/db';
import type { StatsCountedIn } from '../../src-shared/wire';
import { csvRow, excelPhone, pagedCsv } from '../ops/csv';
import type { EmployeeRow } from '../people/employees';
import { callsWhere, todayIn, zoneSql, type CallFilter } from './queries';

/** The most calls one export holds; past it the file says so in its last line. */
export const EXPORT_MAX_ROWS = 100_000;
/** Calls read per query: the file streams out page by page, never whole in memory. */
export const EXPORT_PAGE_ROWS = 2000;

export const CSV_HEADER = ['Дата и время', 'Направление', 'Результат', 'Номер клиента', 'Клиент', 'Сотрудник', 'Линия', 'Ожидание (с)', 'Разговор (с)', 'Комментарий'];

const DIRECTION: Record<string, string> = { in: 'Входящий', out: 'Исходящий', internal: 'Внутренний' };
const RESULT: Record<string, string> = { active: 'Идёт', answered: 'Принят', missed: 'Пропущен', unanswered: 'Без ответа' };

interface ExportRow {
  id: string;
  at: string;
  direction: string;
  status: string;
  client_number: string | null;
  from_number: string | null;
  from_extension: string | null;
  to_number: string | null;
  to_extension: string | null;
  line_number: string | null;
  employee: string | null;
  contact_name: string | null;
  contact_company: string | null;
  wait_seconds: number;
  talk_seconds: number;
  comment: string | null;
}

/** The external party's number, as the history shows it (src-renderer/format.ts callNumber). */
function clientNumber(r: ExportRow): string | null {
  if (r.client_number) return r.client_number;
  if (r.direction === 'out') return r.to_number ?? r.to_extension;
  if (r.direction === 'in') return r.from_number ?? r.from_extension;
  return r.from_extension ?? r.from_number ?? r.to_extension ?? r.to_number;
}

function toCsv(r: ExportRow): string {
  const contact = [r.contact_name, r.contact_company].filter((x) => x && x.trim()).join(', ');
  return csvRow([
    r.at,
    DIRECTION[r.direction] ?? r.direction,
    RESULT[r.status] ?? r.status,
    excelPhone(clientNumber(r)),
    contact,
    r.employee,
    excelPhone(r.line_number),
    r.wait_seconds,
    r.talk_seconds,
    r.comment,
  ]);
}

export interface CallsExport {
  /** calls-YYYY-MM-DD.csv, today in the viewer's zone. */
  filename: string;
  /** The file, in pieces: the first is ready (its query done), so a failure before it is an API error. */
  chunks: AsyncIterable<string>;
}

/**
 * The viewer's calls matching `f` as CSV, times in `zone`. Read in keyset pages (the list's own
 * `before`: the calls after the last one sent, on the (started_at, id) index), at most `maxRows`
 * calls. The first page is read before this returns; the rest as the consumer pulls, so a slow
 * client holds one page, and one that goes away stops the reading.
 */
export async function exportCalls(
  q: Queryable,
  viewer: EmployeeRow,
  f: Omit<CallFilter, 'limit' | 'before'>,
  zone: StatsCountedIn,
  opts: { maxRows?: number; pageRows?: number } = {},
): Promise<CallsExport> {
  const maxRows = opts.maxRows ?? EXPORT_MAX_ROWS;
  const pageRows = opts.pageRows ?? EXPORT_PAGE_ROWS;
  const page = async (before: number | undefined, limit: number) => {
    const params: unknown[] = [];
    const where = callsWhere(viewer, { ...f, before }, params).join(' AND ');
    const tz = zoneSql(zone, params);
    params.push(limit);
    const r = await q.query<ExportRow>(
      `SELECT c.id, to_char(c.started_at AT TIME ZONE ${tz}, 'DD.MM.YYYY HH24:MI:SS') AS at, c.direction, c.status,
         c.client_number, c.from_number, c.from_extension, c.to_number, c.to_extension, c.line_number,
         e.name AS employee, k.name AS contact_name, k.company AS contact_company, c.wait_seconds, c.talk_seconds, m.text AS comment
       FROM calls c
       LEFT JOIN employees e ON e.id = c.employee_id
       LEFT JOIN LATERAL (SELECT k.name, k.company FROM contact_phones p JOIN contacts k ON k.id = p.contact_id
                          WHERE p.phone = c.client_number AND k.merged_into IS NULL ORDER BY k.id LIMIT 1) k ON true
       LEFT JOIN call_comments m ON m.call_id = c.id
       WHERE ${where} ORDER BY c.started_at DESC, c.id DESC LIMIT $${params.length}`,
      params,
    );
    return r.rows;
  };
  const firstLimit = Math.min(pageRows, maxRows);
  const [first, day] = await Promise.all([page(undefined, firstLimit), todayIn(q, zone)]);
  const chunks = pagedCsv({
    header: CSV_HEADER,
    first,
    firstLimit,
    pageRows,
    maxRows,
    cursor: (r: ExportRow) => Number(r.id),
    page,
    line: toCsv,
    cutNote: `Выгружены первые ${maxRows.toLocaleString('ru-RU')} звонков, остальные не вошли: сузьте период или фильтры.`,
  });
  return { filename: `calls-${day}.csv`, chunks };
}
