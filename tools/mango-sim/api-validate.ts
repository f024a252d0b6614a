// Parameter checks with Mango's codes: missing → 3103, wrong shape → 3104.
import { RESULT } from './codes';
import { fail, type Reply } from './api-reply';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads "a.b" from nested objects. */
export function getPath(json: Json, path: string): unknown {
  let cur: unknown = json;
  for (const part of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Ids and numbers travel as strings or numbers (§1.4): accept both, as text. */
export function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export class ParamError extends Error {
  constructor(readonly code: number, readonly field: string) {
    super(`param ${field}: ${code}`);
  }
}

/** A required scalar parameter as text; throws ParamError (3103 missing, 3104 wrong type). */
export function requireText(json: Json, path: string): string {
  const v = getPath(json, path);
  if (v === undefined || v === null || v === '') throw new ParamError(RESULT.missingParam, path);
  const s = asText(v);
  if (s === undefined) throw new ParamError(RESULT.badFormat, path);
  return s;
}

export function optionalText(json: Json, path: string): string | undefined {
  const v = getPath(json, path);
  if (v === undefined || v === null || v === '') return undefined;
  const s = asText(v);
  if (s === undefined) throw new ParamError(RESULT.badFormat, path);
  return s;
}

/** Runs a handler body, turning ParamError into the Mango error reply. */
export function withParams(run: () => Reply): Reply {
  try {
    return run();
  } catch (e) {
    if (e instanceof ParamError) return fail(e.code);
    throw e;
  }
}
