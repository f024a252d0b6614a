/**
 * Numbered, namespaced migrations on one SQLite file. The app core owns namespace 'core';
 * other capabilities (mail) bring their own namespace and run through the same runner, so
 * every schema change of the file is recorded in the one `schema_version` table.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** 1, 2, 3… within its namespace; applied in ascending order, each exactly once. */
  version: number;
  name: string;
  /** SQL text, or a function for changes SQL alone cannot express. */
  up: string | ((db: Database.Database) => void);
}

const BOOTSTRAP = `
  CREATE TABLE IF NOT EXISTS schema_version (
    namespace  TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL,
    PRIMARY KEY (namespace, version)
  )`;

export function currentVersion(db: Database.Database, namespace: string): number {
  db.exec(BOOTSTRAP);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version WHERE namespace = ?').get(namespace) as
    | { v: number | null }
    | undefined;
  return row?.v ?? 0;
}

/**
 * Applies the migrations of `namespace` newer than what the file records. Each migration and
 * its schema_version row commit together, so a crash never leaves a half-applied step that
 * would be re-run. Returns the versions applied now (empty when already up to date).
 */
export function runMigrations(db: Database.Database, namespace: string, migrations: readonly Migration[]): number[] {
  if (!/^[a-z][a-z0-9_-]{0,40}$/.test(namespace)) throw new Error(`Bad migration namespace: ${namespace}`);
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version < 1) throw new Error(`Bad migration version ${m.version} in ${namespace}`);
    if (i > 0 && sorted[i - 1].version === m.version) throw new Error(`Duplicate migration ${m.version} in ${namespace}`);
  });
  const have = currentVersion(db, namespace);
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_version (namespace, version, name, applied_at) VALUES (?, ?, ?, ?)');
  for (const m of sorted) {
    if (m.version <= have) continue;
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      record.run(namespace, m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}
