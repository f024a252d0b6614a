/**
 * The Db.tx contract both engines keep: statements issued without awaiting go out together,
 * run in order, and every one of them must succeed for the transaction to commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/open';
import type { Db } from '../../server/db/db';
import { createTestDatabase } from '../support/pg';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const engines: Record<string, Db> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  engines.postgres = await openDatabase({ databaseUrl: database.url, dataDir: null });
  engines.pglite = await openDatabase({ databaseUrl: null, dataDir: null });
  for (const db of Object.values(engines)) await db.exec('CREATE TABLE t (k text PRIMARY KEY, n int NOT NULL)');
}, 60_000);
afterAll(async () => {
  for (const db of Object.values(engines)) await db.close();
  await database?.drop();
});

const keys = async (db: Db) => (await db.query<{ k: string }>('SELECT k FROM t ORDER BY k')).rows.map((r) => r.k);

describe.each(['postgres', 'pglite'])('Db.tx on %s', (engine) => {
  it('runs statements issued together in the order they were issued', async () => {
    const db = engines[engine];
    const out = await db.tx(async (q) => {
      const a = q.query("INSERT INTO t VALUES ('a1', 1)");
      const b = q.query<{ n: number }>("UPDATE t SET n = n + 1 WHERE k = 'a1' RETURNING n");
      const c = q.query<{ n: number }>("SELECT n FROM t WHERE k = 'a1'");
      await a;
      return [(await b).rows[0].n, (await c).rows[0].n];
    });
    expect(out).toEqual([2, 2]);
    expect(await keys(db)).toContain('a1');
  });

  it('does not commit when a statement left in flight fails, and says why', async () => {
    const db = engines[engine];
    await db.query("INSERT INTO t VALUES ('dup', 1)");
    const tx = db.tx(async (q) => {
      await q.query("INSERT INTO t VALUES ('b1', 1)");
      void q.query("INSERT INTO t VALUES ('dup', 2)"); // fails after fn has returned
      return 'done';
    });
    await expect(tx).rejects.toThrow(/duplicate key/);
    expect(await keys(db)).not.toContain('b1');
  });

  it('rolls back when fn throws while its statements are still in flight', async () => {
    const db = engines[engine];
    const tx = db.tx(async (q) => {
      void q.query("INSERT INTO t VALUES ('c1', 1)");
      throw new Error('changed my mind');
    });
    await expect(tx).rejects.toThrow('changed my mind');
    expect(await keys(db)).not.toContain('c1');
  });
});
