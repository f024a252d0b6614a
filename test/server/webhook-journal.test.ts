import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { startTestRelay, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { postSigned } from '../support/webhook';
import { createTestDatabase } from '../support/pg';
import { WebhookJournal } from '../../server/ops/webhook-journal';
import { openDatabase } from '../../server/db/open';
import { createLogger } from '../../server/log';
import type { WebhookJournal as JournalView } from '../../src-shared/wire';

const call = (callId: string, seq = 1) => ({
  entry_id: `E-${callId}`, call_id: callId, timestamp: 1700000000 + seq, seq, call_state: 'Appeared', location: 'ivr',
  from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 },
});

const count = (j: JournalView, outcome: string, kind?: string) =>
  j.rows.filter((r) => r.outcome === outcome && (kind === undefined || r.kind === kind)).reduce((n, r) => n + r.count, 0);

describe.each([
  ['postgres', false],
  ['pglite', true],
])('webhook journal on %s', (_name, pglite) => {
  let r: TestRelay;
  const journal = async (hours?: number) => {
    const res = await r.api<JournalView>('GET', '/api/admin/mango/webhook-journal' + (hours ? `?hours=${hours}` : ''), r.adminToken);
    expect(res.status).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    r = await startTestRelay({ pglite });
  }, 60_000);
  afterAll(async () => r?.close());

  it('tells the admin what each callback got: accepted, duplicate, and each refusal by its reason', async () => {
    expect((await postSigned(r.webhookBase, 'events/call', call('J1'))).status).toBe(200);
    expect((await postSigned(r.webhookBase, 'events/call', call('J1'))).status).toBe(200);
    expect((await postSigned(r.webhookBase, 'events/call', call('J2'), { salt: 'a-wrong-salt' })).status).toBe(403);
    expect((await postSigned(r.webhookBase, 'events/call', call('J3'), { salt: 'a-wrong-salt' })).status).toBe(403);
    expect((await postSigned(r.webhookBase, 'events/summary', call('J4'), { key: 'another-vpbx' })).status).toBe(403);
    expect((await postSigned(r.webhookBase, 'events/call', '{"entry_id":')).status).toBe(400);
    expect((await postSigned(r.webhookBase, 'ping', {})).status).toBe(200);
    const unsigned = await fetch(r.webhookBase + 'events/call', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'json=%7B%7D' });
    expect(unsigned.status).toBe(403);
    const tooBig = await fetch(r.webhookBase + 'events/call', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'json=' + 'x'.repeat(300 * 1024) });
    expect(tooBig.status).toBe(413);

    const j = await journal();
    expect(j.hours).toBe(24);
    expect(count(j, 'stored', 'events/call')).toBe(1);
    expect(count(j, 'duplicate', 'events/call')).toBe(1);
    // The caller only hears "wrong key or sign"; the admin learns which one is wrong.
    expect(count(j, 'bad-sign', 'events/call')).toBe(2);
    expect(count(j, 'bad-key', 'events/summary')).toBe(1);
    expect(count(j, 'bad-json')).toBe(1);
    expect(count(j, 'ping', 'ping')).toBe(1);
    expect(count(j, 'unsigned')).toBe(1);
    expect(count(j, 'too-large')).toBe(1);
    expect(j.accepted).toBe(3);
    expect(j.refused).toBe(6);
    const badSign = j.rows.find((x) => x.outcome === 'bad-sign')!;
    expect(badSign.ip).toBe('127.0.0.1');
    expect(Date.parse(badSign.firstAt)).toBeLessThanOrEqual(Date.parse(badSign.lastAt));
    expect(Date.now() - Date.parse(badSign.lastAt)).toBeLessThan(60_000);
    // Newest first.
    const times = j.rows.map((x) => Date.parse(x.lastAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // Nothing secret travels back.
    expect(JSON.stringify(j)).not.toContain(TEST_MANGO_SALT);
  });

  it('is for admins only, and its window is validated', async () => {
    const { token } = await r.createEmployee({ login: 'journal-to', role: 'to' });
    expect((await r.api('GET', '/api/admin/mango/webhook-journal', token)).status).toBe(403);
    expect((await r.api('GET', '/api/admin/mango/webhook-journal', null)).status).toBe(401);
    for (const h of ['0', '169', '1.5', 'x']) expect((await r.api('GET', `/api/admin/mango/webhook-journal?hours=${h}`, r.adminToken)).status).toBe(400);
    expect((await journal(168)).hours).toBe(168);
  });
});

