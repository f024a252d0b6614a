import type { Queryable } from '../db/db';
import type { Call, CallDirection, StatsCountedIn } from '../../src-shared/wire';
import { CALLS_TOTAL_CAP, type CallsPage, type StatsResult } from '../../src-shared/ipc/telephony';
import { normalizePhone } from '../../src-shared/phone';
import type { EmployeeRow } from '../people/employees';
import { viewerCallViewSql } from './view';

export interface CallFilter {
  limit: number;
  before?: number;
  direction?: CallDirection;
  status?: string;
  phone?: string;
  employeeId?: number;
  search?: string;
  since?: string;
  until?: string;
}

/**
 * Visibility: admins see every call; an employee sees calls they took part in plus incoming
 * calls to the company's lines.
 */
function visibility(viewer: EmployeeRow, params: unknown[]): string {
  if (viewer.role === 'admin') return 'true';
  params.push(viewer.id, viewer.extension ?? '');
  const a = params.length - 1;
  const b = params.length;
  return `(c.employee_id = $${a} OR c.direction = 'in' OR ($${b} <> '' AND c.participants ? $${b}))`;
}

export async function listCalls(q: Queryable, viewer: EmployeeRow, f: CallFilter, opts: { total?: boolean } = {}): Promise<CallsPage> {
  const params: unknown[] = [];
  const where = callsWhere(viewer, f, params);
  // The first page also says how many match in all (counted up to the cap, so a broad search
  // over years of calls stays cheap); later pages only page.
  const counted = f.before || !opts.total
    ? null
    : q.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM calls c WHERE ${where.join(' AND ')} LIMIT ${CALLS_TOTAL_CAP + 1}) x`, [...params]);
  // After the count took its copy: it must not be sent parameters it does not use.
  const view = viewerCallViewSql('c', viewer, params);
  params.push(Math.min(1000, Math.max(1, f.limit)));
  const [r, n] = await Promise.all([
    q.query<{ view: Call }>(`SELECT ${view} AS view FROM calls c WHERE ${where.join(' AND ')} ORDER BY c.started_at DESC, c.id DESC LIMIT $${params.length}`, params),
    counted,
  ]);
  const calls = r.rows.map((x) => x.view);
  if (!n) return { calls };
  const count = Number(n.rows[0].n);
  return { calls, total: { count: Math.min(count, CALLS_TOTAL_CAP), capped: count > CALLS_TOTAL_CAP } };
}

/**
 * The call list's conditions on the calls row `c` — what `viewer` may see, then the filter (and
 * `before`: the calls after that one, newest first) — ANDed; pushes their parameters onto
 * `params`. One place, so the list and its CSV export (calls/export.ts) never disagree.
 */
export function callsWhere(viewer: EmployeeRow, f: Omit<CallFilter, 'limit'>, params: unknown[]): string[] {
  const where: string[] = [visibility(viewer, params)];
  const add = (sql: (n: number) => string, v: unknown) => {
    params.push(v);
    where.push(sql(params.length));
  };
  if (f.before) add((n) => `(c.started_at, c.id) < (SELECT started_at, id FROM calls WHERE id = $${n})`, f.before);
  if (f.direction) add((n) => `c.direction = $${n}`, f.direction);
  if (f.status) add((n) => `c.status = $${n}`, f.status);
  if (f.employeeId) add((n) => `c.employee_id = $${n}`, f.employeeId);
  if (f.since) add((n) => `c.started_at >= $${n}`, f.since);
  if (f.until) add((n) => `c.started_at < $${n}`, f.until);
  if (f.phone) {
    const p = normalizePhone(f.phone);
    add((n) => `(c.client_number = $${n} OR c.from_number = $${n} OR c.to_number = $${n} OR c.from_extension = $${n} OR c.to_extension = $${n})`, p ?? f.phone);
  }
  if (f.search) {
    const digits = f.search.replace(/\D/g, '');
    params.push(f.search.trim());
    const t = params.length;
    params.push(digits.length >= 3 ? digits : '');
    const d = params.length;
    where.push(`(($${d} <> '' AND (c.client_number LIKE '%' || $${d} || '%' OR c.from_number LIKE '%' || $${d} || '%' OR c.to_number LIKE '%' || $${d} || '%'))
      OR EXISTS (SELECT 1 FROM employees e WHERE e.id = c.employee_id AND e.name ILIKE '%' || $${t} || '%')
      OR EXISTS (SELECT 1 FROM contact_phones p JOIN contacts k ON k.id = p.contact_id WHERE p.phone = c.client_number AND (k.name ILIKE '%' || $${t} || '%' OR k.company ILIKE '%' || $${t} || '%'))
      OR EXISTS (SELECT 1 FROM call_comments m WHERE m.call_id = c.id AND m.text ILIKE '%' || $${t} || '%'))`);
  }
  return where;
}

export async function getCall(q: Queryable, viewer: EmployeeRow, id: number): Promise<Call | null> {
  const params: unknown[] = [id];
  const seen = visibility(viewer, params);
  const r = await q.query<{ view: Call }>(`SELECT ${viewerCallViewSql('c', viewer, params)} AS view FROM calls c WHERE c.id = $1 AND ${seen}`, params);
  return r.rows[0]?.view ?? null;
}

/**
 * Missed calls to call back: an admin is reminded of all of them; an employee of those they were
 * offered (rung with accept-calls on, rung directly, or waiting in the queue while they accepted
 * calls), not of every missed call to the company (not one rung at them in a group while their
 * «Приём звонков» was off).
 */
export async function missedCalls(q: Queryable, viewer: EmployeeRow): Promise<Call[]> {
  const params: unknown[] = [];
  const offered =
    viewer.role === 'admin' ? 'true' : (params.push(viewer.id), `EXISTS (SELECT 1 FROM call_audience a WHERE a.call_id = c.id AND a.employee_id = $${params.length} AND a.popup)`);
  const view = viewerCallViewSql('c', viewer, params);
  const r = await q.query<{ view: Call }>(
    `SELECT ${view} AS view FROM calls c WHERE c.status = 'missed' AND NOT c.reminder_done AND c.started_at > now() - interval '7 days'
       AND ${offered} ORDER BY c.started_at DESC LIMIT 200`,
    params,
  );
  return r.rows.map((x) => x.view);
}

/**
 * Of `ids`, those `viewer` may see: the same check as getCall's, for a batch (dismissing a
 * caller's missed calls at once).
 */
export async function visibleCallIds(q: Queryable, viewer: EmployeeRow, ids: number[]): Promise<Set<number>> {
  const params: unknown[] = [ids];
  const seen = visibility(viewer, params);
  const r = await q.query<{ id: string | number }>(`SELECT c.id FROM calls c WHERE c.id = ANY($1::bigint[]) AND ${seen}`, params);
  return new Set(r.rows.map((x) => Number(x.id)));
}

/** The zone of statistics from apps that do not send theirs (older ones): the company's office. */
export const STATS_DEFAULT_TIME_ZONE = 'Europe/Moscow';

/** PostgreSQL's time zone names by their lowercase (it matches them so), read once per database. */
const zoneNames = new WeakMap<Queryable, Promise<Map<string, string>>>();

/**
 * The zone as PostgreSQL names it, or null when it knows no such zone: checked here so that a
 * zone it cannot use is a 400 and not its error (a 500) halfway through the statistics.
 */
export async function knownTimeZone(q: Queryable, name: string): Promise<string | null> {
  let names = zoneNames.get(q);
  if (!names) {
    const read = q.query<{ name: string }>('SELECT name FROM pg_timezone_names').then((r) => new Map(r.rows.map((x) => [x.name.toLowerCase(), x.name])));
    zoneNames.set(q, read);
    // A failed read (the database away) is not remembered: the next request asks again.
    read.catch(() => {
      if (zoneNames.get(q) === read) zoneNames.delete(q);
    });
    names = read;
  }
  return (await names).get(name.toLowerCase()) ?? null;
}

/**
 * SQL for `zone` as AT TIME ZONE takes it; pushes its parameter onto `params`. An offset goes as
 * an interval, which AT TIME ZONE takes east-positive (a POSIX text spec such as "UTC+5" would be
 * read west-positive; "Etc/GMT-5" covers whole hours only, not +05:30).
 */
export function zoneSql(zone: StatsCountedIn, params: unknown[]): string {
  params.push('tz' in zone ? zone.tz : zone.tzOffset);
  return 'tz' in zone ? `$${params.length}::text` : `make_interval(mins => $${params.length}::int)`;
}

/** Today's date (YYYY-MM-DD) on the viewer's clock: what an exported file is named by. */
export async function todayIn(q: Queryable, zone: StatsCountedIn): Promise<string> {
  const params: unknown[] = [];
  const r = await q.query<{ day: string }>(`SELECT to_char(now() AT TIME ZONE ${zoneSql(zone, params)}, 'YYYY-MM-DD') AS day`, params);
  return r.rows[0].day;
}

/**
 * Days and hours are counted in the viewer's zone: a name knownTimeZone returned, or, when the
 * relay does not know the app's zone by name, the app's UTC offset in minutes (a fixed offset:
 * right for the app's current clock, off by its DST shift before one). The app asks for whole
 * days of its own clock, so a call at 01:30 there belongs to that day and hour, not to Moscow's.
 */
export async function callStats(q: Queryable, f: { since: string; until: string; employeeId?: number; zone?: StatsCountedIn }): Promise<StatsResult> {
  const params: unknown[] = [f.since, f.until];
  let emp = '';
  if (f.employeeId) {
    params.push(f.employeeId);
    emp = ` AND c.employee_id = $3`;
  }
  const cond = `c.started_at >= $1 AND c.started_at < $2 AND c.direction = 'in' AND c.status <> 'active'${emp}`;
  const base = `FROM calls c WHERE ${cond}`;
  // The zone is a parameter of its own: the per-employee query below must not be sent one it does not use.
  const zone = f.zone ?? { tz: STATS_DEFAULT_TIME_ZONE };
  const zoned = [...params];
  const tz = zoneSql(zone, zoned);
  const days = await q.query<{ day: string; answered: number; missed: number }>(
    `SELECT to_char(date_trunc('day', c.started_at AT TIME ZONE ${tz}), 'YYYY-MM-DD') AS day,
       count(*) FILTER (WHERE c.status = 'answered')::int AS answered, count(*) FILTER (WHERE c.status = 'missed')::int AS missed ${base} GROUP BY 1 ORDER BY 1`,
    zoned,
  );
  const hours = await q.query<{ hour: number; answered: number; missed: number }>(
    `SELECT extract(hour FROM c.started_at AT TIME ZONE ${tz})::int AS hour,
       count(*) FILTER (WHERE c.status = 'answered')::int AS answered, count(*) FILTER (WHERE c.status = 'missed')::int AS missed ${base} GROUP BY 1 ORDER BY 1`,
    zoned,
  );
  const emps = await q.query<{ employee_id: number; name: string; answered: number; missed: number; wait: number; talk: number }>(
    `SELECT c.employee_id, e.name, count(*) FILTER (WHERE c.status = 'answered')::int AS answered, count(*) FILTER (WHERE c.status = 'missed')::int AS missed,
       COALESCE(avg(c.wait_seconds), 0)::float AS wait, COALESCE(avg(c.talk_seconds) FILTER (WHERE c.status = 'answered'), 0)::float AS talk
     FROM calls c JOIN employees e ON e.id = c.employee_id WHERE ${cond} GROUP BY c.employee_id, e.name ORDER BY e.name`,
    params,
  );
  const byHour = Array.from({ length: 24 }, (_, hour) => {
    const h = hours.rows.find((x) => Number(x.hour) === hour);
    return { hour, answered: h?.answered ?? 0, missed: h?.missed ?? 0 };
  });
  const answered = days.rows.reduce((s, d) => s + d.answered, 0);
  const missed = days.rows.reduce((s, d) => s + d.missed, 0);
  return {
    days: days.rows,
    byHour,
    byEmployee: emps.rows.map((e) => ({
      employeeId: Number(e.employee_id),
      name: e.name,
      answered: e.answered,
      missed: e.missed,
      avgWaitSec: Math.round(e.wait),
      avgTalkSec: Math.round(e.talk),
    })),
    totals: { total: answered + missed, answered, missed, missedRate: answered + missed ? missed / (answered + missed) : 0 },
  };
}
