// Property-based fuzzing of the relay's authenticated JSON API (every route but the Mango
// webhooks, which test/server/fuzz.test.ts covers): generated bad input from an admin, an
// employee and a caller without a session. Oracle: never a 5xx; 401 without a session; 403 on
// admin routes for an employee; every error is JSON with a message; no secret in any answer;
// the relay healthy afterwards. Plus focused regressions for the defects the fuzzing found.
// API_FUZZ_RUNS (110 per route) and API_FUZZ_SEED widen or vary a run.
import { createHash } from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { startMangoApi, type MangoApi } from '../../tools/mango-sim/api-server';
import { buildScenario } from '../../tools/mango-sim/scenarios';
import { deliver } from '../../tools/mango-sim/deliver';
import { createSession } from '../../server/people/sessions';
import type { Call, Employee } from '../../src-shared/wire';

// ---- routes ------------------------------------------------------------------------------

interface RouteDef {
  method: string;
  url: string;
}

/** Every route of a Fastify instance, read from `printRoutes` (its tree, flattened). */
function listRoutes(app: FastifyInstance): RouteDef[] {
  const out: RouteDef[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + m[2];
    stack[depth] = url;
    if (m[3]) for (const method of m[3].split(',').map((s) => s.trim())) out.push({ method, url });
  }
  return out;
}

const isApi = (url: string) => url.startsWith('/api/') && !url.startsWith('/api/mango-webhook');
const PUBLIC = new Set(['POST /api/auth/login']);
// Admin-only routes outside /api/admin/ (the contacts import sits with the other contacts routes).
const ADMIN_ROUTES = new Set(['/api/contacts/import']);
const isAdminRoute = (url: string) => url.startsWith('/api/admin/') || ADMIN_ROUTES.has(url);

// ---- raw HTTP (no URL normalization, any content type, any bytes) ------------------------

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function send(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: Number(u.port), method, path, agent: false, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** WTF-8 bytes: UTF-8, except that a lone surrogate is encoded as is (ED A0 80), as a sloppy client would. */
function wtf8(s: string): number[] {
  const bytes: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return bytes;
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const pct = (s: string) => wtf8(s).map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0'))).join('');

// ---- generated input ---------------------------------------------------------------------

/** A JSON token written as is: numbers JSON can spell but JavaScript cannot hold. */
class Raw {
  constructor(readonly text: string) {}
}
function toJson(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

const NASTY = [
  '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\udbff\udbff', '\ud83d\ude00', '\u202e', '\ufeff', '\uffff', '', ' ', '\t\r\n',
  '%00', '../../etc/passwd', "'; DROP TABLE employees; --", '<script>alert(1)</script>', 'NaN', 'Infinity', '-Infinity', '1e309',
  '-1', '0', '2147483648', '9223372036854775808', '99999999999999999999', '1.5', '0x10', 'true', 'null', '[]', '{}',
  '0000-01-01T00:00:00Z', '2020-01-01T00:00:00+23:00', '2020-01-01T00:00:00-16:00', '2020-02-30T00:00:00Z', '2020-01-01',
  '9999-12-31T23:59:59-23:59', 'sip:x@y', 'http://127.0.0.1:1/', 'admin', 'pm', 'group', 'я'.repeat(300), 'x'.repeat(6000),
  // Time zones (stats' tz): unknown, a POSIX spec, known ones spelled oddly, too deep a path.
  'Mars/Olympus', 'UTC+5', 'Etc/GMT-14', 'posix/Europe/Moscow', 'EUROPE/MOSCOW', 'Europe/Moscow/x/y/z',
];
/** Timestamps that look ISO 8601 but that PostgreSQL may not hold (year 0, offsets past ±15:59). */
const BAD_DATES = ['0000-01-01T00:00:00Z', '2020-01-01T00:00:00+23:00', '2020-01-01T00:00:00-16:00', '9999-12-31T23:59:59-23:59', '0001-01-01T00:00:00+01:00', '2020-02-29T24:00:00Z', '2020-01-01T00:00:00.1234567890Z', '2020-01-01 00:00:00', '1e309', '-1'];
const RAW_NUMBERS = ['1e309', '-1e309', '9223372036854775808', '99999999999999999999', '-0', '1e-400', '1.5', '-1', '0', '2147483648', '1E2'].map((t) => new Raw(t));

/** Plausible text with what PostgreSQL text and jsonb cannot store: NUL, a lone surrogate. */
const unstorable = fc
  .tuple(fc.string({ maxLength: 6 }), fc.constantFrom('\u0000', '\u0000', '\ud800', '\udfff', '\udbff\udbff'), fc.string({ maxLength: 6 }))
  .map(([a, b, c]) => a + b + c);
/** What a number or an id in a query string can be spelled as. */
const numberish = fc.constantFrom('1.5', '-1', '0', '1e309', '-1e309', '99999999999999999999', '9223372036854775808', 'NaN', 'Infinity', '', ' ', '0x10', '1e3', '2147483648', '١٢');
const nastyString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 5, arbitrary: unstorable },
  { weight: 1, arbitrary: numberish },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 150, maxLength: 400 }) },
);
const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_NUMBERS) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 63, -(2 ** 53) - 2, Number.MAX_VALUE)) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(true, false, null, [], {}) },
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), leaf, { maxKeys: 3 }) },
);