describe('webhook journal: refusals before the handler, and after a restart', () => {
  it('counts a source outside MANGO_ALLOWED_IPS, and what was counted survives the relay’s restart', async () => {
    const db = await createTestDatabase();
    try {
      const first = await startTestRelay({ databaseUrl: db.url, env: { mangoAllowedIps: ['10.20.0.0/16'] } });
      expect((await postSigned(first.webhookBase, 'events/call', call('N1'))).status).toBe(403);
      expect((await postSigned(first.webhookBase, 'events/call', call('N2'))).status).toBe(403);
      // Closed before its timer wrote anything: close writes the rest.
      await first.close();
      const second = await startTestRelay({ databaseUrl: db.url });
      try {
        const j = (await second.api<JournalView>('GET', '/api/admin/mango/webhook-journal', second.adminToken)).body;
        expect(count(j, 'ip-not-allowed', 'events/call')).toBe(2);
        expect(j.refused).toBe(2);
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  }, 60_000);
});

describe('webhook journal counting', () => {
  const log = createLogger('silent');
  const req = (ip: string) => ({ ip }) as FastifyRequest;

  // On PostgreSQL: an embedded PGlite starting under a loaded CI took longer than the test.
  const open = async () => {
    const pg = await createTestDatabase();
    const db = await openDatabase({ databaseUrl: pg.url, dataDir: null });
    return { db, close: async () => (await db.close(), await pg.drop()) };
  };

  it('keeps hours apart, merges IPv4-mapped addresses, and bounds the distinct addresses an hour', async () => {
    const { db, close } = await open();
    try {
      let now = Date.parse('2026-11-20T10:59:59.000Z');
      const j = new WebhookJournal(db, log, () => now);
      j.record(req('::ffff:192.0.2.7'), 'events/call', 'stored');
      j.record(req('192.0.2.7'), 'events/call', 'stored');
      now = Date.parse('2026-11-20T11:00:01.000Z');
      j.record(req('192.0.2.7'), 'events/call', 'stored');
      // A flood from many addresses: rows stay bounded, nothing goes uncounted.
      for (let i = 0; i < 2_100; i++) j.record(req(`198.51.${i >> 8}.${i & 255}`), 'events/call', 'bad-sign');
      await j.flush();
      const rows = (await db.query<{ hour: Date; outcome: string; ip: string; count: string }>('SELECT hour, outcome, ip, count FROM webhook_journal ORDER BY hour, outcome, ip')).rows;
      const stored = rows.filter((x) => x.outcome === 'stored');
      expect(stored.map((x) => [new Date(x.hour).toISOString(), x.ip, Number(x.count)])).toEqual([
        ['2026-11-20T10:00:00.000Z', '192.0.2.7', 2],
        ['2026-11-20T11:00:00.000Z', '192.0.2.7', 1],
      ]);
      const refused = rows.filter((x) => x.outcome === 'bad-sign');
      expect(refused.reduce((n, x) => n + Number(x.count), 0)).toBe(2_100);
      expect(refused.length).toBeLessThanOrEqual(2_000);
      expect(refused.find((x) => x.ip === '*')!.count).toBeDefined();
      // A second flush adds to the same rows.
      j.record(req('192.0.2.7'), 'events/call', 'stored');
      await j.flush();
      const again = await db.query<{ count: string }>("SELECT count FROM webhook_journal WHERE outcome = 'stored' AND hour = '2026-11-20T11:00:00Z'");
      expect(Number(again.rows[0].count)).toBe(2);
    } finally {
      await close();
    }
  });

  it('keeps the counts when the database cannot take them, and writes them later', async () => {
    const { db, close } = await open();
    try {
      const j = new WebhookJournal(db, log);
      await db.exec('ALTER TABLE webhook_journal RENAME TO webhook_journal_away');
      j.record(req('192.0.2.9'), 'ping', 'ping');
      await j.flush();
      await db.exec('ALTER TABLE webhook_journal_away RENAME TO webhook_journal');
      j.record(req('192.0.2.9'), 'ping', 'ping');
      await j.flush();
      const rows = await db.query<{ count: string }>("SELECT count FROM webhook_journal WHERE outcome = 'ping'");
      expect(rows.rows.map((x) => Number(x.count))).toEqual([2]);
    } finally {
      await close();
    }
  });
});
