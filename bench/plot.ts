/**
 * Latency percentile plots as standalone SVG (no plotting dependency for one chart): x on the
 * "nines" scale (p50, p90, p99, p99.9 equally spaced), y in milliseconds, one line per series.
 */
import { percentile } from './support';

export interface Series {
  name: string;
  /** Latencies in ms, sorted ascending. */
  sorted: number[];
  color: string;
}

const W = 720;
const H = 360;
const PAD = { l: 56, r: 16, t: 36, b: 44 };
const MAX_NINES = 3; // p99.9

const nines = (p: number) => -Math.log10(1 - p / 100);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function percentileSvg(title: string, series: Series[], budgetMs?: number): string {
  const top = Math.max(budgetMs ?? 0, ...series.map((s) => percentile(s.sorted, 99.9))) * 1.1 || 1;
  const x = (p: number) => PAD.l + (nines(p) / MAX_NINES) * (W - PAD.l - PAD.r);
  const y = (ms: number) => H - PAD.b - (Math.min(ms, top) / top) * (H - PAD.t - PAD.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (const p of [0, 50, 90, 99, 99.9]) {
    out.push(`<line x1="${x(p)}" x2="${x(p)}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="#ddd"/>`);
    out.push(`<text x="${x(p)}" y="${H - PAD.b + 16}" text-anchor="middle">p${p}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const ms = (top / 4) * i;
    out.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(ms)}" y2="${y(ms)}" stroke="#eee"/>`);
    out.push(`<text x="${PAD.l - 6}" y="${y(ms) + 4}" text-anchor="end">${ms.toFixed(ms < 10 ? 1 : 0)}</text>`);
  }
  out.push(`<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">ms</text>`);
  out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">percentile</text>`);
  if (budgetMs !== undefined) {
    out.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(budgetMs)}" y2="${y(budgetMs)}" stroke="#c33" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${W - PAD.r - 4}" y="${y(budgetMs) - 4}" text-anchor="end" fill="#c33">target ${budgetMs} ms</text>`);
  }
  series.forEach((s, k) => {
    if (!s.sorted.length) return;
    const pts: string[] = [];
    for (let i = 0; i <= 300; i++) {
      const p = 100 * (1 - Math.pow(10, -(MAX_NINES * i) / 300));
      pts.push(`${x(p).toFixed(1)},${y(percentile(s.sorted, p)).toFixed(1)}`);
    }
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    out.push(`<rect x="${PAD.l + 10}" y="${PAD.t + 6 + k * 18}" width="14" height="3" fill="${s.color}"/>`);
    out.push(`<text x="${PAD.l + 30}" y="${PAD.t + 11 + k * 18}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