/** Every field name the API reads, so generic bodies reach the schemas of routes added later. */
const FIELDS = [
  'login', 'password', 'name', 'role', 'extension', 'email', 'phones', 'acceptCalls', 'active', 'keepId', 'mergeId', 'toNumber',
  'company', 'emails', 'note', 'apiKey', 'apiSalt', 'vpbxId', 'apiUrl', 'enabled', 'routingMode', 'groupId', 'id', 'text',
  'toEmployeeId', 'method', 'callIds',
];
const QUERY_KEYS = ['limit', 'hours', 'before', 'direction', 'status', 'phone', 'employeeId', 'search', 'since', 'until', 'tz', 'tzOffset', 'offset', 'id'];

const CONTENT_TYPES_BAD = ['application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json-patch+json', ';;;', 'application/json; charset=utf-16'];
const INVALID_JSON = ['{', '{"a":', "{'a':1}", '[1,]', 'NaN', 'undefined', '{"a":1}garbage', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '"\\ud800', '{"a":"\\x00"}'];

type BodyKind = 'none' | 'json' | 'empty-json' | 'invalid-json' | 'text' | 'form' | 'bad-ct' | 'huge';
interface GenBody {
  kind: BodyKind;
  contentType?: string;
  text?: string;
}
interface Gen {
  caller: 'admin' | 'user' | 'anon';
  anonAuth: string | null;
  params: { value: string; raw: boolean }[];
  query: [string, string, boolean][];
  body: GenBody;
}

/** Valid input to start from, so a single bad field gets past the others to the database. */
interface RouteBase {
  body?: Record<string, unknown>;
  query?: Record<string, string>;
  /** A path id that exists (for the route's own table). */
  id?: () => string;
}

function bodyArb(base: Record<string, unknown> | undefined): fc.Arbitrary<unknown> {
  const names = [...new Set([...Object.keys(base ?? {}), ...FIELDS])];
  const generic = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 4 });
  const baseKeys = Object.keys(base ?? {});
  const mutated = base
    ? fc
        .record({
          // Mostly one of the route's own fields, so the bad value gets past the others.
          key: baseKeys.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...baseKeys) }, { weight: 2, arbitrary: fc.constantFrom(...names) }) : fc.constantFrom(...names),
          v: fc.oneof({ weight: 2, arbitrary: value }, { weight: 1, arbitrary: unstorable }),
          drop: fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.subarray(baseKeys) }),
          extra: fc.dictionary(fc.string({ maxLength: 8 }), leaf, { maxKeys: 2 }),
        })
        .map(({ key, v, drop, extra }) => {
          const o: Record<string, unknown> = { ...extra, ...base };
          for (const d of drop) delete o[d];
          o[key] = v;
          return o;
        })
    : generic;
  return fc.oneof({ weight: 5, arbitrary: mutated }, { weight: 2, arbitrary: generic }, { weight: 1, arbitrary: value });
}

