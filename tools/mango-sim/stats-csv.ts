// Basic statistics CSV (mango-api.md §6.1): ';' separated, never quoted, "\r\n" after every
// line including the last, records as [id1,id2].
import type { CallRecord } from './types';

export const STATS_FIELDS = [
  'records',
  'start',
  'finish',
  'answer',
  'from_extension',
  'from_number',
  'to_extension',
  'to_number',
  'disconnect_reason',
  'line_number',
  'location',
  'entry_id',
  'create',
] as const;

export type StatsField = (typeof STATS_FIELDS)[number];

/** v1.10 default order when the request names no fields. */
export const DEFAULT_STATS_FIELDS: StatsField[] = STATS_FIELDS.slice(0, 11) as StatsField[];

export const isStatsField = (f: string): f is StatsField => (STATS_FIELDS as readonly string[]).includes(f);

function cell(record: CallRecord, field: StatsField): string {
  if (field === 'records') return `[${record.records.join(',')}]`;
  const v = field === 'create' ? (record.create ?? record.start) : record[field];
  // Values are never escaped, so strip the separators a stray value could contain.
  return v === undefined || v === null ? '' : String(v).replace(/[;\r\n]/g, ' ');
}

export function statsCsv(records: CallRecord[], fields: StatsField[]): string {
  return records.map((r) => fields.map((f) => cell(r, f)).join(';') + '\r\n').join('');
}
