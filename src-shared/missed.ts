/**
 * The «Пропущенные — перезвонить» list as people read it: one row per caller, not per call.
 * The core counts these rows for the badge, tray and window title, and the renderer draws
 * them, from the same read of the relay's /api/missed: the two cannot disagree.
 *
 * Callers, not calls, are counted: a row is one thing to do (one call back settles all of that
 * number's missed calls, on the relay as here), so «Главная 3» means three people to call back,
 * and the figure always equals the number of rows the user sees under the same header.
 */
import type { Call } from './wire';
import { normalizePhone } from './phone';

export interface MissedGroup {
  /** The normalized number, or `#<call id>` for a hidden number (nothing to group by or call). */
  key: string;
  /** The number to call back, as the newest call gives it; null when the caller hid it. */
  number: string | null;
  /** Newest first; `calls[0]` is the one the row shows the time of. */
  calls: Call[];
}

/** Who called: a missed call is incoming, but an internal one has only an extension. */
export function missedNumber(c: Call): string | null {
  return c.clientNumber ?? c.from.number ?? c.from.extension ?? null;
}

export function missedKey(c: Call): string {
  const n = missedNumber(c);
  return (n && normalizePhone(n)) || n || `#${c.id}`;
}

/** Rows newest first, each caller once, with all of their missed calls. */
export function groupMissed(calls: readonly Call[]): MissedGroup[] {
  const sorted = [...calls].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id - a.id);
  const byKey = new Map<string, MissedGroup>();
  for (const c of sorted) {
    const key = missedKey(c);
    const g = byKey.get(key);
    if (g) g.calls.push(c);
    else byKey.set(key, { key, number: missedNumber(c), calls: [c] });
  }
  return [...byKey.values()];
}

/** The figure of the badges: callers waiting for a call back. */
export function countMissedCallers(calls: readonly Call[]): number {
  return new Set(calls.map(missedKey)).size;
}
