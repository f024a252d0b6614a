import { UNSTORABLE_TEXT } from '../db/unstorable';

/**
 * Whether a parsed Mango event can be stored as PostgreSQL jsonb, checked on the parsed value
 * (not the text: a JSON body unescapes its own fields, and an escaped backslash before "u0000"
 * is text, not NUL). Iterative, so that nesting cannot overflow the stack here; nesting is
 * bounded because PostgreSQL's own parser fails deep in a batch (taking the other events'
 * commit with it), and Mango's events are a few levels deep.
 */
export const MAX_EVENT_DEPTH = 32;


/** Why `payload` cannot be stored, or null when it can. */
export function unstorableReason(payload: unknown): string | null {
  const stack: Array<[unknown, number]> = [[payload, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (typeof value === 'string') {
      if (UNSTORABLE_TEXT.test(value)) return 'json contains characters that cannot be stored (NUL or lone surrogates)';
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth > MAX_EVENT_DEPTH) return `json is nested deeper than ${MAX_EVENT_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth + 1]);
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (UNSTORABLE_TEXT.test(key)) return 'json contains characters that cannot be stored (NUL or lone surrogates)';
      stack.push([item, depth + 1]);
    }
  }
  return null;
}