function genArb(params: string[], base: RouteBase, protectedIds: Set<number>): fc.Arbitrary<Gen> {
  const badId = fc
    .oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          ...['0', '-1', '1.5', '1e3', '1e309', 'Infinity', 'NaN', '99999999999999999999', '9223372036854775808', '9223372036854775807', '2147483648', '9007199254740993', 'abc', '0x7fffffff', '..', '...', '%00', '%2e%2e%2f', '..%2F..%2Fetc%2Fpasswd', '%ZZ', '%', '%ED%A0%80', '%F0%9F%98%80', '%C3%28', '%20', '%25', '1%00', '1;select', "1'", '9'.repeat(400)].map((value) => ({ value, raw: true })),
        ),
      },
      { weight: 3, arbitrary: nastyString.filter((s) => s.length > 0).map((value) => ({ value, raw: false })) },
    )
    .filter(({ value: v, raw }) => {
      // Never aim a generated id at the admin or the employee doing the fuzzing (a stray
      // {"active":false} would lock them out); '1e0', ' 2' and '0x1' are ids to Number().
      let s = v;
      if (raw) {
        try {
          s = decodeURIComponent(v);
        } catch {
          return true;
        }
      }
      return !protectedIds.has(Number(s)) && !protectedIds.has(parseInt(s, 10));
    });
  // The route's own existing row (never the fuzzing employees: see bases()), or a bad id.
  const idValue = fc.oneof(
    { weight: 3, arbitrary: fc.constant(null).map(() => ({ value: base.id ? base.id() : '999999', raw: true })) },
    { weight: 7, arbitrary: badId },
  );
  const baseQuery = Object.keys(base.query ?? {});
  const qKey = fc.oneof(
    { weight: baseQuery.length ? 5 : 0, arbitrary: fc.constantFrom(...(baseQuery.length ? baseQuery : QUERY_KEYS)) },
    { weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) },
    { weight: 1, arbitrary: fc.constantFrom(...QUERY_KEYS).map((k) => `${k}[]`) },
    { weight: 1, arbitrary: fc.constantFrom(...QUERY_KEYS).map((k) => `${k}[0]`) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  );
  const qVal = fc.oneof(
    { weight: 6, arbitrary: nastyString },
    { weight: 2, arbitrary: numberish },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_DATES) },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.constant('x'.repeat(12_000)) },
  );
  // [key, value, raw]: raw values go on the wire unencoded ('%', '%ZZ', '&&').
  const qPair: fc.Arbitrary<[string, string, boolean]> = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(qKey, qVal, fc.constant(false)) },
    { weight: 1, arbitrary: fc.tuple(qKey, fc.constantFrom('%', '%ZZ', '%u0000', '&&', '==', '+', '%2', ';'), fc.constant(true)) },
  );
  const query = fc.tuple(fc.array(qPair, { maxLength: 4 }), fc.boolean()).map(([pairs, keepBase]): [string, string, boolean][] => {
    const b = keepBase ? Object.entries(base.query ?? {}).map(([k, v]): [string, string, boolean] => [k, v, false]) : [];
    // A generated key replaces the base's value for that key half the time, else repeats it.
    return [...b.filter(([k]) => !pairs.some(([pk], i) => pk === k && i % 2 === 0)), ...pairs];
  });
  const body: fc.Arbitrary<GenBody> = fc.oneof(
    { weight: 16, arbitrary: fc.tuple(bodyArb(base.body), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON')).map(([v, ct]): GenBody => ({ kind: 'json', contentType: ct, text: toJson(v) })) },
    { weight: 1, arbitrary: fc.constant<GenBody>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.constant<GenBody>({ kind: 'empty-json', contentType: 'application/json', text: '' }) },
    { weight: 1, arbitrary: fc.constantFrom(...INVALID_JSON).map((text): GenBody => ({ kind: 'invalid-json', contentType: 'application/json', text })) },
    { weight: 1, arbitrary: nastyString.map((text): GenBody => ({ kind: 'text', contentType: 'text/plain', text })) },
    { weight: 1, arbitrary: nastyString.map((s): GenBody => ({ kind: 'form', contentType: 'application/x-www-form-urlencoded', text: `name=${pct(s)}&acceptCalls=true` })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...CONTENT_TYPES_BAD), fc.constantFrom('{"name":"x"}', '<a/>', 'x')).map(([contentType, text]): GenBody => ({ kind: 'bad-ct', contentType, text })) },
    { weight: 1, arbitrary: fc.constant<GenBody>({ kind: 'huge', contentType: 'application/json', text: JSON.stringify({ name: 'x'.repeat(300 * 1024) }) }) },
  );
  const anonAuth = fc.constantFrom<string | null>(null, 'Bearer ', 'Bearer not-a-token', 'Bearer ' + 'x'.repeat(600), 'Basic YWRtaW46YWRtaW4tcGFzc3dvcmQ=', 'bearer', 'Token abc');
  return fc.record({
    caller: fc.constantFrom<Gen['caller']>('admin', 'admin', 'user', 'user', 'anon'),
    anonAuth,
    params: fc.array(idValue, { minLength: params.length, maxLength: params.length }),
    query,
    body,
  });
}

