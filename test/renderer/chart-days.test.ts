import { describe, expect, it } from 'vitest';
import { DAY_SEC, dayLabel, dayRange, dayTicks } from '../../src-renderer/chart-days';

/** `n` consecutive local midnights (seconds) ending on 25.11.2024, like Stats.tsx gives uPlot. */
function days(n: number, last = new Date(2024, 10, 25)): number[] {
  return Array.from({ length: n }, (_, i) => new Date(last.getFullYear(), last.getMonth(), last.getDate() - (n - 1 - i)).getTime() / 1000);
}

describe('per-day chart x axis', () => {
  it('one day spans that day, not the 1000 days uPlot gives a single time point', () => {
    const [x] = days(1);
    expect(dayRange([x])).toEqual([x - DAY_SEC / 2, x + DAY_SEC / 2]);
    expect(dayTicks([x], 700)).toEqual({ ticks: [x], labels: ['25.11'] });
  });

  it('pads the first and last day by half a day, so their bar pairs (0.38 of a day each side) show whole', () => {
    const xs = days(30);
    const [min, max] = dayRange(xs)!;
    expect(xs[0] - min).toBe(DAY_SEC / 2);
    expect(max - xs[29]).toBe(DAY_SEC / 2);
    expect(max - xs[29]).toBeGreaterThan(0.38 * DAY_SEC);
    expect(dayRange([])).toBeNull();
    expect(dayRange([null, xs[3], undefined])).toEqual([xs[3] - DAY_SEC / 2, xs[3] + DAY_SEC / 2]);
  });

  it('labels every day of a week', () => {
    const xs = days(7);
    expect(dayTicks(xs, 700)).toEqual({ ticks: xs, labels: ['19.11', '20.11', '21.11', '22.11', '23.11', '24.11', '25.11'] });
  });

  it('thins 30 and 90 days to every 2nd/7th/14th day, counted back from the last day, without repeats', () => {
    const xs = days(30);
    const narrow = dayTicks(xs, 700); // 23 px a day: a label every 7 days
    expect(narrow.labels).toEqual(['28.10', '04.11', '11.11', '18.11', '25.11']);
    const wide = dayTicks(xs, 1100); // 37 px a day: every 2nd day
    expect(wide.labels).toHaveLength(15);
    expect(wide.labels.at(-1)).toBe('25.11');
    for (const [n, w] of [
      [30, 300],
      [90, 700],
      [90, 300],
    ]) {
      const { ticks, labels } = dayTicks(days(n), w);
      expect(new Set(labels).size).toBe(labels.length);
      expect(labels.every((l) => /^\d\d\.\d\d$/.test(l))).toBe(true);
      // At least 50 px apart, so the labels do not overlap.
      const pxPerDay = w / n;
      for (let i = 1; i < ticks.length; i++) expect(((ticks[i] - ticks[i - 1]) / DAY_SEC) * pxPerDay).toBeGreaterThanOrEqual(50);
    }
  });

  it('adds the year when «dd.MM» would repeat (a period over a year)', () => {
    const { labels } = dayTicks(days(800), 400);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.at(-1)).toBe('25.11.24');
    expect(dayLabel(new Date(2025, 0, 5).getTime() / 1000, true)).toBe('05.01.25');
  });

  it('keeps the step across a 23-hour day (DST)', () => {
    // Midnights 24 h apart except one 23 h day, as in a zone with summer time.
    const xs = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => i * DAY_SEC - (i >= 4 ? 3600 : 0));
    const { ticks } = dayTicks(xs, 8 * 25); // 25 px a day: every 2nd day
    expect(ticks).toEqual([xs[1], xs[3], xs[5], xs[7]]);
  });
});
