/**
 * Generated webhook requests, and how to send them, for the suite's quick fuzz run
 * (test/support/fuzz.ts) and the 100,000-request one (test/faults/fuzz.test.ts): valid and signed in three serializations,
 * unsigned, wrongly signed, wrong key, truncated, nested too deep, unstorable in PostgreSQL,
 * wrong types, random JSON on every event path, garbage, huge — generated cheaply:
 * - one fast-check `sample` per chunk (never one per case: a nested `fc.sample` per case
 *   rebuilt a runner 11,000 times);
 * - huge bodies are not built as 300–600 KB strings and URL-encoded: they are a short prefix
 *   plus a slice of one shared buffer of 'x', written as is (what goes over the wire is the same).
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

export interface FuzzCase {
  path: string;
  /** Form body; for `huge` only its prefix, followed on the wire by `hugeBytes` of 'x'. */
  body: string;
  hugeBytes?: number;
  label: Label;
  /** For `valid`: the idempotency key the event must be stored under (computed independently of the relay). */
  idemKey?: string;
}

export type Label = 'valid' | 'replay' | 'unsigned' | 'bad-sign' | 'wrong-key' | 'truncated' | 'deep' | 'unstorable' | `type:${string}` | 'random-json' | 'garbage' | 'huge';

/** Must be answered 200 (and stored once). */
export const MUST_ACCEPT: ReadonlySet<string> = new Set(['valid', 'replay']);
/**
 * Must never be answered 200: no valid signature (unsigned, bad-sign, wrong-key, garbage, huge),
 * signed but not JSON (a strict prefix of a JSON object never parses), or signed JSON that
 * PostgreSQL cannot hold (nested past the relay's limit; NUL, a lone surrogate, a number out of
 * numeric's range).
 */
export const MUST_REFUSE: ReadonlySet<string> = new Set(['unsigned', 'bad-sign', 'wrong-key', 'garbage', 'huge', 'truncated', 'deep', 'unstorable']);
/** Never answered 200 because no valid signature was sent. */
export const UNSIGNED_KINDS: ReadonlySet<string> = new Set(['unsigned', 'bad-sign', 'wrong-key', 'garbage', 'huge']);

export const HUGE_MAX = 600_000;
export const HUGE_FILL = Buffer.alloc(HUGE_MAX, 'x');

export function fuzzCases(key: string, salt: string) {
  const sign = (json: string, k = key) => createHash('sha256').update(k + json + salt).digest('hex');
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

  const idArb = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.base64String({ minLength: 4, maxLength: 60 }), fc.integer({ min: 1, max: 1e9 }));
  const numOrStr = (a: fc.Arbitrary<number>) => fc.oneof(a, a.map(String));
  // Text that only looks like an escape (a backslash, then letters) is valid and must be stored.
  const unicodeText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('\\u0000', 'C:\\ud800\\x', '\\udc00', '\\\\'));

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
    // Signed and valid but for one extra field: nested past the relay's limit, or not storable.
    fc.tuple(validCall, fc.integer({ min: 33, max: 3000 })).map(([e, depth]): FuzzCase => ({
      path: 'events/call',
      body: signedForm(`${JSON.stringify(e).slice(0, -1)},"x":${'['.repeat(depth)}${']'.repeat(depth)}}`),
      label: 'deep',
    })),
    fc.tuple(validCall, fc.constantFrom('"a\\u0000"', '"\\ud800"', '"x\\udfff"', '{"\\u0000":1}', '1e999999', '-1e-999999')).map(([e, bad]): FuzzCase => ({
      path: 'events/call',
      body: signedForm(`${JSON.stringify(e).slice(0, -1)},"x":${bad}}`),
      label: 'unstorable',
    })),
    fc
      .tuple(fc.constantFrom('events/call', 'events/summary', 'events/recording', 'events/sms', 'events/dtmf'), fc.jsonValue())
      .map(([path, v]): FuzzCase => ({ path, body: signedForm(JSON.stringify(v) ?? 'null'), label: 'random-json' })),
    // Garbage bodies and huge bodies (over the relay's 256 KiB limit).
    fc.string({ maxLength: 300 }).map((b): FuzzCase => ({ path: 'events/call', body: b, label: 'garbage' })),
    fc.integer({ min: 300_000, max: HUGE_MAX }).map((n): FuzzCase => ({ path: 'events/call', body: form({ vpbx_api_key: key, sign: 'x', json: '' }), hugeBytes: n, label: 'huge' })),
  );
}

/** POSTs one case; resolves with the status, or -1 when no answer came (connection failed). */
export function postCase(port: number, agent: http.Agent, k: FuzzCase, errors: string[]): Promise<number> {
  if (k.hugeBytes) return postHuge(port, k, errors);
  return new Promise((resolve) => {
    let done = false;
    const finish = (s: number) => {
      if (!done) (done = true), resolve(s);
    };
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/mango-webhook/' + k.path, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(k.body) } },
      (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode ?? 0));
        res.on('error', () => finish(res.statusCode ?? 0));
      },
    );
    req.on('error', (err) => {
      if (!done && errors.length < 10) errors.push(`${k.label} ${k.path}: ${err.message}`);
      finish(-1);
    });
    req.end(k.body);
  });
}

/** Status for a huge upload cut by the relay's reset after it answered 413 (see postHuge). */
export const RESET_AFTER_ANSWER = -2;

/**
 * A body over the limit, on a connection of its own. The relay answers 413 as soon as it has
 * the headers and closes without reading the body (as HTTP allows); the unread body makes the
 * close a reset, which can reach the client while it is still writing and, rarely (3 in
 * 11,000), before Node hands over the 413 already received. The status line is read as it
 * arrives; an EPIPE/ECONNRESET before it is reported as RESET_AFTER_ANSWER, and the relay's own
 * count of 413s (its /metrics) must then equal the number of huge requests sent. Anything else
 * without an answer (a plain close, a refused connection) is a failure.
 */
function postHuge(port: number, k: FuzzCase, errors: string[]): Promise<number> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let head = '';
    let done = false;
    let connected = false;
    const finish = (s: number, why?: string) => {
      if (done) return;
      done = true;
      if (s === -1 && errors.length < 10) errors.push(`${k.label} ${k.path}: ${why}`);
      sock.destroy();
      resolve(s);
    };
    sock.on('connect', () => (connected = true));
    sock.on('data', (d) => {
      head += d.toString('latin1');
      const m = head.match(/^HTTP\/1\.1 (\d{3}) /);
      if (m) finish(Number(m[1]));
      else if (head.length > 64) finish(-1, `not an HTTP answer: ${JSON.stringify(head.slice(0, 64))}`);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (connected && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) finish(RESET_AFTER_ANSWER);
      else finish(-1, `${err.message} before any answer`);
    });
    sock.on('close', () => finish(-1, 'connection closed before any answer'));
    const length = Buffer.byteLength(k.body) + k.hugeBytes!;
    sock.write(`POST /api/mango-webhook/${k.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\n\r\n${k.body}`);
    sock.write(HUGE_FILL.subarray(0, k.hugeBytes));
  });
}
