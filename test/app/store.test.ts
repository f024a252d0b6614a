import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src-main/core/store/store';
import { CORE_MIGRATIONS } from '../../src-main/core/store/core-migrations';
import type { Contact } from '../../src-shared/wire';
import { makeCall } from './fixtures';

const dirs: string[] = [];
const stores: Store[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-store-'));
  dirs.push(d);
  return d;
}
function open(dir: string): Store {
  const s = openStore(dir);
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) if (s.db.open) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('store migrations', () => {
  it('creates the core tables on a fresh file, in WAL mode, and records the version', () => {
    const s = open(tmpDir());
    const tables = (s.db.prepare(`SELECT name FROM sqlite_master WHERE type='table'`).all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['schema_version', 'calls', 'contacts', 'contact_phones', 'kv']));
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const rows = s.db.prepare(`SELECT namespace, version FROM schema_version ORDER BY version`).all();
    expect(rows).toEqual(CORE_MIGRATIONS.map((m) => ({ namespace: 'core', version: m.version })));
  });

  it('re-opening applies nothing twice and keeps the data', () => {
    const dir = tmpDir();
    const a = open(dir);
    a.calls.upsert(makeCall(1));
    a.kv.set('feed.lastId', '42');
    a.close();
    const b = open(dir);
    expect(b.db.prepare('SELECT COUNT(*) AS n FROM schema_version').get()).toEqual({ n: CORE_MIGRATIONS.length });
    expect(b.calls.get(1)?.entryId).toBe('entry-1');
    expect(b.kv.get('feed.lastId')).toBe('42');
  });

  it('runs a capability namespace (mail) on the same file, once, in order', () => {
    const dir = tmpDir();
    const s = open(dir);
    const migs = [
      { version: 2, name: 'second', up: 'ALTER TABLE mail_thing ADD COLUMN b TEXT' },
      { version: 1, name: 'first', up: 'CREATE TABLE mail_thing (a TEXT)' },
    ];
    expect(s.migrate('mail', migs)).toEqual([1, 2]);
    expect(s.migrate('mail', migs)).toEqual([]);
    s.close();
    const again = open(dir);
    expect(again.migrate('mail', [...migs, { version: 3, name: 'fn', up: (db) => db.exec('CREATE TABLE mail_x (z)') }])).toEqual([3]);
    expect(() => again.migrate('core', [])).toThrow();
    expect(() => again.migrate('Bad Name', [])).toThrow();
  });

  it('a failing migration leaves neither its changes nor its version row', () => {
    const s = open(tmpDir());
    expect(() =>
      s.migrate('x', [{ version: 1, name: 'broken', up: 'CREATE TABLE ok_then (a); THIS IS NOT SQL' }]),
    ).toThrow();
    expect(s.db.prepare(`SELECT name FROM sqlite_master WHERE name='ok_then'`).get()).toBeUndefined();
    expect(s.migrate('x', [{ version: 1, name: 'fixed', up: 'CREATE TABLE ok_then (a)' }])).toEqual([1]);
  });
});

describe('calls and contacts cache', () => {
  it('upserts by relay id and lists newest first with filters and keyset paging', () => {
    const s = open(tmpDir());
    for (let i = 1; i <= 5; i++) s.calls.upsert(makeCall(i, { status: i % 2 ? 'answered' : 'missed' }));
    s.calls.upsert(makeCall(3, { status: 'missed' }));
    expect(s.calls.list({ limit: 10 }).map((c) => c.id)).toEqual([5, 4, 3, 2, 1]);
    expect(s.calls.list({ limit: 10, status: 'missed' }).map((c) => c.id)).toEqual([4, 3, 2]);
    expect(s.calls.list({ limit: 2, before: 4 }).map((c) => c.id)).toEqual([3, 2]);
    expect(s.calls.list({ limit: 10, phone: '8 916 123-45-67' })).toHaveLength(5);
  });

  it('finds a contact by any spelling of its number', () => {
    const s = open(tmpDir());
    const c: Contact = {
      id: 7, name: 'Иван', company: 'ООО Ромашка', phones: ['+7 916 123-45-67'], emails: [], note: '',
      createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z',
    };
    s.contacts.upsert(c);
    expect(s.contacts.lookup('89161234567')?.name).toBe('Иван');
    s.contacts.upsert({ ...c, phones: ['+74951112233'] });
    expect(s.contacts.lookup('89161234567')).toBeNull();
    expect(s.contacts.list('Ромаш')).toHaveLength(1);
  });
});
