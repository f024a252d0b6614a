/**
 * Generated webhook requests for the 100,000-request fuzz run (fuzz.test.ts): the same kinds
 * as the suite's quick run (test/support/fuzz.ts) — valid and signed in three serializations,
 * unsigned, wrongly signed, wrong key, truncated, wrong types, random JSON on every event path,
 * garbage, huge — generated cheaply:
 * - one fast-check `sample` per chunk (never one per case: a nested `fc.sample` per case
 *   rebuilt a runner 11,000 times);
 * - huge bodies are not built as 300–600 KB strings and URL-encoded: they are a short prefix
 *   plus a slice of one shared buffer of 'x', written as is (what goes over the wire is the same).
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';

export interface FuzzCase {
  path: string;
  /** Form body; for `huge` only its prefix, followed on the wire by `hugeBytes` of 'x'. */
  body: string;
  hugeBytes?: number;
  label: Label;
  /** For `valid`: the idempotency key the event must be stored under (computed independently of the relay). */
  idemKey?: string;
}

export type Label = 'valid' | 'replay' | 'unsigned' | 'bad-sign' | 'wrong-key' | 'truncated' | `type:${string}` | 'random-json' | 'garbage' | 'huge';

/** Must be answered 200 (and stored once). */
export const MUST_ACCEPT: ReadonlySet<string> = new Set(['valid', 'replay']);
/**
 * Must never be answered 200: no valid signature (unsigned, bad-sign, wrong-key, garbage, huge)
 * or signed but not JSON (a strict prefix of a JSON object never parses).
 */
export const MUST_REFUSE: ReadonlySet<string> = new Set(['unsigned', 'bad-sign', 'wrong-key', 'garbage', 'huge', 'truncated']);
/** Never answered 200 because no valid signature was sent. */
export const UNSIGNED_KINDS: ReadonlySet<string> = new Set(['unsigned', 'bad-sign', 'wrong-key', 'garbage', 'huge']);

export const HUGE_MAX = 600_000;
export const HUGE_FILL = Buffer.alloc(HUGE_MAX, 'x');

export function fuzzCases(key: string, salt: string) {
  const sign = (json: string, k = key) => createHash('sha256').update(k + json + salt).digest('hex');
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

  const idArb = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.base64String({ minLength: 4, maxLength: 60 }), fc.integer({ min: 1, max: 1e9 }));
  const numOrStr = (a: fc.Arbitrary<number>) => fc.oneof(a, a.map(String));
  const unicodeText = fc.string({ unit: 'grapheme', maxLength: 30 });

  const validCall = fc.record({
    entry_id: idArb,
    call_id: idArb,
    timestamp: numOrStr(fc.integer({ min: 1_500_000_000, max: 2_000_000_000 })),
    seq: numOrStr(fc.integer({ min: 1, max: 50 })),
    call_state: fc.constantFrom('Appeared', 'Connected', 'OnHold', 'Disconnected'),
    location: fc.constantFrom('ivr', 'queue', 'abonent'),
    from: fc.record({ number: fc.oneof(fc.stringMatching(/^7\d{10}$/), unicodeText) }, { requiredKeys: [] }),
    to: fc.record({ extension: fc.stringMatching(/^\d{2,4}$/), number: unicodeText, line_number: fc.stringMatching(/^7\d{10}$/) }, { requiredKeys: [] }),
    dct: fc.constant({ type: 0 }),
  });

  /** Like PHP's json_encode (escaped slashes and \uXXXX), compact, or spaced, as Mango's senders do. */
  const serialize = (v: unknown, style: 'compact' | 'php' | 'spaced'): string => {
    const s = JSON.stringify(v, null, style === 'spaced' ? 1 : undefined);
    if (style !== 'php') return s;
    return s.replace(/\//g, '\\/').replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  };

  const signedForm = (json: string) => form({ vpbx_api_key: key, sign: sign(json), json });

  return fc.oneof(
    // Valid, signed over the exact text in three serializations.
    fc.tuple(validCall, fc.constantFrom('compact', 'php', 'spaced') as fc.Arbitrary<'compact' | 'php' | 'spaced'>).map(([e, style]): FuzzCase => ({
      path: 'events/call',
      body: signedForm(serialize(e, style)),
      label: 'valid',
      idemKey: `call:${e.call_id}:${Number(e.seq)}:${e.call_state}`,
    })),
    // Unsigned, wrongly signed, wrong key.
    validCall.map((e): FuzzCase => ({ path: 'events/call', body: form({ json: JSON.stringify(e) }), label: 'unsigned' })),
    fc
      .tuple(validCall, fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 0, maxLength: 70 }))
      .map(([e, s]): FuzzCase => ({ path: 'events/call', body: form({ vpbx_api_key: key, sign: s, json: JSON.stringify(e) }), label: 'bad-sign' })),
    validCall.map((e): FuzzCase => {
      const json = JSON.stringify(e);
      return { path: 'events/call', body: form({ vpbx_api_key: 'other', sign: sign(json, 'other'), json }), label: 'wrong-key' };
    }),
    // Signed but truncated JSON, wrong types, non-objects on every event path.
    fc.tuple(validCall, fc.nat()).map(([e, n]): FuzzCase => {
      const full = JSON.stringify(e);
      return { path: 'events/call', body: signedForm(full.slice(0, n % full.length)), label: 'truncated' };
    }),
    fc
      .tuple(validCall, fc.constantFrom('seq', 'timestamp', 'call_state', 'entry_id', 'from'), fc.oneof(fc.object(), fc.boolean(), fc.constant(null), fc.array(fc.nat()), fc.string()))
      .map(([e, k, v]): FuzzCase => ({ path: 'events/call', body: signedForm(JSON.stringify({ ...e, [k]: v })), label: `type:${k}` })),
    fc
      .tuple(fc.constantFrom('events/call', 'events/summary', 'events/recording', 'events/sms', 'events/dtmf'), fc.jsonValue())
      .map(([path, v]): FuzzCase => ({ path, body: signedForm(JSON.stringify(v) ?? 'null'), label: 'random-json' })),
    // Garbage bodies and huge bodies (over the relay's 256 KiB limit).
    fc.string({ maxLength: 300 }).map((b): FuzzCase => ({ path: 'events/call', body: b, label: 'garbage' })),
    fc.integer({ min: 300_000, max: HUGE_MAX }).map((n): FuzzCase => ({ path: 'events/call', body: form({ vpbx_api_key: key, sign: 'x', json: '' }), hugeBytes: n, label: 'huge' })),
  );
}
