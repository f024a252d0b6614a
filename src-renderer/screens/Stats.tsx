/**
 * `#/stats`: calls per day (answered vs missed), by hour of day, per employee (answered,
 * missed, average wait and talk), missed-call rate. Admins see everyone (or one employee);
 * employees see their own.
 */
import { useEffect, useMemo } from 'react';
import uPlot from 'uplot';
import type { StatsResult } from '../../src-shared/ipc/telephony';
import { dayRange, dayTicks } from '../chart-days';
import { CsvExportButton } from '../components/CsvExportButton';
import { barPaths, UChart } from '../components/UChart';
import { formatDate, formatDuration, formatInt, formatPercent } from '../format';
import { S } from '../strings';
import { useAdmin } from '../stores/admin';
import { useIsAdmin } from '../stores/session';
import { exportStats, useStats, type StatsPeriod } from '../stores/stats';

const GREEN = '#2f9e5b';
const RED = '#d9534f';
const AMBER = '#d98a00';
const AXIS = { stroke: '#5b6472', grid: { stroke: '#eceff3', width: 1 }, ticks: { stroke: '#dde1e7', width: 1 } };

const PERIODS: { value: StatsPeriod; label: string }[] = [
  { value: 'today', label: S.calls.periodToday },
  { value: '7d', label: S.calls.periodWeek },
  { value: '30d', label: S.calls.periodMonth },
  { value: '90d', label: '90 дней' },
  { value: 'custom', label: S.calls.periodCustom },
];

function dayTs(day: string): number {
  // "YYYY-MM-DD" (or an ISO date) → local midnight, in seconds for uPlot.
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day);
  const d = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : new Date(day);
  return Math.floor(d.getTime() / 1000);
}

/** "UTC+05:00", "UTC-03:30" for an offset in minutes east of UTC. */
export function utcOffsetLabel(minutes: number): string {
  const a = Math.abs(minutes);
  return `UTC${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * The per-day x axis: the range and the labelled days come from the data (chart-days.ts), not
 * from uPlot's time scale, which makes one day 1000 days wide. The labels also go to the chart's
 * `data-x-labels`: uPlot draws them on canvas, where a browser test cannot read them.
 */
function dayScale(): uPlot.Scale {
  return { time: true, range: (u, min, max) => dayRange(u.data[0]) ?? [min, max] };
}
function dayAxis(): uPlot.Axis {
  const ticks = (u: uPlot) => dayTicks(u.data[0], u.bbox.width / uPlot.pxRatio);
  return {
    ...AXIS,
    splits: (u) => ticks(u).ticks,
    values: (u) => {
      const { labels } = ticks(u);
      u.root.dataset.xLabels = labels.join(' ');
      return labels;
    },
  };
}

/** Room for the widest y label ("12 345"), measured like uPlot draws it. */
function axisSize(_u: uPlot, values: string[] | null): number {
  const longest = (values ?? []).reduce((m, v) => Math.max(m, String(v ?? '').length), 1);
  return Math.max(36, 14 + longest * 8);
}

/** Every local day from `since` (inclusive) to `until` (exclusive) as "YYYY-MM-DD". */
export function daysBetween(since: string, until: string): string[] {
  const out: string[] = [];
  const a = new Date(since);
  const b = new Date(until);
  if (Number.isNaN(a.getTime()) || Number.isNaN(b.getTime())) return out;
  for (let d = new Date(a.getFullYear(), a.getMonth(), a.getDate()); d < b && out.length < 800; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
    out.push(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`);
  }
  return out;
}

function intValues(_u: uPlot, splits: number[]) {
  return splits.map((v) => (Number.isInteger(v) ? formatInt(v) : ''));
}

function perDayOptions(): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    legend: { show: true, live: false },
    cursor: { points: { show: false } },
    scales: { x: dayScale(), y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
    axes: [dayAxis(), { ...AXIS, values: intValues, size: axisSize }],
    series: [
      { label: 'Дата', value: (_u, v) => (v == null ? '' : formatDate(v * 1000)) },
      { label: S.stats.answered, stroke: GREEN, fill: GREEN + 'cc', width: 0, paths: barPaths(-1), points: { show: false } },
      { label: S.stats.missed, stroke: RED, fill: RED + 'cc', width: 0, paths: barPaths(1), points: { show: false } },
    ],
  };
}

