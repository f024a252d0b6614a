import { join } from 'node:path';
import type { Db } from './db';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';
import { migrate } from './migrate';

/** DATABASE_URL → Postgres; otherwise embedded PGlite under DATA_DIR/pg. Migrations run on open. */
export async function openDatabase(opts: { databaseUrl: string | null; dataDir: string | null }): Promise<Db> {
  const db = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl)
    : await openPglite(opts.dataDir ? join(opts.dataDir, 'pg') : null);
  await migrate(db);
  return db;
}
