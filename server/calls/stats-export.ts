/**
 * «Выгрузить в CSV» of the statistics (GET /api/stats/export): the figures GET /api/stats gives
 * for the same query, laid out for a monthly report in Russian Excel (server/ops/csv.ts: BOM,
 * `;`, CRLF). A title line with the period and the zone, then three blocks, each with its own
 * header row, an empty line between them: «По дням», «По часам», «По сотрудникам».
 */
import type { Queryable } from '../db/db';
import type { StatsCountedIn } from '../../src-shared/wire';
import type { StatsResult } from '../../src-shared/ipc/telephony';
import { CSV_BOM, csvRow } from '../ops/csv';
import { zoneSql } from './queries';

/**
 * The longest period one file covers: «По дням» has a row for every day, so an open-ended
 * period (the API takes years 1–9999) would be millions of rows. Ten years, leap days included.
 */
export const STATS_EXPORT_MAX_DAYS = 3653;

export const DAY_HEADER = ['Дата', 'Принято', 'Пропущено', 'Всего', 'Доля пропущенных, %'];
export const HOUR_HEADER = ['Час', 'Принято', 'Пропущено'];
export const EMPLOYEE_HEADER = ['Сотрудник', 'Принято', 'Пропущено', 'Среднее ожидание, с', 'Средний разговор, с'];

/** The period's first and last day (YYYY-MM-DD) on the viewer's clock: [since, until) as callStats counts it. */
export async function periodDays(q: Queryable, since: string, until: string, zone: StatsCountedIn): Promise<{ first: string; last: string }> {
  const params: unknown[] = [since, until];
  const tz = zoneSql(zone, params);
  // `until` is exclusive: the last day is the one its last microsecond falls on.
  const r = await q.query<{ first: string; last: string }>(
    `SELECT to_char($1::timestamptz AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS first,
       to_char(($2::timestamptz - interval '1 microsecond') AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS last`,
    params,
  );
  return r.rows[0];
}

/** Calendar days from `first` to `last` inclusive (YYYY-MM-DD): plain date arithmetic, no zone. */
export function calendarDays(first: string, last: string): string[] {
  const out: string[] = [];
  const end = Date.parse(last + 'T00:00:00Z');
  for (let t = Date.parse(first + 'T00:00:00Z'); t <= end; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Days between two YYYY-MM-DD dates, both counted. */
export const daysSpanned = (first: string, last: string) => Math.round((Date.parse(last + 'T00:00:00Z') - Date.parse(first + 'T00:00:00Z')) / 86_400_000) + 1;

/** "2026-11-01" → "01.11.2026", the date Russian Excel reads as a date. */
const ruDate = (day: string) => `${day.slice(8, 10)}.${day.slice(5, 7)}.${day.slice(0, 4)}`;

/** "UTC+05:00", "UTC-03:30" for an offset in minutes east of UTC. */
export function utcOffsetLabel(minutes: number): string {
  const a = Math.abs(minutes);
  return `UTC${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * Missed of all, in percent with one decimal and a comma (Russian Excel reads "12,5" as a
 * number, "12.5" as text). Empty when there were no calls: no share, rather than a made-up 0.
 */
export function missedPercent(answered: number, missed: number): string {
  const all = answered + missed;
  return all ? String(Math.round((missed / all) * 1000) / 10).replace('.', ',') : '';
}

const hourLabel = (h: number) => `${String(h).padStart(2, '0')}:00–${String(h + 1).padStart(2, '0')}:00`;

export interface StatsCsvInput {
  stats: StatsResult;
  first: string;
  last: string;
  zone: StatsCountedIn;
  /** The one employee whose figures these are; absent for everyone's. */
  employeeName?: string;
}

/** The file's text, BOM first. Every day of the period has its row (days without calls as zeros), so do all 24 hours. */
export function statsCsv({ stats, first, last, zone, employeeName }: StatsCsvInput): string {
  const zoneLabel = 'tz' in zone ? zone.tz : utcOffsetLabel(zone.tzOffset);
  const lines: string[] = [csvRow([`Период: ${ruDate(first)} – ${ruDate(last)}; часовой пояс: ${zoneLabel}`])];
  if (employeeName !== undefined) lines.push(csvRow([`Сотрудник: ${employeeName}`]));

  const byDay = new Map(stats.days.map((d) => [d.day.slice(0, 10), d]));
  const days = calendarDays(first, last);
  // Never expected (callStats counts [since, until) in the same zone), but a day is not dropped.
  for (const d of byDay.keys()) if (!days.includes(d)) days.push(d);
  days.sort();
  lines.push('\r\n', csvRow(['По дням']), csvRow(DAY_HEADER));
  for (const day of days) {
    const d = byDay.get(day) ?? { answered: 0, missed: 0 };
    lines.push(csvRow([ruDate(day), d.answered, d.missed, d.answered + d.missed, missedPercent(d.answered, d.missed)]));
  }
  const t = stats.totals;
  lines.push(csvRow(['Итого', t.answered, t.missed, t.answered + t.missed, missedPercent(t.answered, t.missed)]));

  lines.push('\r\n', csvRow(['По часам']), csvRow(HOUR_HEADER));
  const byHour = new Map(stats.byHour.map((h) => [h.hour, h]));
  for (let h = 0; h < 24; h++) lines.push(csvRow([hourLabel(h), byHour.get(h)?.answered ?? 0, byHour.get(h)?.missed ?? 0]));

  lines.push('\r\n', csvRow(['По сотрудникам']), csvRow(EMPLOYEE_HEADER));
  for (const e of stats.byEmployee) lines.push(csvRow([e.name, e.answered, e.missed, e.avgWaitSec, e.avgTalkSec]));

  return CSV_BOM + lines.join('');
}

/** stats-YYYY-MM-DD_YYYY-MM-DD.csv: the period's first and last day on the viewer's clock. */
export const statsFilename = (first: string, last: string) => `stats-${first}_${last}.csv`;
