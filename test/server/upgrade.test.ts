/**
 * Migration 005 (the reduce queue) during a rolling upgrade: events the previous release left
 * unreduced are queued by the migration, and events an instance of the previous release still
 * stores (reduced = false) are queued as they arrive; the new relay reduces both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../support/pg';
import { startTestRelay, type TestRelay } from '../support/relay';

const MIGRATIONS = join(__dirname, '../../server/db/migrations');
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: pg.Client;
let r: TestRelay | undefined;

const event = (entry: string, leg: string) =>
  JSON.stringify({
    entry_id: entry, call_id: `${entry}-${leg}`, timestamp: 1700000000, seq: 1, call_state: 'Appeared', location: 'ivr',
    from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' },
  });
/** The previous release's ingest statement for an event it did not reduce in the same transaction. */
const storeAsPreviousRelease = (entry: string, leg: string) =>
  sql.query(
    `INSERT INTO mango_events (kind, idem_key, entry_id, payload, raw_json, reduced) VALUES ('events/call', $1, $2, $3::jsonb, $3, false)`,
    [`call:${entry}-${leg}:1:Appeared`, entry, event(entry, leg)],
  );

beforeAll(async () => {
  database = await createTestDatabase();
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  // The schema as the previous release left it: migrations up to 004.
  await sql.query('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  for (const f of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql') && f < '005').sort()) {
    await sql.query(readFileSync(join(MIGRATIONS, f), 'utf8'));
    await sql.query('INSERT INTO schema_migrations (name) VALUES ($1)', [f]);
  }
}, 60_000);
afterAll(async () => {
  await r?.close();
  await sql?.end();
  await database?.drop();
});

describe('upgrading to the reduce queue', () => {
  it('reduces what the previous release left unreduced, and what it still stores during the upgrade', async () => {
    await storeAsPreviousRelease('UPG-BEFORE', 'a');
    r = await startTestRelay({ databaseUrl: database.url }); // migrates, then reduces the queue
    await storeAsPreviousRelease('UPG-DURING', 'a');
    r.relay.ctx.reducer.schedule();
    await r.settle();
    const calls = await sql.query<{ entry_id: string }>('SELECT entry_id FROM calls ORDER BY entry_id');
    expect(calls.rows.map((x) => x.entry_id)).toEqual(['UPG-BEFORE', 'UPG-DURING']);
    expect((await sql.query('SELECT 1 FROM reduce_queue')).rows).toHaveLength(0);
  });
});
