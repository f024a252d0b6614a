/**
 * «Звонки за сегодня»: the summary cards on the main page. The categories do not overlap, so
 * Всего = Принято + Пропущено + Исходящие + Внутренние + Идут сейчас (a call still in the voice menu, ringing
 * or talking is counted as going on, not as missed). Each card but «Идут сейчас» opens the history
 * with the matching filter (`#/calls?…`, read by the history page with {@link historyFilterFromQuery}).
 */
import { CallDirectionSchema, type Call, type CallDirection } from '../src-shared/wire';

export interface CallSummary {
  total: number;
  /** Incoming calls that were answered. */
  answered: number;
  /** Incoming calls nobody answered. */
  missed: number;
  /** Calls made by the company, whatever their outcome. */
  outgoing: number;
  /** Calls between employees that ended, whatever their outcome. */
  internal: number;
  /** Not ended yet: in the voice menu, ringing or talking. */
  active: number;
}

export function summarizeCalls(calls: readonly Call[]): CallSummary {
  const s: CallSummary = { total: calls.length, answered: 0, missed: 0, outgoing: 0, internal: 0, active: 0 };
  for (const c of calls) {
    if (c.direction === 'out') s.outgoing++;
    else if (c.status === 'active') s.active++;
    else if (c.direction === 'internal') s.internal++;
    else if (c.status === 'answered') s.answered++;
    else s.missed++;
  }
  return s;
}

export type HistoryDirection = '' | CallDirection;
export type HistoryResult = '' | 'answered' | 'missed' | 'unanswered';
export type HistoryPeriod = 'all' | 'today' | '7d' | '30d' | 'custom';

export interface HistoryQuery {
  direction: HistoryDirection;
  result: HistoryResult;
  period: HistoryPeriod;
}

/** The history link of a summary card (`null`: no filter shows just those calls). */
export function summaryLink(kind: keyof CallSummary): string | null {
  switch (kind) {
    case 'total':
      return '/calls?period=today';
    case 'answered':
      return '/calls?period=today&direction=in&result=answered';
    case 'missed':
      return '/calls?period=today&direction=in&result=missed';
    case 'outgoing':
      return '/calls?period=today&direction=out';
    case 'internal':
      return '/calls?period=today&direction=internal';
    default:
      return null;
  }
}

const DIRECTIONS: readonly HistoryDirection[] = CallDirectionSchema.options;
const RESULTS: readonly HistoryResult[] = ['answered', 'missed', 'unanswered'];
const PERIODS: readonly HistoryPeriod[] = ['all', 'today', '7d', '30d'];

/** The history's initial filters from `#/calls?…`; anything unknown is left at «all». */
export function historyFilterFromQuery(q: URLSearchParams): HistoryQuery {
  const pick = <T extends string>(v: string | null, allowed: readonly T[], dflt: T): T => (v != null && (allowed as readonly string[]).includes(v) ? (v as T) : dflt);
  return {
    direction: pick(q.get('direction'), DIRECTIONS, ''),
    result: pick(q.get('result'), RESULTS, ''),
    period: pick(q.get('period'), PERIODS, 'all'),
  };
}
