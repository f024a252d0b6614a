/**
 * «Контакты»: the company's clients by name, searched and paged on the relay (a directory of
 * 50,000 stays fast: keyset pages on the (name, id) index, never the whole list), and the same
 * filter as a CSV file for Excel.
 */
import type { Queryable } from '../db/db';
import type { ContactListItem, ContactsCursor, ContactsPage } from '../../src-shared/wire';
import { callsWhere } from '../calls/queries';
import { csvRow, pagedCsv } from '../ops/csv';
import { formatPhoneWithExt, isExternalNumber, normalizePhone } from '../../src-shared/phone';
import type { EmployeeRow } from './employees';
import { FOLD_SQL, foldedLike, toContact, type ContactRow } from './contacts';

export const CONTACTS_PAGE_MAX = 500;
export const CONTACTS_EXPORT_MAX_ROWS = 100_000;
const EXPORT_PAGE_ROWS = 2000;
export const CONTACTS_CSV_HEADER = ['Имя', 'Компания', 'Телефоны', 'Email', 'Заметка'];

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

/**
 * The search's condition on contacts row `k`, its parameters pushed onto `params`: a part of the
 * name or company (case and «ё» aside: people type «Соловьев» for «Соловьёв»), of an email, or
 * (three digits and more) of a phone — as typed with a Russian leading 8 too, since phones are
 * stored as +7…. A substring search has no index to use either way (a scan of the live contacts).
 */
function searchWhere(search: string | undefined, params: unknown[]): string {
  const s = (search ?? '').trim();
  if (!s) return 'true';
  params.push(foldedLike(s));
  const f = params.length;
  params.push(`%${likeEscape(s)}%`);
  const t = params.length;
  const or = [`${FOLD_SQL('k.name')} LIKE $${f}`, `${FOLD_SQL('k.company')} LIKE $${f}`, `k.emails::text ILIKE $${t}`];
  const digits = s.replace(/\D/g, '');
  if (digits.length >= 3) {
    params.push(`%${digits}%`);
    or.push(`k.phones::text LIKE $${params.length}`);
    if (digits.startsWith('8')) {
      params.push(`%7${digits.slice(1)}%`);
      or.push(`k.phones::text LIKE $${params.length}`);
    }
  }
  return `(${or.join(' OR ')})`;
}

type ListRow = ContactRow & { last_call_at: Date | string | null };

/**
 * One page in the directory's order (name, then id), after `after`. The first page (no cursor)
 * also counts all matching. Each row's last call is the newest the viewer may see with any of
 * its phones: one index probe per phone (calls_client_recent), on this page's rows only.
 */
export async function pageContacts(q: Queryable, viewer: EmployeeRow, f: { search?: string; limit: number; after?: ContactsCursor }): Promise<ContactsPage> {
  const params: unknown[] = [];
  const where = ['k.merged_into IS NULL', searchWhere(f.search, params)];
  const counted = f.after ? null : q.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts k WHERE ${where.join(' AND ')}`, [...params]);
  if (f.after) {
    params.push(f.after.name, f.after.id);
    where.push(`(k.name, k.id) > ($${params.length - 1}, $${params.length})`);
  }
  const seen = callsWhere(viewer, {}, params).join(' AND ');
  const limit = Math.min(CONTACTS_PAGE_MAX, Math.max(1, f.limit));
  params.push(limit);
  const [r, n] = await Promise.all([
    q.query<ListRow>(
      `SELECT k.*, (SELECT max(lc.at) FROM contact_phones p
                      CROSS JOIN LATERAL (SELECT c.started_at AS at FROM calls c WHERE c.client_number = p.phone AND ${seen}
                                          ORDER BY c.started_at DESC LIMIT 1) lc
                     WHERE p.contact_id = k.id) AS last_call_at
       FROM contacts k WHERE ${where.join(' AND ')} ORDER BY k.name, k.id LIMIT $${params.length}`,
      params,
    ),
    counted,
  ]);
  const contacts: ContactListItem[] = r.rows.map((x) => ({ ...toContact(x), lastCallAt: x.last_call_at ? new Date(x.last_call_at).toISOString() : null }));
  const last = contacts.at(-1);
  const page: ContactsPage = { contacts, next: last && contacts.length === limit ? { name: last.name, id: last.id } : null };
  if (n) page.total = Number(n.rows[0].n);
  return page;
}

export interface ContactsExport {
  filename: string;
  /** The file in pieces; the first (its query done) is ready, so a failure before it is an API error. */
  chunks: AsyncIterable<string>;
}

/**
 * A phone for Excel: a Russian number as Russians write it, «8 (916) 123-45-67» (with « доб. 215»
 * if it has one). A leading «+» would make Excel read the cell as a formula (csvRow defuses that
 * with a visible apostrophe) and a bare «79161234567» becomes 7,92E+10; «8 (…) …-…-…» stays text,
 * reads naturally and imports back as the same +7 number. Other countries' numbers keep their
 * code without the «+» («49 30 1234567»), which the import takes back as +49….
 */
export function exportPhone(raw: string): string {
  const n = normalizePhone(raw);
  const f = formatPhoneWithExt(raw);
  if (n && /^\+7\d{10}$/.test(n)) return f.replace(/^\+7 /, '8 ');
  return isExternalNumber(n) ? f.replace(/^\+/, '') : f;
}

const toCsv = (c: ContactRow) => csvRow([c.name, c.company, (c.phones ?? []).map(exportPhone).join(', '), (c.emails ?? []).join(', '), c.note]);

/**
 * The directory for `search` as CSV (Имя; Компания; Телефоны; Email; Заметка), by name, read in
 * keyset pages as the consumer pulls, at most `maxRows` contacts. `day`: today as the viewer
 * counts it, for the file's name.
 */
export async function exportContacts(q: Queryable, search: string | undefined, day: string, opts: { maxRows?: number; pageRows?: number } = {}): Promise<ContactsExport> {
  const maxRows = opts.maxRows ?? CONTACTS_EXPORT_MAX_ROWS;
  const pageRows = opts.pageRows ?? EXPORT_PAGE_ROWS;
  const page = async (after: ContactsCursor | null, limit: number) => {
    const params: unknown[] = [];
    const where = ['k.merged_into IS NULL', searchWhere(search, params)];
    if (after) {
      params.push(after.name, after.id);
      where.push(`(k.name, k.id) > ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    return (await q.query<ContactRow>(`SELECT k.* FROM contacts k WHERE ${where.join(' AND ')} ORDER BY k.name, k.id LIMIT $${params.length}`, params)).rows;
  };
  const firstLimit = Math.min(pageRows, maxRows);
  const first = await page(null, firstLimit);
  const chunks = pagedCsv({
    header: CONTACTS_CSV_HEADER,
    first,
    firstLimit,
    pageRows,
    maxRows,
    cursor: (c: ContactRow): ContactsCursor | null => ({ name: c.name, id: Number(c.id) }),
    page,
    line: toCsv,
    cutNote: `Выгружены первые ${maxRows.toLocaleString('ru-RU')} контактов, остальные не вошли: уточните поиск.`,
  });
  return { filename: `contacts-${day}.csv`, chunks };
}
