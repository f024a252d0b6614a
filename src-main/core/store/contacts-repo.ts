/** Contacts cache: what the relay told us, so a popup can name a caller even offline. */
import type Database from 'better-sqlite3';
import type { Contact } from '../../../src-shared/wire';
import { normalizePhone } from '../../../src-shared/phone';

export interface ContactsRepo {
  upsert(contact: Contact): void;
  get(id: number): Contact | null;
  lookup(phone: string): Contact | null;
  list(search?: string, limit?: number): Contact[];
  remove(id: number): void;
  clear(): void;
}

export function createContactsRepo(db: Database.Database): ContactsRepo {
  const upsertStmt = db.prepare(`
    INSERT INTO contacts (id, name, company, json, updated_at) VALUES (@id, @name, @company, @json, @updatedAt)
    ON CONFLICT(id) DO UPDATE SET name = excluded.name, company = excluded.company, json = excluded.json,
      updated_at = excluded.updated_at`);
  const delPhones = db.prepare('DELETE FROM contact_phones WHERE contact_id = ?');
  const addPhone = db.prepare('INSERT OR IGNORE INTO contact_phones (contact_id, phone) VALUES (?, ?)');
  const getStmt = db.prepare('SELECT json FROM contacts WHERE id = ?');
  const lookupStmt = db.prepare(`
    SELECT c.json FROM contact_phones p JOIN contacts c ON c.id = p.contact_id
    WHERE p.phone = ? ORDER BY c.updated_at DESC LIMIT 1`);
  const delStmt = db.prepare('DELETE FROM contacts WHERE id = ?');

  const upsert = db.transaction((contact: Contact) => {
    upsertStmt.run({
      id: contact.id,
      name: contact.name,
      company: contact.company,
      json: JSON.stringify(contact),
      updatedAt: contact.updatedAt,
    });
    delPhones.run(contact.id);
    for (const p of contact.phones) addPhone.run(contact.id, normalizePhone(p) ?? p);
  });

  return {
    upsert,
    get(id) {
      const row = getStmt.get(id) as { json: string } | undefined;
      return row ? (JSON.parse(row.json) as Contact) : null;
    },
    lookup(phone) {
      const row = lookupStmt.get(normalizePhone(phone) ?? phone) as { json: string } | undefined;
      return row ? (JSON.parse(row.json) as Contact) : null;
    },
    list(search, limit = 500) {
      const rows = search
        ? (db
            .prepare(`SELECT json FROM contacts WHERE json LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?`)
            .all(`%${search.replace(/[\\%_]/g, (c) => '\\' + c)}%`, limit) as { json: string }[])
        : (db.prepare('SELECT json FROM contacts ORDER BY name LIMIT ?').all(limit) as { json: string }[]);
      return rows.map((r) => JSON.parse(r.json) as Contact);
    },
    remove(id) {
      delStmt.run(id);
    },
    clear() {
      db.exec('DELETE FROM contact_phones; DELETE FROM contacts;');
    },
  };
}