// ---- the relay under test ------------------------------------------------------------------

let r: TestRelay;
let sim: MangoApi;
let admin: Employee;
let user: { employee: Employee; token: string };
let victim: { employee: Employee; token: string };
let callId: number;
let contactIds: number[];
let recordingId: string;
const knownTokens = new Set<string>();

const restoreMango = () =>
  r.api('PUT', '/api/admin/mango', r.adminToken, { apiUrl: sim.url, apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, vpbxId: '', enabled: true, routingMode: 'popup', groupId: null });

beforeAll(async () => {
  sim = await startMangoApi({ apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, port: 0 });
  r = await startTestRelay({ env: { mangoApiUrl: sim.url } });
  await restoreMango();
  admin = (await r.api<Employee>('GET', '/api/me', r.adminToken)).body;
  // Extensions Mango knows, so a valid click-to-call goes through (the simulator dials nothing).
  await r.api('PATCH', `/api/admin/employees/${admin.id}`, r.adminToken, { extension: '102' });
  user = await r.createEmployee({ login: 'fuzz-to', role: 'to', extension: '101' });
  victim = await r.createEmployee({ login: 'fuzz-victim', role: 'pm', extension: '103' });
  knownTokens.add(r.adminToken).add(user.token).add(victim.token);

  const events = buildScenario('incomingAnswered', { seed: 5, extension: '101', withRecording: true });
  sim.addCall(events);
  expect((await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).failed).toBe(0);
  await r.settle();
  recordingId = events.outcome.recordingIds[0];
  callId = (await r.api<{ calls: Call[] }>('GET', '/api/calls', r.adminToken)).body.calls[0].id;
  contactIds = [];
  for (const phone of ['+7 916 000-00-01', '+7 916 000-00-02']) {
    contactIds.push((await r.api<{ id: number }>('POST', '/api/contacts', user.token, { name: 'Fuzz ' + phone, phones: [phone] })).body.id);
  }
}, 60_000);
afterAll(async () => {
  await r?.close();
  await sim?.close();
});

