import fc from 'fast-check';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from './relay';

type Case = { path: string; body: string; expectOk: boolean; idemKey?: string; label: string };

const sign = (json: string, key = TEST_MANGO_KEY, salt = TEST_MANGO_SALT) => createHash('sha256').update(key + json + salt).digest('hex');
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

/** Serializes like PHP's json_encode (escaped slashes and \uXXXX) or compactly, as Mango's various senders do. */
function serialize(v: unknown, style: 'compact' | 'php' | 'spaced'): string {
  const s = JSON.stringify(v, null, style === 'spaced' ? 1 : undefined);
  if (style !== 'php') return s;
  return s.replace(/\//g, '\\/').replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  // Valid, signed over the exact text in three serializations.
  fc.tuple(validCall, fc.constantFrom('compact', 'php', 'spaced') as fc.Arbitrary<'compact' | 'php' | 'spaced'>).map(([e, style]) => {
    const json = serialize(e, style);
    return { path: 'events/call', body: form({ vpbx_api_key: TEST_MANGO_KEY, sign: sign(json), json }), expectOk: true, idemKey: `call:${e.call_id}:${Number(e.seq)}:${e.call_state}`, label: 'valid' };
  }),
  // Unsigned, wrongly signed, wrong key.
  validCall.map((e) => ({ path: 'events/call', body: form({ json: JSON.stringify(e) }), expectOk: false, label: 'unsigned' })),
  fc.tuple(validCall, fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 0, maxLength: 70 })).map(([e, s]) => ({ path: 'events/call', body: form({ vpbx_api_key: TEST_MANGO_KEY, sign: s, json: JSON.stringify(e) }), expectOk: false, label: 'bad-sign' })),
  validCall.map((e) => {
    const json = JSON.stringify(e);
    return { path: 'events/call', body: form({ vpbx_api_key: 'other', sign: sign(json, 'other'), json }), expectOk: false, label: 'wrong-key' };
  }),
  // Signed but truncated JSON, wrong types, missing fields, non-objects.
  fc.tuple(validCall, fc.nat()).map(([e, n]) => {
    const full = JSON.stringify(e);
    const json = full.slice(0, n % full.length);
    return { path: 'events/call', body: form({ vpbx_api_key: TEST_MANGO_KEY, sign: sign(json), json }), expectOk: false, label: 'truncated' };
  }),
  fc.tuple(validCall, fc.constantFrom('seq', 'timestamp', 'call_state', 'entry_id', 'from'), fc.oneof(fc.object(), fc.boolean(), fc.constant(null), fc.array(fc.nat()), fc.string())).map(([e, k, v]) => {
    const json = JSON.stringify({ ...e, [k]: v });
    // Some replacements are still valid (e.g. a string entry_id); the oracle below checks validity itself.
    return { path: 'events/call', body: form({ vpbx_api_key: TEST_MANGO_KEY, sign: sign(json), json }), expectOk: false, label: `type:${k}` };
  }),
  fc.jsonValue().map((v) => {
    const json = JSON.stringify(v) ?? 'null';
    return { path: fc.sample(fc.constantFrom('events/call', 'events/summary', 'events/recording', 'events/sms', 'events/dtmf'), 1)[0], body: form({ vpbx_api_key: TEST_MANGO_KEY, sign: sign(json), json }), expectOk: false, label: 'random-json' };
  }),
  // Garbage bodies and huge bodies.
  fc.string({ maxLength: 300 }).map((b) => ({ path: 'events/call', body: b, expectOk: false, label: 'garbage' })),
  fc.integer({ min: 300_000, max: 600_000 }).map((n) => ({ path: 'events/call', body: form({ vpbx_api_key: TEST_MANGO_KEY, sign: 'x', json: 'x'.repeat(n) }), expectOk: false, label: 'huge' })),
);

function post(port: number, agent: http.Agent, path: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/mango-webhook/' + path, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}

export interface FuzzReport {
  requests: number;
  byStatus: Record<string, number>;
  crashes: number;
  fiveXX: number;
  acceptedInvalid: number;
  rejectedValid: number;
  storedValidKeys: number;
  storedEvents: number;
}

/**
 * Sends `total` generated requests (plus replays of accepted ones) at a running relay.
 * Oracle: nothing answered 5xx or dropped; 200 only when the sign is right and the event valid;
 * every valid signed event is accepted and stored exactly once.
 */
export async function fuzzWebhooks(r: TestRelay, total: number, seed = 42): Promise<FuzzReport> {
  const port = Number(new URL(r.url).port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const accepted: Case[] = [];
  const report: FuzzReport = { requests: 0, byStatus: {}, crashes: 0, fiveXX: 0, acceptedInvalid: 0, rejectedValid: 0, storedValidKeys: 0, storedEvents: 0 };
  const validKeys = new Set<string>();
  const chunk = 1000;
  const before = Number((await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mango_events')).rows[0].n);
  for (let done = 0; done < total; done += chunk) {
    const cases = fc.sample(caseArb, { numRuns: Math.min(chunk, total - done), seed: seed + done });
    // Replays of earlier accepted requests (a captured request re-sent): harmless, stored once.
    for (let i = 0; i < 20 && accepted.length; i++) cases.push({ ...accepted[(i * 7919 + done) % accepted.length], label: 'replay' });
    for (let i = 0; i < cases.length; i += 16) {
      const slice = cases.slice(i, i + 16);
      const statuses = await Promise.all(slice.map((c) => post(port, agent, c.path, c.body)));
      slice.forEach((c, j) => {
        const s = statuses[j];
        report.requests++;
        report.byStatus[s] = (report.byStatus[s] ?? 0) + 1;
        if (s === -1) report.crashes++;
        if (s >= 500) report.fiveXX++;
        const mustBeValid = c.label === 'valid' || c.label === 'replay';
        const neverValid = ['unsigned', 'bad-sign', 'wrong-key', 'garbage', 'huge'].includes(c.label);
        if (s === 200 && neverValid) report.acceptedInvalid++;
        if (mustBeValid && s !== 200) report.rejectedValid++;
        if (s === 200 && c.label === 'valid' && c.idemKey) {
          validKeys.add(c.idemKey);
          accepted.push(c);
        }
      });
    }
  }
  agent.destroy();
  const keys = [...validKeys];
  report.storedValidKeys = Number(
    (await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mango_events WHERE idem_key = ANY($1::text[])', [keys])).rows[0].n,
  );
  report.storedEvents = Number((await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mango_events')).rows[0].n) - before;
  return report;
}
