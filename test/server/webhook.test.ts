import pkg from '../../package.json' with { type: 'json' };
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createHash } from 'node:crypto';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { postSigned } from '../support/webhook';
import { PG_ADMIN_URL } from '../support/pg';
import { MAX_EVENT_DEPTH } from '../../server/mango/storable';

const call = (callId: string, seq: number, state: string, extra: object = {}) => ({
  entry_id: `E-${callId}`, call_id: callId, timestamp: 1700000000 + seq, seq, call_state: state, location: 'ivr',
  from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 }, ...extra,
});

async function eventCount(r: TestRelay): Promise<number> {
  const x = await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mango_events');
  return Number(x.rows[0].n);
}

// The same suite on a real Postgres and on the embedded PGlite default.
describe.each([
  ['postgres', false],
  ['pglite', true],
])('webhook ingest on %s', (_name, pglite) => {
  let r: TestRelay;
  beforeAll(async () => {
    r = await startTestRelay({ pglite });
  }, 60_000);
  afterAll(async () => r?.close());

  it('accepts a correctly signed event and stores it', async () => {
    const res = await postSigned(r.webhookBase, 'events/call', call('A1', 1, 'Appeared'));
    expect(res.status).toBe(200);
    const row = await r.relay.ctx.db.query<{ raw_json: string }>("SELECT raw_json FROM mango_events WHERE idem_key = 'call:A1:1:Appeared'");
    expect(JSON.parse(row.rows[0].raw_json)).toMatchObject({ call_id: 'A1' });
  });

  it('verifies the sign over the exact string received (escaped slashes, unicode, spacing)', async () => {
    const json = '{"entry_id":"E-U1","call_id":"U1","timestamp":"1700000001","seq":"1","call_state":"Appeared","location":"ivr","from":{"number":"79161234567"},"to":{"number":"sip:\\/\\/\\u0442\\u0435\\u0441\\u0442@x","line_number":"74951234567"}, "dct":{"type":0}}';
    expect((await postSigned(r.webhookBase, 'events/call', json)).status).toBe(200);
    // Re-serialized JSON would not match the sign computed over the original text.
    const resigned = await postSigned(r.webhookBase, 'events/call', json, { sign: (await import('node:crypto')).createHash('sha256').update(TEST_MANGO_KEY + JSON.stringify(JSON.parse(json)) + 'test-vpbx-salt').digest('hex') });
    expect(resigned.status).toBe(403);
  });

  it('stores each event’s json byte for byte when posted together with others, and parses it into payload', async () => {
    const texts = [
      '{"entry_id":"E-X1","call_id":"X1","seq":1,"call_state":"Appeared","timestamp":1,"to":{"number":"sip:\\/\\/\\u0442\\u0435\\u0441\\u0442@x"},  "from" : {"number":"7916\\"q\\\\"} }',
      ' \n{"entry_id":"E-X2","call_id":"X2","seq":1,"call_state":"Appeared","timestamp":2}\r\n\t',
      '{"entry_id":"E-X3","call_id":"X3","seq":1,"call_state":"Appeared","timestamp":3,"note":"тест 😀"}',
    ];
    // Posted at once, so they usually share a batch (one statement for all of them); each is
    // checked either way.
    expect((await Promise.all(texts.map((t) => postSigned(r.webhookBase, 'events/call', t)))).map((res) => res.status)).toEqual([200, 200, 200]);
    const rows = await r.relay.ctx.db.query<{ raw_json: string; payload: unknown; entry_id: string }>(
      "SELECT raw_json, payload, entry_id FROM mango_events WHERE idem_key = ANY($1::text[]) ORDER BY idem_key",
      [['call:X1:1:Appeared', 'call:X2:1:Appeared', 'call:X3:1:Appeared']],
    );
    expect(rows.rows.map((x) => x.raw_json)).toEqual(texts);
    expect(rows.rows.map((x) => x.payload)).toEqual(texts.map((t) => JSON.parse(t)));
    expect(rows.rows.map((x) => x.entry_id)).toEqual(['E-X1', 'E-X2', 'E-X3']);
  });

  it('refuses wrong signs, unknown keys and unsigned requests with 403 and stores nothing', async () => {
    const before = await eventCount(r);
    expect((await postSigned(r.webhookBase, 'events/call', call('B1', 1, 'Appeared'), { salt: 'wrong' })).status).toBe(403);
    expect((await postSigned(r.webhookBase, 'events/call', call('B2', 1, 'Appeared'), { key: 'other-key' })).status).toBe(403);
    const unsigned = await fetch(r.webhookBase + 'events/call', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ json: JSON.stringify(call('B3', 1, 'Appeared')) }) });
    expect(unsigned.status).toBe(403);
    expect(await eventCount(r)).toBe(before);
  });

  it('answers malformed input with 400 and a reason, never 5xx', async () => {
    const before = await eventCount(r);
    const bad = [
      ['events/call', '{"entry_id":'],
      ['events/call', '[]'],
      ['events/call', JSON.stringify({ ...call('M1', 1, 'Appeared'), call_state: 'Ringing' })],
      ['events/call', JSON.stringify({ ...call('M2', 1, 'Appeared'), seq: 'one' })],
      ['events/summary', JSON.stringify({ entry_id: 'x' })],
      ['events/unknown', JSON.stringify({ a: 1 })],
      ['events/call', JSON.stringify({ ...call('M3', 1, 'Appeared'), from: { number: 'a\u0000b' } })],
    ];
    for (const [path, json] of bad) {
      const res = await postSigned(r.webhookBase, path, json);
      expect(res.status, `${path} ${json}`).toBe(400);
      expect(JSON.parse(res.body).message).toBeTruthy();
    }
    const noJson = await fetch(r.webhookBase + 'events/call', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(noJson.status).toBeGreaterThanOrEqual(400);
    expect(noJson.status).toBeLessThan(500);
    expect(await eventCount(r)).toBe(before);
  });

  it('refuses a json field carrying a raw lone surrogate (a JSON body delivers it unescaped) with 400', async () => {
    const before = await eventCount(r);
    for (const bad of ['a\ud800b', 'a\udc00b']) {
      const json = JSON.stringify({ ...call('LS1', 1, 'Appeared'), from: { number: bad } }).replace('\\ud800', '\ud800').replace('\\udc00', '\udc00');
      expect(json.includes('\\u')).toBe(false); // the surrogate is in the text itself, not escaped
      const sign = createHash('sha256').update(TEST_MANGO_KEY + json + TEST_MANGO_SALT).digest('hex');
      const res = await fetch(r.webhookBase + 'events/call', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ vpbx_api_key: TEST_MANGO_KEY, sign, json }),
      });
      expect(res.status, bad).toBe(400);
    }
    expect(await eventCount(r)).toBe(before);
  });

  it('accepts text that only looks like an escape (an escaped backslash before u0000 or ud800) and surrogate pairs', async () => {
    const texts = [
      '{"entry_id":"E-T1","call_id":"T1","seq":1,"call_state":"Appeared","timestamp":1,"from":{"number":"a\\\\u0000b"}}',
      '{"entry_id":"E-T2","call_id":"T2","seq":1,"call_state":"Appeared","timestamp":1,"from":{"number":"C:\\\\ud800\\\\x"}}',
      '{"entry_id":"E-T3","call_id":"T3","seq":1,"call_state":"Appeared","timestamp":1,"from":{"number":"\\ud83d\\ude00 😀"}}',
    ];
    expect(JSON.parse(texts[0]).from.number).toBe('a\\u0000b'); // a backslash, then the letters
    for (const t of texts) expect((await postSigned(r.webhookBase, 'events/call', t)).status, t).toBe(200);
    const rows = await r.relay.ctx.db.query<{ raw_json: string }>("SELECT raw_json FROM mango_events WHERE entry_id = ANY($1::text[]) ORDER BY entry_id", [['E-T1', 'E-T2', 'E-T3']]);
    expect(rows.rows.map((x) => x.raw_json)).toEqual(texts);
  });

  it('refuses nesting deeper than any Mango event with 400, however deep (never a 5xx)', async () => {
    const nested = (depth: number) => `{"entry_id":"E-N${depth}","call_id":"N${depth}","seq":1,"call_state":"Appeared","timestamp":1,"x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect((await postSigned(r.webhookBase, 'events/call', nested(MAX_EVENT_DEPTH))).status).toBe(200);
    const before = await eventCount(r);
    for (const depth of [MAX_EVENT_DEPTH + 1, 5_000, 60_000]) {
      const json = nested(depth);
      const sign = createHash('sha256').update(TEST_MANGO_KEY + json + TEST_MANGO_SALT).digest('hex');
      // A JSON body: one byte per bracket, so even 60,000 levels fit under the body limit.
      const res = await fetch(r.webhookBase + 'events/call', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vpbx_api_key: TEST_MANGO_KEY, sign, json }) });
      expect(res.status, `depth ${depth}`).toBe(400);
      expect((await res.json()).message).toMatch(/nested deeper/);
    }
    expect(await eventCount(r)).toBe(before);
  });

  it('answers 400, not 5xx, for a number the database cannot hold, and stores the events posted with it', async () => {
    const before = await eventCount(r);
    const bad = ['1e999999', '1e-999999'].map((n, i) => `{"entry_id":"E-O${i}","call_id":"O${i}","seq":1,"call_state":"Appeared","timestamp":1,"x":${n}}`);
    const good = [call('O-ok1', 1, 'Appeared'), call('O-ok2', 1, 'Appeared')];
    const results = await Promise.all([...bad, ...good].map((e) => postSigned(r.webhookBase, 'events/call', e)));
    expect(results.map((x) => x.status)).toEqual([400, 400, 200, 200]);
    for (const x of results.slice(0, 2)) expect(JSON.parse(x.body).error).toBe('bad-json');
    expect(await eventCount(r)).toBe(before + 2);
  });

  it('refuses oversized bodies with 413', async () => {
    const huge = JSON.stringify({ ...call('H1', 1, 'Appeared'), pad: 'x'.repeat(400_000) });
    expect((await postSigned(r.webhookBase, 'events/call', huge)).status).toBe(413);
  });

  it('stores a repeated delivery once and reduces it once', async () => {
    const e = call('D1', 1, 'Appeared');
    const results = await Promise.all([1, 2, 3].map(() => postSigned(r.webhookBase, 'events/call', e)));
    expect(results.map((x) => x.status)).toEqual([200, 200, 200]);
    expect((await postSigned(r.webhookBase, 'events/call', e)).status).toBe(200);
    const n = await r.relay.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM mango_events WHERE idem_key = 'call:D1:1:Appeared'");
    expect(Number(n.rows[0].n)).toBe(1);
    await r.settle();
    const calls = await r.relay.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM calls WHERE entry_id = 'E-D1'");
    expect(Number(calls.rows[0].n)).toBe(1);
  });

  it('answers the cabinet’s ping when signed, with or without a json body', async () => {
    expect((await postSigned(r.webhookBase, 'ping', '')).status).toBe(200);
    expect((await postSigned(r.webhookBase, 'ping', {})).status).toBe(200);
    expect((await postSigned(r.webhookBase, 'ping', {}, { salt: 'nope' })).status).toBe(403);
  });

  it('accepts command results and the guide’s simplified JSON events', async () => {
    expect((await postSigned(r.webhookBase, 'result/callback', { command_id: 'c1', result: '1000' })).status).toBe(200);
    const base = r.webhookBase.replace(/\/$/, '');
    const simple = (p: object) => postSigned(base.slice(0, base.lastIndexOf('/') + 1), 'mango-webhook', p);
    expect((await simple({ event: 'call.incoming', call_id: 'S1', timestamp: 1700000100, from: { number: '89161112233' }, to: { extension: '101' } })).status).toBe(200);
    expect((await simple({ event: 'call.ended', call_id: 'S1', timestamp: 1700000160, duration: 0 })).status).toBe(200);
    expect((await simple({ event: 'call.teleported', call_id: 'S1' })).status).toBe(400);
    await r.settle();
    const calls = await r.api<{ calls: { entryId: string; status: string; clientNumber: string }[] }>('GET', '/api/calls?limit=50', r.adminToken);
    expect(calls.body.calls.find((c) => c.entryId === 'simple:S1')).toMatchObject({ status: 'missed', clientNumber: '+79161112233' });
  });
});

describe('durability on Postgres', () => {
  let r: TestRelay;
  beforeAll(async () => {
    r = await startTestRelay();
  }, 60_000);
  afterAll(async () => r?.close());

  it('answers 503, never 200, while the database refuses writes, and stores nothing half-way', async () => {
    const dbName = new URL(r.databaseUrl!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${dbName} SET default_transaction_read_only = on`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
      const res = await postSigned(r.webhookBase, 'events/call', call('F1', 1, 'Appeared'));
      expect(res.status).toBe(503);
      const health = await fetch(r.url + '/healthz');
      expect(health.status).toBe(200); // reads still work; /healthz reports the database answering
      expect(await health.json()).toMatchObject({ ok: true, version: pkg.version }); // the app's "о программе" shows it
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} RESET default_transaction_read_only`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
      await admin.end();
    }
    const n = await r.relay.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM mango_events WHERE idem_key LIKE 'call:F1:%'");
    expect(Number(n.rows[0].n)).toBe(0);
    // Mango (or the reconciliation) retries: now it is stored.
    expect((await postSigned(r.webhookBase, 'events/call', call('F1', 1, 'Appeared'))).status).toBe(200);
  });
});
