import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { statementTracker, type Db, type Queryable, type QueryResult } from './db';

/** Embedded Postgres (WASM) in a folder: the zero-setup default. One connection, so calls queue. */
export async function openPglite(dir: string | null): Promise<Db> {
  if (dir) mkdirSync(dir, { recursive: true });
  const pg = dir ? await PGlite.create(dir) : await PGlite.create();
  const wrap = async <T>(q: { query: PGlite['query'] }, text: string, params?: unknown[]): Promise<QueryResult<T>> => {
    const r = await q.query<T>(text, params as unknown[]);
    return { rows: r.rows.map(normalizeBigints) as T[], rowCount: r.affectedRows ?? r.rows.length };
  };
  const db: Db = {
    kind: 'pglite',
    query: (text, params) => wrap(pg, text, params),
    exec: async (sql) => {
      await pg.exec(sql);
    },
    tx: (fn) =>
      pg.transaction(async (t) => {
        // Statements fn leaves in flight must finish (and succeed) before PGlite commits.
        const { track, settled } = statementTracker();
        const out = await fn({
          query: (text, params) => track(wrap(t as never, text, params)),
          exec: async (sql: string) => {
            await track(t.exec(sql));
          },
        } as Queryable);
        await settled();
        return out;
      }),
    async listen(channel, onPayload) {
      const unsub = await pg.listen(channel, onPayload);
      return async () => unsub();
    },
    close: () => pg.close(),
  };
  return db;
}

function normalizeBigints<T>(row: T): T {
  if (row && typeof row === 'object') {
    for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
      if (typeof v === 'bigint') (row as Record<string, unknown>)[k] = Number(v);
    }
  }
  return row;
}