function bases(): Record<string, RouteBase> {
  const since = '2020-01-01T00:00:00Z';
  const until = '2035-01-01T00:00:00Z';
  return {
    'POST /api/auth/login': { body: { login: 'admin', password: 'wrong-password' } },
    'PUT /api/me/status': { body: { acceptCalls: true } },
    'GET /api/calls': { query: { limit: '5', since, until } },
    'GET /api/calls/export': { query: { since, until, direction: 'in', tz: 'Asia/Yekaterinburg' } },
    'GET /api/calls/:id': { id: () => String(callId) },
    'PUT /api/calls/:id/comment': { id: () => String(callId), body: { text: 'Договорились выслать КП' } },
    'POST /api/calls/callback': { body: { toNumber: '79161234567' } },
    'POST /api/calls/:id/transfer': { id: () => String(callId), body: { toEmployeeId: victim.employee.id, method: 'blind' } },
    'POST /api/missed/:id/dismiss': { id: () => String(callId) },
    'POST /api/missed/dismiss': { body: { callIds: [callId] } },
    'GET /api/recordings/:id': { id: () => pct(recordingId) },
    'GET /api/stats': { query: { since, until, tz: 'Asia/Yekaterinburg' } },
    // Ten years at most: the file has a row for every day.
    'GET /api/stats/export': { query: { since, until: '2029-12-31T00:00:00Z', tz: 'Asia/Yekaterinburg' } },
    'GET /api/contacts': { query: { search: 'Fuzz', limit: '20' } },
    'GET /api/contacts/export': { query: { search: 'Fuzz', tz: 'Asia/Yekaterinburg' } },
    'POST /api/contacts/import': { body: { csv: 'Имя;Телефон;Email\nFuzz Import;+7 916 000-00-09;fuzz@example.com\n', dryRun: true } },
    'GET /api/contacts/lookup': { query: { phone: '79160000001' } },
    'POST /api/contacts': { body: { name: 'Fuzz', phones: ['79160000003'] } },
    'POST /api/contacts/merge': { body: { keepId: contactIds[0], mergeId: contactIds[1] } },
    'GET /api/contacts/:id': { id: () => String(contactIds[0]) },
    'PATCH /api/contacts/:id': { id: () => String(contactIds[0]), body: { note: 'n' } },
    'POST /api/admin/employees': { body: { login: 'fz', name: 'Fuzz', role: 'pm', password: 'secret12' } },
    'PATCH /api/admin/employees/:id': { id: () => String(victim.employee.id), body: { name: 'Victim' } },
    'GET /api/admin/status-log': { query: { limit: '10' } },
    'PUT /api/admin/mango': { body: { vpbxId: 'vpbx1' } },
    'POST /api/admin/mango/test': { body: {} },
  };
}

interface Sent {
  method: string;
  path: string;
  caller: Gen['caller'];
  auth: string | null;
  body: GenBody;
  /** The request is malformed below the API (route, content type, body syntax, size): any 4xx. */
  transportBad: boolean;
}

function build(route: RouteDef, g: Gen, tokens: { admin: string; user: string }): Sent {
  let i = 0;
  let badPath = false;
  const path = route.url.replace(/:[A-Za-z_]+/g, () => {
    const p = g.params[i++];
    if (p.raw) {
      try {
        if (decodeURIComponent(p.value).length > 100) badPath = true;
      } catch {
        badPath = true;
      }
      return p.value;
    }
    // A lone surrogate goes out as bytes that are not UTF-8: the router refuses the URL.
    if (LONE_SURROGATE.test(p.value)) badPath = true;
    // Over maxParamLength (100) the router answers 414 before any handler.
    if (p.value.length > 100) badPath = true;
    return pct(p.value);
  });
  const qs = g.query.map(([k, v, raw]) => `${pct(k)}=${raw ? v : pct(v)}`).join('&');
  const full = qs ? `${path}?${qs}` : path;
  const auth = g.caller === 'anon' ? g.anonAuth : `Bearer ${g.caller === 'admin' ? tokens.admin : tokens.user}`;
  const hasBody = g.body.kind !== 'none';
  const text = g.body.text ?? '';
  const bodyBad =
    ['empty-json', 'invalid-json', 'bad-ct', 'huge'].includes(g.body.kind) ||
    // Fastify's JSON parser refuses prototype poisoning before any route sees the body.
    (g.body.kind === 'json' && /"(__proto__|constructor)"/.test(text));
  return {
    method: route.method,
    path: full,
    caller: g.caller,
    auth,
    body: g.body,
    transportBad: badPath || full.length > 14_000 || (hasBody && bodyBad),
  };
}

