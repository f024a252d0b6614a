/**
 * The app's SQLite file in the user-data folder (better-sqlite3, WAL). One Database shared by
 * the core's repos and by capabilities that bring their own tables through `migrate`.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runMigrations, type Migration } from './migrations';
import { CORE_MIGRATIONS } from './core-migrations';
import { createCallsRepo, type CallsRepo } from './calls-repo';
import { createContactsRepo, type ContactsRepo } from './contacts-repo';
import { createKvRepo, type KvRepo } from './kv-repo';

export const STORE_FILE = 'asgard.sqlite';

export interface Store {
  readonly db: Database.Database;
  readonly calls: CallsRepo;
  readonly contacts: ContactsRepo;
  readonly kv: KvRepo;
  /** Runs a capability's own numbered migrations (e.g. namespace 'mail') on this file. */
  migrate(namespace: string, migrations: readonly Migration[]): number[];
  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openStore(dir: string, fileName = STORE_FILE): Store {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(dir, fileName));
  db.pragma('journal_mode = WAL');
  // NORMAL under WAL: durable across app crashes; a power cut may lose the last commits, which
  // the relay's feed replays (lastId is in the same commit as its effect).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  runMigrations(db, 'core', CORE_MIGRATIONS);
  return {
    db,
    calls: createCallsRepo(db),
    contacts: createContactsRepo(db),
    kv: createKvRepo(db),
    migrate: (namespace, migrations) => {
      if (namespace === 'core') throw new Error("Namespace 'core' belongs to the app core");
      return runMigrations(db, namespace, migrations);
    },
    transaction: (fn) => db.transaction(fn)(),
    close: () => db.close(),
  };
}

export type { Migration } from './migrations';
