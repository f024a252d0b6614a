/** Display formatting: phones, durations, dates, Russian plurals. Pure; no DOM, no api. */
import { formatPhone as formatPhoneShared, normalizePhone as normalizePhoneShared } from '../src-shared/phone';
import type { Call } from '../src-shared/wire';
import type { CallsTotal } from '../src-shared/ipc/telephony';
import { PLURALS, S, type PluralForms } from './strings';
import { pluralIndex } from '../src-shared/plural';

/**
 * Parsing a number with libphonenumber costs a fraction of a millisecond; a list scrolling
 * through thousands of calls shows the same few hundred numbers again and again, so results
 * are memoized (bounded: the cache starts over past a few thousand entries).
 */
function memo1<R>(fn: (s: string) => R, max = 5000): (s: string) => R {
  let cache = new Map<string, R>();
  return (s) => {
    const hit = cache.get(s);
    if (hit !== undefined || cache.has(s)) return hit as R;
    const r = fn(s);
    if (cache.size >= max) cache = new Map();
    cache.set(s, r);
    return r;
  };
}

const normalizeCached = memo1((s) => normalizePhoneShared(s));
const formatCached = memo1((s) => formatPhoneShared(s));

/** normalizePhone of src-shared/phone, memoized. */
export function normalizePhone(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  return normalizeCached(String(raw));
}

/** The word alone: plural(5, PLURALS.call) → "звонков". */
export function plural(n: number, forms: PluralForms): string {
  return forms[pluralIndex(n)];
}

/** Number and word: pluralize(2, PLURALS.call) → "2 звонка"; thousands grouped the Russian way. */
export function pluralize(n: number, forms: PluralForms): string {
  return `${formatInt(n)} ${plural(n, forms)}`;
}

export function countCalls(n: number): string {
  return pluralize(n, PLURALS.call);
}

/**
 * History's count: exact once every page is loaded; before that the relay's total for the
 * filter («более 10 000 звонков» past its counting limit); without a total (offline cache), what
 * is loaded so far with a "+".
 */
export function countLabel(loaded: number, more: boolean, total: CallsTotal | null): string {
  if (!more) return countCalls(loaded);
  if (total) return (total.capped ? S.calls.moreThan + ' ' : '') + countCalls(Math.max(total.count, loaded));
  return countCalls(loaded) + (loaded > 0 ? '+' : '');
}

/** 1234567 → "1 234 567" (narrow no-break spaces, as ru-RU does). */
export function formatInt(n: number): string {
  return Math.trunc(n).toLocaleString('ru-RU');
}

/**
 * Call durations: under an hour "m:ss" (0:07, 1:05, 59:59); from an hour on "1 ч 02 мин".
 * Negative or non-finite values show as 0:00.
 */
export function formatDuration(totalSec: number): string {
  const sec = Number.isFinite(totalSec) && totalSec > 0 ? Math.round(totalSec) : 0;
  if (sec < 3600) {
    const m = Math.floor(sec / 60);
    const s = sec % 60;
    return `${m}:${String(s).padStart(2, '0')}`;
  }
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  return `${h} ч ${String(m).padStart(2, '0')} мин`;
}

/** A phone for display; empty or hidden numbers become "Номер скрыт". */
export function formatPhone(raw: string | null | undefined): string {
  const s = raw == null ? '' : formatCached(String(raw));
  return s || S.calls.noNumber;
}

/** The external party's number of a call (what is shown and called back). */
export function callNumber(call: Call): string | null {
  if (call.clientNumber) return call.clientNumber;
  if (call.direction === 'out') return call.to.number ?? call.to.extension;
  if (call.direction === 'in') return call.from.number ?? call.from.extension;
  return call.from.extension ?? call.from.number ?? call.to.extension ?? call.to.number;
}

function toDate(d: string | number | Date): Date {
  return d instanceof Date ? d : new Date(d);
}

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** "14:05" in local time. */
export function formatTime(d: string | number | Date): string {
  const x = toDate(d);
  if (Number.isNaN(x.getTime())) return '';
  return `${pad2(x.getHours())}:${pad2(x.getMinutes())}`;
}

/** "14:05:09" in local time. */
export function formatTimeSec(d: string | number | Date): string {
  const x = toDate(d);
  if (Number.isNaN(x.getTime())) return '';
  return `${formatTime(x)}:${pad2(x.getSeconds())}`;
}