async function fire(s: Sent): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (s.auth !== null) headers.authorization = s.auth;
  if (s.body.contentType) headers['content-type'] = s.body.contentType;
  const withBody = s.body.kind !== 'none' && s.method !== 'GET' && s.method !== 'HEAD';
  try {
    return await send(r.url, s.method, s.path, headers, withBody ? Buffer.from(s.body.text ?? '', 'utf8') : undefined);
  } catch (err) {
    // An upload over the body limit is answered 413 and the connection closed while it is still
    // being written: a refusal, not a failure.
    if (s.body.kind === 'huge' && /ECONNRESET|EPIPE|socket hang up/.test(String(err))) return { status: 413, headers: { 'content-type': 'application/json' }, text: '{"message":"reset"}' };
    // Node's HTTP server answers a request line over 16 KiB 431 and closes, below the relay.
    if (s.path.length > 14_000) return { status: 431, headers: {}, text: '' };
    throw err;
  }
}

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** Why a response breaks the oracle, or null. */
function judge(route: RouteDef, s: Sent, res: RawResponse): string | null {
  const key = `${route.method} ${route.url}`;
  if (res.status >= 500) return `status ${res.status}: ${res.text.slice(0, 300)}`;
  const isPublic = PUBLIC.has(key);
  if (!s.transportBad) {
    if (s.caller === 'anon' && !isPublic && res.status !== 401) return `no session but status ${res.status}`;
    if (s.caller === 'user' && isAdminRoute(route.url) && res.status !== 403) return `employee on an admin route but status ${res.status}`;
  }
  if (isPublic && res.status < 400) return `bad input accepted by a public route: ${res.status}`;
  if (res.status >= 400 && route.method !== 'HEAD' && res.status !== 431) {
    if (!String(res.headers['content-type'] ?? '').includes('application/json')) return `error without JSON: ${res.headers['content-type']}`;
    let body: { message?: unknown };
    try {
      body = JSON.parse(res.text);
    } catch {
      return `error body is not JSON: ${res.text.slice(0, 200)}`;
    }
    if (typeof body.message !== 'string' || !body.message) return `error without a message: ${res.text.slice(0, 200)}`;
  }
  const text = res.text;
  if (text.includes(TEST_MANGO_SALT)) return 'the Mango salt leaked';
  // The admin's own Mango settings form shows the API key (not the salt); nowhere else.
  if (text.includes(TEST_MANGO_KEY) && !(s.caller === 'admin' && route.url === '/api/admin/mango')) return 'the Mango API key leaked';
  if (/scrypt\$/.test(text) || /password_hash/.test(text)) return 'a password hash leaked';
  for (const t of knownTokens) if (text.includes(t) || text.includes(sha(t))) return 'a session token leaked';
  return null;
}

const describeReq = (s: Sent) =>
  `${s.method} ${s.path.length > 300 ? s.path.slice(0, 300) + '…' : s.path} as ${s.caller}${s.caller === 'anon' ? ` (${JSON.stringify(s.auth?.slice(0, 30) ?? null)})` : ''} body[${s.body.kind}${s.body.contentType ? ' ' + s.body.contentType : ''}]: ${JSON.stringify((s.body.text ?? '').slice(0, 300))}`;