function perHourOptions(): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    legend: { show: true, live: false },
    cursor: { points: { show: false } },
    scales: { x: { time: false, range: [-0.5, 23.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
    axes: [
      { ...AXIS, values: (_u, splits) => splits.map((h) => (Number.isInteger(h) && h >= 0 && h <= 23 ? String(h).padStart(2, '0') : '')), space: 24 },
      { ...AXIS, values: intValues, size: axisSize },
    ],
    series: [
      { label: 'Час', value: (_u, v) => (v == null ? '' : S.stats.hourLabel(v)) },
      { label: S.stats.answered, stroke: GREEN, fill: GREEN + 'cc', width: 0, paths: barPaths(-1), points: { show: false } },
      { label: S.stats.missed, stroke: RED, fill: RED + 'cc', width: 0, paths: barPaths(1), points: { show: false } },
    ],
  };
}

function perEmployeeOptions(names: string[]): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    legend: { show: true, live: false },
    cursor: { points: { show: false } },
    scales: { x: { time: false, range: [-0.5, Math.max(0.5, names.length - 0.5)] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
    axes: [
      {
        ...AXIS,
        values: (_u, splits) => splits.map((i) => (Number.isInteger(i) && names[i] ? (names[i].length > 14 ? names[i].slice(0, 13) + '…' : names[i]) : '')),
        space: 30,
        incrs: [1],
      },
      { ...AXIS, values: intValues, size: axisSize },
    ],
    series: [
      { label: S.stats.employee, value: (_u, v) => (v == null ? '' : (names[v] ?? '')) },
      { label: S.stats.answered, stroke: GREEN, fill: GREEN + 'cc', width: 0, paths: barPaths(-1, 0.5), points: { show: false } },
      { label: S.stats.missed, stroke: RED, fill: RED + 'cc', width: 0, paths: barPaths(1, 0.5), points: { show: false } },
    ],
  };
}

function rateOptions(): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    legend: { show: true, live: false },
    scales: { x: dayScale(), y: { range: (_u, _min, max) => [0, Math.min(100, Math.max(10, Math.ceil((max * 1.15) / 5) * 5))] } },
    axes: [dayAxis(), { ...AXIS, values: (_u, splits) => splits.map((v) => `${v}%`), size: 52 }],
    series: [
      { label: 'Дата', value: (_u, v) => (v == null ? '' : formatDate(v * 1000)) },
      {
        label: S.stats.missedRate,
        stroke: AMBER,
        width: 2,
        fill: AMBER + '22',
        points: { show: true, size: 5, fill: AMBER },
        value: (_u, v) => (v == null ? '' : formatPercent(v / 100)),
      },
    ],
  };
}

