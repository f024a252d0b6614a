// The doc examples carry numbers as strings ("seq":"1"); real traffic uses integers.
// The 'strings' variant lets receivers be tested against both (mango-api.md §2.1, §8.6).
import type { SimEvent, TypeVariant } from './types';

const NUMERIC_KEYS = new Set([
  'seq',
  'timestamp',
  'disconnect_reason',
  'call_direction',
  'entry_result',
  'create_time',
  'forward_time',
  'talk_time',
  'end_time',
  'completion_code',
  'result',
]);

export function stringifyNumbers(payload: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    out[key] = NUMERIC_KEYS.has(key) && typeof value === 'number' ? String(value) : value;
  }
  return out;
}

export function applyTypeVariant(events: SimEvent[], variant: TypeVariant | undefined): SimEvent[] {
  if (variant !== 'strings') return events;
  return events.map((e) => ({ path: e.path, payload: stringifyNumbers(e.payload) }));
}
