import { findUnstorable } from '../db/unstorable';

/**
 * Whether a parsed Mango event can be stored as PostgreSQL jsonb, checked on the parsed value
 * (not the text: a JSON body unescapes its own fields, and an escaped backslash before "u0000"
 * is text, not NUL). Nesting is bounded because PostgreSQL's own parser fails deep in a batch
 * (taking the other events' commit with it), and Mango's events are a few levels deep.
 */
export const MAX_EVENT_DEPTH = 32;

/** Why `payload` cannot be stored, or null when it can. */
export function unstorableReason(payload: unknown): string | null {
  const u = findUnstorable(payload, MAX_EVENT_DEPTH);
  if (!u) return null;
  return u.why === 'depth' ? `json is nested deeper than ${MAX_EVENT_DEPTH} levels` : 'json contains characters that cannot be stored (NUL or lone surrogates)';
}