function Charts({ r, since, until }: { r: StatsResult; since: string; until: string }) {
  // Days without calls are zeros on the chart, not gaps: the whole period shows.
  const days = useMemo(() => {
    const by = new Map(r.days.map((d) => [d.day.slice(0, 10), d]));
    const all = daysBetween(since, until);
    const filled = all.map((day) => by.get(day) ?? { day, answered: 0, missed: 0 });
    for (const d of r.days) if (!all.includes(d.day.slice(0, 10))) filled.push(d);
    return filled.sort((a, b) => dayTs(a.day) - dayTs(b.day));
  }, [r, since, until]);
  const dayData = useMemo<uPlot.AlignedData>(() => [days.map((d) => dayTs(d.day)), days.map((d) => d.answered), days.map((d) => d.missed)], [days]);
  const rateData = useMemo<uPlot.AlignedData>(
    () => [days.map((d) => dayTs(d.day)), days.map((d) => (d.answered + d.missed > 0 ? Math.round((d.missed / (d.answered + d.missed)) * 1000) / 10 : null))],
    [days],
  );
  const hours = useMemo(() => {
    const by = new Map(r.byHour.map((h) => [h.hour, h]));
    return Array.from({ length: 24 }, (_, h) => by.get(h) ?? { hour: h, answered: 0, missed: 0 });
  }, [r]);
  const hourData = useMemo<uPlot.AlignedData>(() => [hours.map((h) => h.hour), hours.map((h) => h.answered), hours.map((h) => h.missed)], [hours]);
  const emps = useMemo(() => r.byEmployee.slice().sort((a, b) => b.answered + b.missed - (a.answered + a.missed)), [r]);
  const empNames = useMemo(() => emps.map((e) => e.name), [emps]);
  const empData = useMemo<uPlot.AlignedData>(() => [emps.map((_, i) => i), emps.map((e) => e.answered), emps.map((e) => e.missed)], [emps]);

  const dayOpts = useMemo(perDayOptions, []);
  const hourOpts = useMemo(perHourOptions, []);
  const empOpts = useMemo(() => perEmployeeOptions(empNames), [empNames]);
  const rateOpts = useMemo(rateOptions, []);

  // One day («Сегодня», or a custom day): a per-day chart would be one bar pair and one dot,
  // the same numbers as the cards above. The day's course is by hour, so that chart goes first, wide.
  const oneDay = days.length <= 1;

  return (
    <>
      {oneDay ? (
        <div className="stats-grid">
          <section className="card chart-card wide">
            <h2>{S.stats.perHour}</h2>
            <p className="muted" data-testid="stats-one-day">
              {S.stats.oneDayHint}
            </p>
            <UChart options={hourOpts} data={hourData} testId="chart-hours" />
          </section>
        </div>
      ) : (
        <div className="stats-grid">
          <section className="card chart-card wide">
            <h2>{S.stats.perDay}</h2>
            <UChart options={dayOpts} data={dayData} testId="chart-days" />
          </section>
          <section className="card chart-card">
            <h2>{S.stats.perHour}</h2>
            <UChart options={hourOpts} data={hourData} height={230} testId="chart-hours" />
          </section>
          <section className="card chart-card">
            <h2>{S.stats.missedRateChart}</h2>
            <UChart options={rateOpts} data={rateData} height={230} testId="chart-rate" />
          </section>
        </div>
      )}
      <section className="card">
        <h2>{S.stats.perEmployee}</h2>
        {emps.length > 0 ? <UChart options={empOpts} data={empData} height={Math.max(200, 220)} testId="chart-employees" /> : null}
        <table className="table stats-table" data-testid="stats-employees">
          <thead>
            <tr>
              <th>{S.stats.employee}</th>
              <th className="num">{S.stats.answered}</th>
              <th className="num">{S.stats.missed}</th>
              <th className="num">{S.stats.missedRate}</th>
              <th className="num">{S.stats.avgWait}</th>
              <th className="num">{S.stats.avgTalk}</th>
            </tr>
          </thead>
          <tbody>
            {emps.map((e) => (
              <tr key={e.employeeId}>
                <td>{e.name}</td>
                <td className="num">{formatInt(e.answered)}</td>
                <td className="num">{formatInt(e.missed)}</td>
                <td className="num">{formatPercent(e.answered + e.missed > 0 ? e.missed / (e.answered + e.missed) : 0)}</td>
                <td className="num">{formatDuration(e.avgWaitSec)}</td>
                <td className="num">{formatDuration(e.avgTalkSec)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

export function Stats() {
  const isAdmin = useIsAdmin();
  const st = useStats();
  const employees = useAdmin((s) => s.employees);
  const employeesLoaded = useAdmin((s) => s.employeesLoaded);
  const loadEmployees = useAdmin((s) => s.loadEmployees);
  useEffect(() => {
    void st.load();
    if (isAdmin && !employeesLoaded) void loadEmployees();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [isAdmin]);
  const r = st.result;
  const total = r?.totals;
  const countedIn = r?.countedIn;
  return (
    <div className="page stats">
      <header className="page-head">
        <h1>{S.stats.title}</h1>
        <div className="filters">
          <select value={st.period} onChange={(e) => void st.set({ period: e.target.value as StatsPeriod })} aria-label={S.stats.period} data-testid="stats-period">
            {PERIODS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
          {st.period === 'custom' ? (
            <span className="date-range">
              <span className="muted">{S.calls.from}</span>
              <input type="date" value={st.customFrom} onChange={(e) => void st.set({ customFrom: e.target.value })} aria-label={S.calls.from} />
              <span className="muted">{S.calls.to}</span>
              <input type="date" value={st.customTo} onChange={(e) => void st.set({ customTo: e.target.value })} aria-label={S.calls.to} />
            </span>
          ) : null}
          {isAdmin ? (
            <select
              value={st.employeeId == null ? '' : String(st.employeeId)}
              onChange={(e) => void st.set({ employeeId: e.target.value ? Number(e.target.value) : null })}
              aria-label={S.stats.employee}
              data-testid="stats-employee"
            >
              <option value="">{S.stats.employeeAll}</option>
              {employees.map((e) => (
                <option key={e.id} value={String(e.id)}>
                  {e.name}
                </option>
              ))}
            </select>
          ) : null}
          {/* The relay writes the file for what the screen shows (the store's last query). */}
          <CsvExportButton fetch={exportStats} labels={S.stats} disabled={!r || st.loading} testId="stats-export" />
        </div>
      </header>
      {!isAdmin ? <p className="muted">{S.stats.ownHint}</p> : null}
      {st.error ? <div className="error-box">{st.error}</div> : null}
      {countedIn && 'tzOffset' in countedIn ? (
        <p className="muted" data-testid="stats-counted-in">
          {S.stats.countedInOffset(utcOffsetLabel(countedIn.tzOffset))}
        </p>
      ) : null}
      {total ? (
        <div className="kpis" data-testid="stats-totals">
          <div className="kpi">
            <span className="kpi-label">{S.stats.total}</span>
            <span className="kpi-value">{formatInt(total.total)}</span>
          </div>
          <div className="kpi ok">
            <span className="kpi-label">{S.stats.answered}</span>
            <span className="kpi-value">{formatInt(total.answered)}</span>
          </div>
          <div className="kpi danger">
            <span className="kpi-label">{S.stats.missed}</span>
            <span className="kpi-value">{formatInt(total.missed)}</span>
          </div>
          <div className="kpi warn">
            <span className="kpi-label">{S.stats.missedRate}</span>
            <span className="kpi-value">{formatPercent(total.missedRate > 1 ? total.missedRate / 100 : total.missedRate)}</span>
          </div>
        </div>
      ) : null}
      {!r ? (
        st.loading ? <p className="muted">{S.loading}</p> : null
      ) : r.totals.total === 0 ? (
        <p className="muted empty card">{S.stats.noData}</p>
      ) : (
        <Charts r={r} since={st.since} until={st.until} />
      )}
    </div>
  );
}
