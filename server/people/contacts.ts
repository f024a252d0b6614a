import type { Queryable } from '../db/db';
import type { Contact } from '../../src-shared/wire';
import { normalizePhone, normalizePhoneWithExt } from '../../src-shared/phone';
import { foldRu } from '../../src-shared/fold';

export interface ContactRow {
  id: number;
  name: string;
  company: string;
  phones: string[];
  emails: string[];
  note: string;
  created_at: Date | string;
  updated_at: Date | string;
}

export function toContact(r: ContactRow): Contact {
  return {
    id: Number(r.id),
    name: r.name,
    company: r.company,
    phones: r.phones ?? [],
    emails: r.emails ?? [],
    note: r.note,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export async function findContactByPhone(q: Queryable, phone: string): Promise<Contact | null> {
  const n = normalizePhone(phone);
  if (!n) return null;
  const r = await q.query<ContactRow>(
    'SELECT c.* FROM contacts c JOIN contact_phones p ON p.contact_id = c.id WHERE p.phone = $1 AND c.merged_into IS NULL ORDER BY c.id LIMIT 1',
    [n],
  );
  return r.rows[0] ? toContact(r.rows[0]) : null;
}

export async function getContact(q: Queryable, id: number): Promise<Contact | null> {
  const r = await q.query<ContactRow>('SELECT * FROM contacts WHERE id = $1', [id]);
  return r.rows[0] ? toContact(r.rows[0]) : null;
}

/**
 * Text folded in SQL as foldRu folds it in JS: case and «ё» aside. Cyrillic capitals go through
 * translate() too, so the result does not depend on the database's LC_CTYPE (lower() under "C"
 * leaves them as they are). Migration 010's index is this expression over btrim()'d columns.
 */
export const FOLD_SQL = (expr: string) => `lower(translate(${expr}, 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё', 'абвгдеежзийклмнопрстуфхцчшщъыьэюяе'))`;
/** A search as a LIKE pattern for FOLD_SQL'd text: folded, its wildcards taken literally. */
export const foldedLike = (s: string) => `%${foldRu(s).replace(/[\\%_]/g, (c) => '\\' + c)}%`;

/** «Объединить с…» and old apps' list: name, company (ё as е, any case), email or phone digits. */
export async function listContacts(q: Queryable, search: string | undefined, limit = 200): Promise<Contact[]> {
  const s = (search ?? '').trim();
  const digits = s.replace(/\D/g, '');
  const r = await q.query<ContactRow>(
    `SELECT * FROM contacts WHERE merged_into IS NULL AND ($1 = '' OR ${FOLD_SQL('name')} LIKE $4 OR ${FOLD_SQL('company')} LIKE $4
       OR emails::text ILIKE '%' || $1 || '%' OR ($2 <> '' AND phones::text LIKE '%' || $2 || '%'))
     ORDER BY name, id LIMIT $3`,
    [s, digits.length >= 3 ? digits : '', limit, foldedLike(s)],
  );
  return r.rows.map(toContact);
}

export interface ContactInput {
  name?: string;
  company?: string;
  phones?: string[];
  emails?: string[];
  note?: string;
}

/** Normalized, each with its extension ("+74951234567 доб. 215"): the same number at two desks is two phones. */
function cleanPhones(phones: string[]): string[] {
  return [...new Set(phones.map((p) => normalizePhoneWithExt(p)).filter((p): p is string => !!p))];
}

/** Calls are matched on the number without its extension (normalizePhone strips it). */
async function indexPhones(q: Queryable, id: number, phones: string[]) {
  await q.query('DELETE FROM contact_phones WHERE contact_id = $1', [id]);
  for (const p of new Set(phones.map((x) => normalizePhone(x) ?? x)))
    await q.query('INSERT INTO contact_phones (phone, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [p, id]);
}

export async function createContact(q: Queryable, c: ContactInput): Promise<Contact> {
  const phones = cleanPhones(c.phones ?? []);
  const r = await q.query<ContactRow>(
    'INSERT INTO contacts (name, company, phones, emails, note) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5) RETURNING *',
    [c.name ?? '', c.company ?? '', JSON.stringify(phones), JSON.stringify(c.emails ?? []), c.note ?? ''],
  );
  await indexPhones(q, Number(r.rows[0].id), phones);
  return toContact(r.rows[0]);
}

export async function updateContact(q: Queryable, id: number, patch: ContactInput): Promise<Contact | null> {
  const cur = await getContact(q, id);
  if (!cur) return null;
  const phones = patch.phones ? cleanPhones(patch.phones) : cur.phones;
  const r = await q.query<ContactRow>(
    'UPDATE contacts SET name=$2, company=$3, phones=$4::jsonb, emails=$5::jsonb, note=$6, updated_at=now() WHERE id=$1 RETURNING *',
    [id, patch.name ?? cur.name, patch.company ?? cur.company, JSON.stringify(phones), JSON.stringify(patch.emails ?? cur.emails), patch.note ?? cur.note],
  );
  await indexPhones(q, id, phones);
  return toContact(r.rows[0]);
}

/**
 * Deletes a live contact together with the contacts merged into it (their phones go with them).
 * Calls keep their numbers; the caller's card is simply no longer known. False: no such live contact.
 */
export async function deleteContact(q: Queryable, id: number): Promise<number[] | null> {
  // One statement: the merge tree's foreign keys are checked at its end, when all of it is gone.
  const r = await q.query<{ id: number }>(
    `WITH RECURSIVE tree AS (
       SELECT id FROM contacts WHERE id = $1 AND merged_into IS NULL
       UNION ALL SELECT c.id FROM contacts c JOIN tree t ON c.merged_into = t.id
     )
     DELETE FROM contacts WHERE id IN (SELECT id FROM tree) RETURNING id`,
    [id],
  );
  const ids = r.rows.map((x) => Number(x.id));
  return ids.includes(id) ? ids : null;
}

/** Moves the second contact's phones, emails and note into the first and retires the second. */
export async function mergeContacts(q: Queryable, keepId: number, mergeId: number): Promise<Contact | null> {
  if (keepId === mergeId) return getContact(q, keepId);
  const keep = await getContact(q, keepId);
  const gone = await getContact(q, mergeId);
  if (!keep || !gone) return null;
  const merged = await updateContact(q, keepId, {
    phones: [...keep.phones, ...gone.phones],
    emails: [...new Set([...keep.emails, ...gone.emails])],
    company: keep.company || gone.company,
    note: mergeNotes(keep.note, gone.note),
  });
  await q.query('UPDATE contacts SET merged_into = $1, updated_at = now() WHERE id = $2', [keepId, mergeId]);
  await q.query('DELETE FROM contact_phones WHERE contact_id = $1', [mergeId]);
  return merged;
}

/** Two notes as one: the same text (or one already inside the other) is not written twice. */
export function mergeNotes(a: string, b: string): string {
  const x = a.trim();
  const y = b.trim();
  if (!y || x.includes(y)) return a;
  if (!x || y.includes(x)) return b;
  return `${a}\n${b}`;
}
