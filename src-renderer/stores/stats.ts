/** Statistics `#/stats`: one StatsResult for a period (and optionally one employee). */
import { create } from 'zustand';
import type { StatsExport, StatsResult } from '../../src-shared/ipc/telephony';
import { call, toAppError } from '../api';

export type StatsPeriod = 'today' | '7d' | '30d' | '90d' | 'custom';

type StatsQuery = { since: string; until: string; employeeId?: number; tz?: string };

interface StatsStore {
  period: StatsPeriod;
  customFrom: string;
  customTo: string;
  employeeId: number | null;
  result: StatsResult | null;
  since: string;
  until: string;
  /** The query `result` answers: what «Выгрузить в CSV» exports, whatever the controls say meanwhile. */
  query: StatsQuery | null;
  loading: boolean;
  error: string | null;
  generation: number;
  set(p: Partial<Pick<StatsStore, 'period' | 'customFrom' | 'customTo' | 'employeeId'>>): Promise<void>;
  load(): Promise<void>;
}

/** [since, until) for a period relative to now; custom uses local YYYY-MM-DD (until inclusive). */
export function periodRange(period: StatsPeriod, now: Date, customFrom?: string, customTo?: string): { since: Date; until: Date } {
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const tomorrow = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1);
  const daysBack = (n: number) => new Date(today.getFullYear(), today.getMonth(), today.getDate() - (n - 1));
  switch (period) {
    case 'today':
      return { since: today, until: tomorrow };
    case '7d':
      return { since: daysBack(7), until: tomorrow };
    case '30d':
      return { since: daysBack(30), until: tomorrow };
    case '90d':
      return { since: daysBack(90), until: tomorrow };
    case 'custom': {
      const f = customFrom ? parseLocal(customFrom) : null;
      const t = customTo ? parseLocal(customTo) : null;
      const since = f ?? daysBack(30);
      const untilDay = t ?? today;
      return { since, until: new Date(untilDay.getFullYear(), untilDay.getMonth(), untilDay.getDate() + 1) };
    }
  }
}

/**
 * This computer's IANA time zone, the one periodRange's days are in: the relay counts days and
 * hours in it. Undefined when the runtime cannot tell (the relay then counts in Moscow time).
 */
export function localTimeZone(): string | undefined {
  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return typeof tz === 'string' && tz ? tz : undefined;
  } catch {
    return undefined;
  }
}

function parseLocal(s: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}

export const useStats = create<StatsStore>((set, get) => ({
  period: '30d',
  customFrom: '',
  customTo: '',
  employeeId: null,
  result: null,
  since: '',
  until: '',
  query: null,
  loading: false,
  error: null,
  generation: 0,

  async set(p) {
    set(p);
    await get().load();
  },

  async load() {
    const st = get();
    const { since, until } = periodRange(st.period, new Date(), st.customFrom, st.customTo);
    const generation = st.generation + 1;
    set({ loading: true, error: null, generation });
    try {
      const args: StatsQuery = { since: since.toISOString(), until: until.toISOString() };
      if (st.employeeId != null) args.employeeId = st.employeeId;
      const tz = localTimeZone();
      if (tz) args.tz = tz;
      const result = await call('stats:get', args);
      if (get().generation !== generation) return;
      set({ result, loading: false, since: args.since, until: args.until, query: args });
    } catch (e) {
      if (get().generation !== generation) return;
      set({ loading: false, error: toAppError(e).message });
    }
  },
}));

/** «Выгрузить в CSV»: the relay's file for the period and employee the screen shows. */
export function exportStats(): Promise<StatsExport> {
  const q = useStats.getState().query;
  if (!q) return Promise.reject(new Error('Статистика ещё не загружена'));
  return call('stats:export', q);
}
