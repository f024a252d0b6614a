// stats/request → {"key"}; stats/result → 204 while "preparing", then 200 CSV; 404 unknown key.
import { RESULT } from './codes';
import { emptyReply, fail, jsonReply, type Reply } from './api-reply';
import type { HandlerContext } from './api-context';
import type { IdSource } from './ids';
import { DEFAULT_STATS_FIELDS, isStatsField, statsCsv, type StatsField } from './stats-csv';
import type { CallRecord } from './types';
import { isObject, optionalText, requireText, withParams, type Json } from './api-validate';

const MAX_PERIOD_SECONDS = 31 * 24 * 3600;
/** Prepared data lives "at least 1 minute" at Mango; we keep it longer for slow tests. */
const KEY_TTL_MS = 10 * 60_000;

interface StatsJob {
  key: string;
  rows: CallRecord[];
  fields: StatsField[];
  pendingPolls: number;
  createdAt: number;
}

export class StatsJobs {
  private readonly jobs = new Map<string, StatsJob>();
  constructor(private readonly ids: IdSource) {}

  create(rows: CallRecord[], fields: StatsField[], pendingPolls: number, now: number): string {
    for (const [key, job] of this.jobs) if (now - job.createdAt > KEY_TTL_MS) this.jobs.delete(key);
    const key = this.ids.statsKey();
    this.jobs.set(key, { key, rows, fields, pendingPolls, createdAt: now });
    return key;
  }

  get(key: string, now: number): StatsJob | undefined {
    const job = this.jobs.get(key);
    if (job && now - job.createdAt > KEY_TTL_MS) {
      this.jobs.delete(key);
      return undefined;
    }
    return job;
  }
}

function parseFields(raw: unknown): StatsField[] | 'bad' {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_STATS_FIELDS;
  // DOC110 shows an array; real clients send a comma-separated string. Accept both.
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null;
  if (!list) return 'bad';
  const fields = list.map((f) => (typeof f === 'string' ? f.trim() : ''));
  return fields.every(isStatsField) ? (fields as StatsField[]) : 'bad';
}

type PartyFilter = { extension?: string; number?: string };

function parseParty(json: Json, name: string): PartyFilter | undefined | 'bad' {
  const v = json[name];
  if (v === undefined) return undefined;
  if (!isObject(v)) return 'bad';
  return { extension: optionalText(v, 'extension'), number: optionalText(v, 'number') };
}

const matches = (f: PartyFilter, ext: string, num: string) =>
  (f.extension === undefined || f.extension === ext) && (f.number === undefined || f.number === num);

export function statsRequest(ctx: HandlerContext): Reply {
  return withParams(() => {
    const { json, state } = ctx;
    const from = Number(requireText(json, 'date_from'));
    const to = Number(requireText(json, 'date_to'));
    if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return fail(RESULT.badFormat);
    if (to - from > MAX_PERIOD_SECONDS) return fail(RESULT.badParams);
    const fields = parseFields(json.fields);
    const fromF = parseParty(json, 'from');
    const toF = parseParty(json, 'to');
    const party = parseParty(json, 'call_party');
    if (fields === 'bad' || fromF === 'bad' || toF === 'bad' || party === 'bad') return fail(RESULT.badFormat);
    if (party && (fromF || toF)) return fail(RESULT.badParams); // call_party excludes from/to
    const rows = state.calls.filter(
      (c) =>
        c.start >= from &&
        c.start <= to &&
        (!fromF || matches(fromF, c.from_extension, c.from_number)) &&
        (!toF || matches(toF, c.to_extension, c.to_number)) &&
        (!party || matches(party, c.from_extension, c.from_number) || matches(party, c.to_extension, c.to_number)),
    );
    const key = ctx.stats.create([...rows], fields, state.statsPendingPolls, ctx.nowMs());
    return jsonReply({ key });
  });
}

export function statsResult(ctx: HandlerContext): Reply {
  return withParams(() => {
    const key = requireText(ctx.json, 'key');
    const job = ctx.stats.get(key, ctx.nowMs());
    if (!job) return emptyReply(404);
    if (job.pendingPolls > 0) {
      job.pendingPolls--;
      return emptyReply(204);
    }
    return { status: 200, body: statsCsv(job.rows, job.fields), contentType: 'text/csv; charset=utf-8' };
  });
}
