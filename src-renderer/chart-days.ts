/**
 * The x axis of the per-day statistics charts, as pure functions: the range uPlot shows and
 * which days get a label. uPlot's own choice fails here: for a single point its time scale
 * spans 86400 / 1e-3 s (1000 days), and its month-sized ticks read «01.02 01.05 … 01.02».
 */

export const DAY_SEC = 86_400;

/** Steps between labelled days, smallest first. */
const STEPS = [1, 2, 7, 14, 30, 91, 182, 365];

/** Room one label needs, in CSS px: «25.11» and «25.11.24» at the axis font, plus a gap. */
const LABEL_PX = 50;
const LABEL_YEAR_PX = 66;

/**
 * [first day − ½ day, last day + ½ day] for days at `xs` (local midnights, in seconds): each day
 * owns a whole day of width, so the first and last days' bars show whole. Taken from the data,
 * not from uPlot's min/max, which is 1000 days wide when there is one day. Null without days.
 */
export function dayRange(xs: ArrayLike<number | null | undefined>): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x == null || !Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return min <= max ? [min - DAY_SEC / 2, max + DAY_SEC / 2] : null;
}

/** «dd.MM», or «dd.MM.yy» with `withYear`, for a local midnight in seconds. */
export function dayLabel(sec: number, withYear = false): string {
  const d = new Date(sec * 1000);
  const dm = `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}`;
  return withYear ? `${dm}.${String(d.getFullYear() % 100).padStart(2, '0')}` : dm;
}

/**
 * The labelled days of `xs` for a plot `plotWidthPx` CSS px wide, and their labels. Every day when
 * there is room, else every 2nd, 7th, 14th… day counted back from the last one, so the period's
 * last day (usually today) is always labelled. Labels never repeat: over a year they carry the year.
 */
export function dayTicks(xs: ArrayLike<number | null | undefined>, plotWidthPx: number): { ticks: number[]; labels: string[] } {
  const range = dayRange(xs);
  if (!range) return { ticks: [], labels: [] };
  const days = [...new Set(Array.from(xs).filter((x): x is number => x != null && Number.isFinite(x)))].sort((a, b) => a - b);
  const last = days[days.length - 1];
  const pxPerDay = Math.max(1, plotWidthPx) / ((range[1] - range[0]) / DAY_SEC);
  const pick = (labelPx: number) => {
    const step = STEPS.find((s) => s * pxPerDay >= labelPx) ?? STEPS[STEPS.length - 1];
    // Rounded: a day with a DST change is 23 or 25 hours long.
    return days.filter((x) => Math.round((last - x) / DAY_SEC) % step === 0);
  };
  // Over a year «dd.MM» is ambiguous and may repeat; shorter, two days never share it.
  const withYear = last - days[0] >= 365 * DAY_SEC;
  const ticks = pick(withYear ? LABEL_YEAR_PX : LABEL_PX);
  return { ticks, labels: ticks.map((x) => dayLabel(x, withYear)) };
}