/** "05.03.2025". */
export function formatDate(d: string | number | Date): string {
  const x = toDate(d);
  if (Number.isNaN(x.getTime())) return '';
  return `${pad2(x.getDate())}.${pad2(x.getMonth() + 1)}.${x.getFullYear()}`;
}

export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** "Сегодня", "Вчера" or "05.03.2025" relative to `now`. */
export function formatDay(d: string | number | Date, now: Date = new Date()): string {
  const x = toDate(d);
  if (Number.isNaN(x.getTime())) return '';
  const day = startOfDay(x).getTime();
  const today = startOfDay(now).getTime();
  if (day === today) return S.time.today;
  const yesterday = startOfDay(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1)).getTime();
  if (day === yesterday) return S.time.yesterday;
  return formatDate(x);
}

/** "Сегодня, 14:05" / "Вчера, 09:12" / "05.03.2025, 18:40". */
export function formatDateTime(d: string | number | Date, now: Date = new Date()): string {
  const x = toDate(d);
  if (Number.isNaN(x.getTime())) return '';
  return `${formatDay(x, now)}, ${formatTime(x)}`;
}

/** Months as «23 нояб.» writes them (genitive, abbreviated like ru-RU). */
const MONTHS_SHORT = ['янв.', 'февр.', 'мар.', 'апр.', 'мая', 'июн.', 'июл.', 'авг.', 'сент.', 'окт.', 'нояб.', 'дек.'];

/**
 * A date in a narrow list (mail): "14:05" today, "Вчера, 09:12", "23 нояб., 22:43" this year,
 * "23.11.2024" before — the year only where it tells something.
 */
export function formatListDate(d: string | number | Date, now: Date = new Date()): string {
  const x = toDate(d);
  if (Number.isNaN(x.getTime())) return '';
  const day = formatDay(x, now);
  if (day === S.time.today) return formatTime(x);
  if (day === S.time.yesterday) return `${day}, ${formatTime(x)}`;
  if (x.getFullYear() !== now.getFullYear()) return formatDate(x);
  return `${x.getDate()} ${MONTHS_SHORT[x.getMonth()]}, ${formatTime(x)}`;
}

/** "12%" / "4,5%" from a 0..1 ratio. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '0%';
  const p = ratio * 100;
  const digits = p > 0 && p < 10 && Math.round(p) !== p ? 1 : 0;
  return `${p.toLocaleString('ru-RU', { maximumFractionDigits: digits, minimumFractionDigits: 0 })}%`;
}

/** Local "YYYY-MM-DD" for <input type=date>. */
export function toDateInput(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** Parses a local "YYYY-MM-DD" into the start of that local day; null when invalid. */
export function fromDateInput(s: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A call's status as shown to a person: an ended incoming call nobody took is "Пропущен". */
export function callStatusLabel(call: Call): string {
  if (call.status === 'active') return call.direction === 'out' && call.phase === 'ringing' ? S.phase.dialling : S.phase[call.phase];
  return S.status[call.status];
}

/** Seconds of a player position: "1:05"; hours as "1:02:05". */
export function formatClock(totalSec: number): string {
  const sec = Number.isFinite(totalSec) && totalSec > 0 ? Math.floor(totalSec) : 0;
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

/** An amount in rubles as Russians write it: «15 230,50 ₽». */
export function formatRubles(amount: number): string {
  return amount.toLocaleString('ru-RU', { style: 'currency', currency: 'RUB' });
}

/**
 * A text cut into its phone numbers («+7 (916) 123-45-67», «8 800 555-35-35») and the rest, so a
 * number can be kept on one line (a toast must not wrap it as «…123-45-» / «67»). The pieces
 * joined give the text back unchanged.
 */
export function splitPhones(text: string): { text: string; phone: boolean }[] {
  const out: { text: string; phone: boolean }[] = [];
  let at = 0;
  // Seven or more characters of digits, spaces, brackets and hyphens, from a digit (or «+») to a digit.
  for (const m of text.matchAll(/\+?\d[\d\s()\-\u00a0]{5,}\d/g)) {
    if (m.index > at) out.push({ text: text.slice(at, m.index), phone: false });
    out.push({ text: m[0], phone: true });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at), phone: false });
  return out;
}
