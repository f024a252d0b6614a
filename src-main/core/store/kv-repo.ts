/** Small key-values: the last applied feed id, settings, the session (token only as ciphertext). */
import type Database from 'better-sqlite3';

export interface KvRepo {
  get(key: string): string | null;
  set(key: string, value: string): void;
  delete(key: string): void;
  getJson<T>(key: string): T | null;
  setJson(key: string, value: unknown): void;
}

export function createKvRepo(db: Database.Database): KvRepo {
  const getStmt = db.prepare('SELECT value FROM kv WHERE key = ?');
  const setStmt = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const delStmt = db.prepare('DELETE FROM kv WHERE key = ?');
  const get = (key: string) => (getStmt.get(key) as { value: string } | undefined)?.value ?? null;
  return {
    get,
    set: (key, value) => void setStmt.run(key, value),
    delete: (key) => void delStmt.run(key),
    getJson<T>(key: string) {
      const v = get(key);
      if (v == null) return null;
      try {
        return JSON.parse(v) as T;
      } catch {
        return null;
      }
    },
    setJson: (key, value) => void setStmt.run(key, JSON.stringify(value)),
  };
}