describe('API fuzzing', () => {
  it('enumerates every API route from the server', () => {
    const keys = listRoutes(r.relay.app).map((x) => `${x.method} ${x.url}`);
    for (const k of ['GET /api/calls', 'GET /api/calls/export', 'GET /api/stats/export', 'GET /api/contacts/export', 'POST /api/contacts/import', 'GET /api/calls/:id', 'POST /api/auth/login', 'PATCH /api/admin/employees/:id', 'PUT /api/admin/mango', 'GET /api/recordings/:id', 'GET /healthz']) {
      expect(keys).toContain(k);
    }
  });

  it('answers generated bad input with a clear 4xx, never a 5xx or a leaked secret, for admin, employee and no session', async () => {
    const routes = listRoutes(r.relay.app).filter((x) => isApi(x.url) && x.method !== 'OPTIONS');
    const all = bases();
    const runs = Number(process.env.API_FUZZ_RUNS ?? 110);
    const failures: string[] = [];
    let requests = 0;
    const seen: Record<string, Record<string, number>> = {};
    const started = Date.now();
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      const base = all[key] ?? all[`GET ${route.url}`] ?? {};
      const params = route.url.match(/:[A-Za-z_]+/g) ?? [];
      const protectedIds = new Set([admin.id, user.employee.id]);
      const result = await fc.check(
        fc.asyncProperty(genArb(params, base, protectedIds), async (g) => {
          // Logging out ends the session used: give each logout its own.
          const tokens = { admin: r.adminToken, user: user.token };
          if (route.url === '/api/auth/logout') {
            tokens.admin = (await createSession(r.relay.ctx.db, admin.id)).token;
            tokens.user = (await createSession(r.relay.ctx.db, user.employee.id)).token;
            knownTokens.add(tokens.admin).add(tokens.user);
          }
          const s = build(route, g, tokens);
          let res: RawResponse;
          try {
            res = await fire(s);
          } catch (err) {
            throw new Error(`no answer: ${String(err)}\n  request: ${describeReq(s)}`);
          }
          requests++;
          const tally = (seen[`${key} ${g.caller}`] ??= {});
          tally[res.status] = (tally[res.status] ?? 0) + 1;
          if (route.url === '/api/admin/mango' && route.method === 'PUT' && res.status < 300) await restoreMango();
          const why = judge(route, s, res);
          if (why) throw new Error(`${why}\n  request: ${describeReq(s)}`);
        }),
        { numRuns: route.method === 'HEAD' ? Math.ceil(runs / 8) : runs, seed: Number(process.env.API_FUZZ_SEED ?? 20240611), endOnFailure: false, maxSkipsPerRun: 1000 },
      );
      if (result.failed) failures.push(`${key}: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`API fuzz: ${routes.length} routes, ${requests} requests (with shrinking) in ${seconds.toFixed(1)} s`);
    if (process.env.API_FUZZ_VERBOSE) for (const [k, v] of Object.entries(seen)) console.log(k, JSON.stringify(v));
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(20);

    // Still healthy, and the sessions used are intact.
    expect((await send(r.url, 'GET', '/healthz', {})).status).toBe(200);
    expect((await r.api<Employee>('GET', '/api/me', r.adminToken)).body.role).toBe('admin');
    expect((await r.api<Employee>('GET', '/api/me', user.token)).status).toBe(200);
  }, Math.max(120_000, Number(process.env.API_FUZZ_RUNS ?? 0) * 400));
});

// Each case below answered 500 before its fix (PostgreSQL refused the value: NUL or a lone
// surrogate in text/jsonb, an id beyond bigint or not an integer, a year 0 or an offset beyond
// ±15:59 in a timestamp, a fractional LIMIT).
describe('regressions found by the API fuzzing', () => {
  const expect4xx = async (method: string, path: string, token: string, body?: unknown, status = 400) => {
    const res = await r.api<{ error: string; message: string }>(method, path, token, body);
    expect(res.status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`).toBe(status);
    expect(res.body.message).toEqual(expect.any(String));
    return res.body;
  };

  it('refuses NUL in query strings with 400', async () => {
    await expect4xx('GET', '/api/calls?search=%00', user.token);
    await expect4xx('GET', '/api/calls?phone=a%00', user.token);
    await expect4xx('GET', '/api/contacts?search=x%00', user.token);
  });

  it('refuses NUL and lone surrogates in JSON bodies with 400 naming the field', async () => {
    const login = await expect4xx('POST', '/api/auth/login', '', { login: 'adm\u0000in', password: 'x' });
    expect(login.message).toContain('login');
    await expect4xx('POST', '/api/contacts', user.token, { name: 'a\u0000b' });
    await expect4xx('PATCH', `/api/contacts/${contactIds[0]}`, user.token, { note: '\u0000' });
    await expect4xx('POST', '/api/admin/employees', r.adminToken, { login: 'nul\u0000', name: 'N', role: 'pm', password: 'secret12' });
    const phones = await expect4xx('POST', '/api/admin/employees', r.adminToken, { login: 'lone', name: 'N', role: 'pm', password: 'secret12', phones: ['\ud800'] });
    expect(phones.message).toContain('phones.0');
    await expect4xx('PATCH', `/api/admin/employees/${victim.employee.id}`, r.adminToken, { name: 'x\u0000' });
    await expect4xx('PUT', '/api/admin/mango', r.adminToken, { vpbxId: 'v\u0000' });
    await expect4xx('PUT', '/api/admin/mango', r.adminToken, { apiKey: '\udc00' });
    expect((await r.api('GET', '/api/me', r.adminToken)).status).toBe(200);
  });

  it('answers ids that are not bigint row ids with 400, not a database error', async () => {
    for (const id of ['1.5', '99999999999999999999', 'Infinity', '9223372036854775808']) {
      await expect4xx('GET', `/api/calls/${id}`, user.token);
      await expect4xx('POST', `/api/missed/${id}/dismiss`, user.token);
      await expect4xx('GET', `/api/contacts/${id}`, user.token);
      await expect4xx('PATCH', `/api/contacts/${id}`, user.token, { note: 'n' });
      await expect4xx('PATCH', `/api/admin/employees/${id}`, r.adminToken, { name: 'n' });
    }
    // Not a row id at all (these were 404 before, like an absent row): now 400 too.
    await expect4xx('GET', '/api/calls/-1', user.token);
    await expect4xx('GET', '/api/contacts/abc', user.token);
    // Well-formed but absent: still 404.
    await expect4xx('GET', '/api/calls/999999', user.token, undefined, 404);
    await expect4xx('PATCH', '/api/admin/employees/999999', r.adminToken, { name: 'n' }, 404);
  });

  it('refuses a recording id with NUL with 400', async () => {
    await expect4xx('GET', '/api/recordings/%00', user.token);
    await expect4xx('GET', '/api/recordings/a%00b', r.adminToken);
  });

  it('refuses timestamps PostgreSQL cannot hold with 400, and takes any offset it can', async () => {
    for (const t of ['0000-01-01T00:00:00Z', '0000-06-15T12:00:00-05:00']) {
      await expect4xx('GET', `/api/calls?since=${encodeURIComponent(t)}`, user.token);
      await expect4xx('GET', `/api/stats?since=${encodeURIComponent(t)}&until=2030-01-01T00:00:00Z`, user.token);
    }
    // Offsets beyond PostgreSQL's ±15:59 are valid ISO 8601: the instant is what counts.
    const far = encodeURIComponent('2020-01-01T00:00:00+23:00');
    expect((await r.api('GET', `/api/calls?until=${far}`, user.token)).status).toBe(200);
    expect((await r.api('GET', `/api/stats?since=${far}&until=2030-01-01T00:00:00-23:59`, r.adminToken)).status).toBe(200);
  });

  it('refuses a status-log limit that is not a whole number in range with 400', async () => {
    for (const limit of ['1.5', '2.5']) await expect4xx('GET', `/api/admin/status-log?limit=${limit}`, r.adminToken);
    // Out of range or not a number: was clamped or defaulted silently, now a 400 like /api/calls?limit.
    for (const limit of ['abc', '0', '100000', '1e309']) await expect4xx('GET', `/api/admin/status-log?limit=${limit}`, r.adminToken);
    expect((await r.api<{ log: unknown[] }>('GET', '/api/admin/status-log?limit=2', r.adminToken)).body.log.length).toBeLessThanOrEqual(2);
  });
});

describe('regressions found by the API fuzzing: click-to-call', () => {
  it('refuses a number without digits with 400 instead of passing it to Mango (502, and a 3xxx towards the lockout)', async () => {
    const before = sim.requests.filter((q) => q.path.endsWith('commands/callback')).length;
    for (const toNumber of ['\t\r\n', '   ', 'abc', '+-()']) {
      const res = await r.api<{ message: string }>('POST', '/api/calls/callback', user.token, { toNumber });
      expect(res.status, JSON.stringify({ toNumber, body: res.body })).toBe(400);
      expect(res.body.message).toContain('toNumber');
    }
    expect(sim.requests.filter((q) => q.path.endsWith('commands/callback')).length).toBe(before);
    expect((await r.api('POST', '/api/calls/callback', user.token, { toNumber: '8 (916) 765-43-21' })).status).toBe(200);
  });
});
