/**
 * «Загрузить из CSV»: a client list exported from an old CRM, a phone or Excel, brought into
 * the directory. The file is read and planned in memory (what is new, which existing contacts a
 * row's phone — or, for a row without one, its email or its name and company — already belongs
 * to, which rows cannot be taken and why); a dry run answers the plan, the real import plans
 * again inside its transaction and writes it in a few set-based statements, so 20,000 rows take
 * one round trip per table, not one per row.
 */
import type { Db, Queryable } from '../db/db';
import { CONTACTS_IMPORT_MAX_ROWS, type ContactsImportColumn, type ContactsImportConflict, type ContactsImportField, type ContactsImportResult } from '../../src-shared/wire';
import { normalizePhone, normalizePhoneWithExt } from '../../src-shared/phone';
import { foldRu } from '../../src-shared/fold';
import { parseCsv } from '../ops/csv';
import { FOLD_SQL as FOLD, toContact, type ContactRow } from './contacts';

/** A file that is no contacts list, or too long: the route answers it as a 400 with this message. */
export class ContactsImportRefused extends Error {
  constructor(
    readonly code: 'bad-request' | 'too-many-rows',
    message: string,
  ) {
    super(message);
  }
}

/** What a column of the file holds (see classify); null: the import does not use it. */
type Field = ContactsImportField;
type Text = Exclude<Field, 'phone' | 'email'>;

/** "Моб. телефон:" → "моб. телефон": case, ё, brackets, a trailing colon or asterisk do not matter. */
const headerKey = (h: string) =>
  h.replace(/^\ufeff/, '').toLowerCase().replace(/ё/g, 'е').replace(/\([^)]*\)/g, ' ').replace(/[:*]+\s*$/, '').replace(/\s+/g, ' ').trim();

/**
 * A header as Russian and English exports write it (Excel lists, 1С, Outlook, Google): matched
 * by its words, not letter for letter, so «Моб. телефон», «Телефон рабочий», «Тел. моб.»,
 * «Сотовый», «Work Phone» are all phones. Order matters: «Рабочий e-mail» is an email,
 * «Домашний адрес» and «Факс» are nothing, «Organization 1 - Title» a position.
 */
function classify(key: string): Field | null {
  const words = key.split(/[\s.,:;/\\_\-–—№#0-9]+/).filter(Boolean);
  const is = (...w: string[]) => words.some((x) => w.includes(x));
  const starts = (...w: string[]) => words.some((x) => w.some((y) => x.startsWith(y)));
  if (!words.length || is('type', 'label', 'тип')) return null;
  if (is('email', 'emails', 'mail', 'mails', 'почта', 'почты') || starts('электронн')) return 'email';
  if (starts('адрес', 'address', 'факс', 'fax', 'индекс', 'город')) return null;
  if (starts('телефон', 'phone', 'telephone', 'моб', 'сотов', 'mobile', 'whatsapp', 'viber') || is('тел', 'tel', 'cell')) return 'phone';
  if (words.length <= 2 && (starts('рабоч', 'домашн') || is('раб', 'дом', 'work', 'home', 'office'))) return 'phone';
  if (starts('должн', 'position') || (is('title') && (is('job') || starts('organi')))) return 'position';
  if (starts('компан', 'организац', 'фирм', 'контрагент', 'company', 'organi', 'employer', 'предприят') || is('org')) return 'company';
  if (starts('фамил', 'surname') || (is('last', 'family') && is('name'))) return 'lastName';
  if (starts('отчеств') || (is('middle') && is('name'))) return 'middleName';
  if ((is('first', 'given') && is('name')) || key === 'имя' || key === 'name') return 'firstName';
  if (is('фио', 'name', 'имя') || key.replace(/[\s.]/g, '') === 'фио' || starts('контакт')) return 'name';
  if (starts('примечан', 'коммент', 'замет', 'описан', 'note', 'comment', 'description')) return 'note';
  return null;
}

/**
 * The name as the file writes it: a full-name column, else its parts from their own columns in
 * the file's order (Russian lists put Фамилия first, Google's and Outlook's First Name first).
 */
const PARTS: readonly Field[] = ['lastName', 'firstName', 'middleName'];

const LIMITS = { name: 200, company: 200, note: 5000 } as const;
const FIELD_LABEL = { name: 'Имя', company: 'Компания', note: 'Заметка' } as const;
const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;
/** The skipped rows a result lists; the count covers all of them. */
const ERRORS_SHOWN = 100;
const SAMPLES_SHOWN = 10;

/**
 * A phone as the directory keeps it: normalized like every other number (normalizePhone), and
 * only a real number (+…), a SIP URI or an extension (up to 6 digits). Digits no country's plan
 * allows are not a phone worth matching calls on; a foreign number written without its '+'
 * ("49 30 1234567", as our own export writes it) gets one.
 */
export function importPhone(raw: string): string | null {
  let n = normalizePhone(raw);
  if (!n) return null;
  if (/^\d{10,15}$/.test(n)) {
    const plus = normalizePhone('+' + n);
    if (plus?.startsWith('+')) n = plus;
  }
  if (!(n.startsWith('+') || /^sips?:/.test(n) || /^\d{1,6}$/.test(n))) return null;
  // Kept with its extension («доб. 215»), as the card stores it (normalizePhoneWithExt).
  const ext = n.startsWith('+') ? normalizePhoneWithExt(raw) : null;
  return ext?.startsWith(n) ? ext : n;
}

/** The number calls are matched on: the stored phone without its extension. */
const mainNumber = (phone: string) => normalizePhone(phone) ?? phone;

interface Parsed {
  row: number;
  name: string;
  company: string;
  phones: string[];
  emails: string[];
  note: string;
}

interface Target {
  row: number;
  /** Absent: a contact to create. */
  id?: number;
  name: string;
  company: string;
  phones: string[];
  emails: string[];
  note: string;
  /** A contact this import creates (its id is assigned when written). */
  isNew: boolean;
  /** What the file adds to an existing contact. */
  addPhones: string[];
  addEmails: string[];
  filled: boolean;
  /** Its name-and-company key as last indexed (see plan), '' while it has no name. */
  key?: string;
}

const split = (cells: string[]) =>
  cells
    .flatMap((c) => c.split(/[,;\n]+/))
    .map((x) => x.trim())
    .filter(Boolean);

/** A cell Excel turned into a number in exponent form («7,91655E+10»): the number's digits are gone. */
const EXCEL_EXPONENT = /^[+-]?\d+(?:[.,]\d+)?e[+-]?\d+$/i;
/** A piece that is only an extension («доб. 215» written after a comma): it belongs to the number before it. */
const EXT_ONLY = /^(?:доб(?:авочный)?|доп|вн(?:утр(?:енний)?)?|ext(?:ension)?)\.?\s*:?\s*\d{1,6}$/i;

/** The file's rows as contacts' fields, its columns as read, and the rows that cannot be taken. Throws a 400 for a file that is no contacts list. */
export function readContactsCsv(csv: string): { rows: Parsed[]; errors: { row: number; reason: string }[]; total: number; columns: ContactsImportColumn[] } {
  const records = parseCsv(csv);
  const headerAt = records.findIndex((r) => r.some((c) => c.trim()));
  if (headerAt < 0) throw new ContactsImportRefused('bad-request', 'Файл пуст');
  const headers = records[headerAt].map((h) => h.replace(/^\ufeff/, '').trim());
  const fields = headers.map((h) => classify(headerKey(h)));
  // «Имя» next to «Фамилия» is the first name; alone it is the whole name.
  if (fields.includes('lastName')) fields.forEach((f, i) => f === 'name' && ['имя', 'name'].includes(headerKey(headers[i])) && (fields[i] = 'firstName'));
  else fields.forEach((f, i) => f === 'firstName' && !fields.includes('name') && ['имя', 'name'].includes(headerKey(headers[i])) && (fields[i] = 'name'));
  const cols = (f: Field) => fields.flatMap((x, i) => (x === f ? [i] : []));
  const columns: ContactsImportColumn[] = headers.flatMap((header, column) => (header || fields[column] ? [{ column: column + 1, header, field: fields[column] }] : []));
  const nameParts = fields.flatMap((f, i) => (f && PARTS.includes(f) ? [i] : []));
  const hasName = fields.some((f) => f === 'name' || f === 'lastName' || f === 'firstName');
  if (!hasName && !cols('phone').length) {
    throw new ContactsImportRefused('bad-request', 'В первой строке файла нет столбцов «Имя» и «Телефон»: ожидаются заголовки Имя (ФИО, Name), Компания, Телефон, Email, Заметка');
  }
  const data = records.slice(headerAt + 1).map((cells, i) => ({ cells, row: headerAt + i + 2 }));
  const filled = data.filter((d) => d.cells.some((c) => c.trim()));
  if (filled.length > CONTACTS_IMPORT_MAX_ROWS) {
    throw new ContactsImportRefused('too-many-rows', `В файле ${filled.length.toLocaleString('ru-RU')} строк: за один раз можно загрузить не больше ${CONTACTS_IMPORT_MAX_ROWS.toLocaleString('ru-RU')}. Разделите файл на части.`);
  }
  const rows: Parsed[] = [];
  const errors: { row: number; reason: string }[] = [];
  for (const { cells, row } of filled) {
    const text = (f: Text) =>
      cols(f)
        .map((i) => (cells[i] ?? '').trim())
        .filter(Boolean)
        .join(f === 'note' ? '\n' : ' ');
    const position = text('position');
    const note = [position ? `Должность: ${position}` : '', text('note')].filter(Boolean).join('\n');
    const name = text('name') || nameParts.map((i) => (cells[i] ?? '').trim()).filter(Boolean).join(' ');
    const p: Parsed = { row, name, company: text('company'), note, phones: [], emails: [] };
    const reason = (() => {
      for (const f of ['name', 'company', 'note'] as const) if (p[f].length > LIMITS[f]) return `поле «${FIELD_LABEL[f]}» длиннее ${LIMITS[f]} символов`;
      for (const i of cols('phone')) {
        const cell = (cells[i] ?? '').trim();
        if (EXCEL_EXPONENT.test(cell)) {
          return `в столбце «${headers[i]}» вместо номера «${cell}»: Excel превратил номер в число в экспоненциальной записи, и цифры номера потеряны. Задайте в Excel столбцу с телефонами формат «Текстовый», введите номера заново и сохраните файл ещё раз`;
        }
        // «…43, доб. 215»: the extension goes with the number before it.
        const pieces = split([cell]).reduce<string[]>((acc, x) => (EXT_ONLY.test(x) && acc.length ? [...acc.slice(0, -1), `${acc.at(-1)} ${x}`] : [...acc, x]), []);
        for (const raw of pieces) {
          const n = importPhone(raw);
          if (!n) return `не распознан телефон «${raw.slice(0, 40)}»`;
          if (!p.phones.includes(n)) p.phones.push(n);
        }
      }
      for (const raw of split(cols('email').map((i) => cells[i] ?? ''))) {
        if (!EMAIL.test(raw) || raw.length > 200) return `не распознан email «${raw.slice(0, 60)}»`;
        if (!p.emails.some((e) => e.toLowerCase() === raw.toLowerCase())) p.emails.push(raw);
      }
      if (!p.name && !p.phones.length) return 'нет ни имени, ни телефона';
      if (p.phones.length > 20 || p.emails.length > 20) return 'больше 20 телефонов или адресов';
      return null;
    })();
    if (reason) errors.push({ row, reason });
    else rows.push(p);
  }
  return { rows, errors, total: filled.length, columns };
}

/**
 * A name or company as the import compares them: edge spaces, case and «ё» aside (foldRu). The
 * database side (NAME_KEY, indexed by migration 010) is the same fold in SQL; it only picks
 * candidates, which are compared here again with this one.
 */
const fold = (s: string) => foldRu(s.trim());
const nameKey = (name: string, company: string) => (name.trim() ? fold(name) + '\u0000' + fold(company) : '');
const FOLD_SQL = (col: string) => FOLD(`btrim(${col})`);
/** Name and company folded, as one text (so `= ANY` of the file's keys probes the index or hashes). */
const NAME_KEY = `(${FOLD_SQL('k.name')} || chr(1) || ${FOLD_SQL('k.company')})`;
const emailKey = (e: string) => e.toLowerCase();

const quoted = (s: string) => `«${s.length > 60 ? s.slice(0, 60) + '…' : s}»`;

type Conflict = ContactsImportConflict;

/** Words of a name, folded («Соловьёв А.» → соловьев); initials of one letter do not count. */
const nameWords = (s: string) => new Set(fold(s).split(/[^a-zа-я0-9]+/).filter((w) => w.length >= 2));
/** Two written names with no word in common are two people; an empty or initials-only name fits anyone. */
function otherPerson(a: string, b: string): boolean {
  const x = nameWords(a);
  const y = nameWords(b);
  if (!x.size || !y.size) return false;
  for (const w of x) if (y.has(w)) return false;
  return true;
}

/**
 * What importing `rows` does. A row joins, in this order: the contact one of its phones already
 * belongs to (an existing one, or one an earlier row of the file creates; matched on the number
 * without its extension); else the one live contact with one of its emails, any case; else the
 * one with its name and its company (edge spaces, case and «ё» aside). It adds the phones and
 * emails that contact lacks and fills its empty name, company or note — never replacing what is
 * written there. So a list imported once without phones and again with them fills in the same
 * contacts, and the same file twice, or a row repeated in it, adds no one twice.
 *
 * A phone already belongs to one contact only. A row whose phone belongs to someone of another
 * name («Орлов Д.» with «Соловьёв Андрей»'s mobile: no word in common; «Сидоров О.» and «Сидоров
 * Олег» are one person) does not join them: its name and note are kept as a contact of their own
 * (matched by email or name like any row), without that phone, and the preview lists the phone as
 * a conflict. So does a phone of a row that joined another contact.
 *
 * When several contacts fit an email or a name, which one is meant is unclear: a row without a
 * phone is skipped with the reason, a row with phones becomes a new contact (its numbers are not
 * lost). Only a row nothing fits becomes a new contact.
 *
 * The contacts the file's phones, emails and names may refer to are read in one statement each.
 */
async function plan(q: Queryable, rows: Parsed[]): Promise<{ targets: Target[]; skipped: { row: number; reason: string }[]; conflicts: Conflict[] }> {
  const existing = new Map<number, Target>();
  const owner = new Map<string, Target>();
  const byEmail = new Map<string, Set<Target>>();
  const byName = new Map<string, Set<Target>>();

  /** Keeps byEmail and byName up to date with what `t` now holds (emails are only ever added). */
  const reindex = (t: Target) => {
    for (const e of t.emails) {
      const k = emailKey(e);
      let set = byEmail.get(k);
      if (!set) byEmail.set(k, (set = new Set()));
      set.add(t);
    }
    const key = nameKey(t.name, t.company);
    if (key === (t.key ?? '')) return;
    if (t.key) byName.get(t.key)?.delete(t);
    t.key = key;
    if (!key) return;
    let set = byName.get(key);
    if (!set) byName.set(key, (set = new Set()));
    set.add(t);
  };
  const known = (x: ContactRow): Target => {
    const id = Number(x.id);
    let t = existing.get(id);
    if (!t) {
      const c = toContact(x);
      t = { row: 0, id, isNew: false, name: c.name, company: c.company, phones: [...c.phones], emails: [...c.emails], note: c.note, addPhones: [], addEmails: [], filled: false };
      existing.set(id, t);
      reindex(t);
    }
    return t;
  };

  const phones = [...new Set(rows.flatMap((r) => r.phones.map(mainNumber)))];
  if (phones.length) {
    const r = await q.query<ContactRow & { phone: string }>(
      `SELECT DISTINCT ON (p.phone) p.phone, k.* FROM contact_phones p JOIN contacts k ON k.id = p.contact_id
       WHERE p.phone = ANY($1::text[]) AND k.merged_into IS NULL ORDER BY p.phone, k.id`,
      [phones],
    );
    for (const x of r.rows) owner.set(x.phone, known(x));
  }
  // Any row may fall back on its email or name (its phones may all be new, or someone else's).
  const emails = [...new Set(rows.flatMap((r) => r.emails.map(emailKey)))];
  if (emails.length) {
    // Emails live in a JSON array no index can reach by lower case; a contact holding any of the
    // file's addresses is found in one pass over the live contacts with an email (`= ANY` of a
    // long list is a hash lookup), however many addresses the file has.
    const r = await q.query<ContactRow>(
      `SELECT k.* FROM contacts k WHERE k.merged_into IS NULL AND k.emails <> '[]'::jsonb
         AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(k.emails) AS e(email) WHERE lower(e.email) = ANY($1::text[]))`,
      [emails],
    );
    for (const x of r.rows) known(x);
  }
  // The file's keys are folded by the same SQL as the index (not by JS's fold, whose idea of
  // case and spaces is wider than lower()/btrim's): a candidate is never missed for that.
  const named = rows.filter((r) => r.name.trim());
  if (named.length) {
    const r = await q.query<ContactRow>(
      `SELECT k.* FROM contacts k
       WHERE ${NAME_KEY} = ANY(SELECT ${FOLD_SQL('u.n')} || chr(1) || ${FOLD_SQL('u.c')} FROM unnest($1::text[], $2::text[]) AS u(n, c))
         AND k.merged_into IS NULL`,
      [named.map((r) => r.name), named.map((r) => r.company)],
    );
    for (const x of r.rows) known(x);
  }
  /** The one contact a row's email or name refers to; a reason when several do; undefined when none. */
  const match = (p: Parsed): Target | string | undefined => {
    const byMail = new Set(p.emails.flatMap((e) => [...(byEmail.get(emailKey(e)) ?? [])]));
    if (byMail.size === 1) return [...byMail][0];
    if (byMail.size > 1) {
      const shared = p.emails.filter((e) => byEmail.get(emailKey(e))?.size);
      return `${shared.length > 1 ? 'адреса' : 'адрес'} ${shared.map(quoted).join(', ')} есть у нескольких контактов — неясно, какой дополнить; укажите телефон`;
    }
    const byKey = byName.get(nameKey(p.name, p.company));
    if (!byKey?.size) return undefined;
    if (byKey.size === 1) return [...byKey][0];
    return `несколько контактов с именем ${quoted(p.name)} ${p.company ? `и компанией ${quoted(p.company)}` : 'без компании'} — неясно, какой дополнить; укажите телефон или email`;
  };

  const targets: Target[] = [];
  const skipped: { row: number; reason: string }[] = [];
  const conflicts: Conflict[] = [];
  for (const p of rows) {
    let t: Target | undefined;
    for (const ph of p.phones) {
      const o = owner.get(mainNumber(ph));
      if (o && !otherPerson(p.name, o.name)) {
        t = o;
        break;
      }
    }
    if (!t) {
      const m = match(p);
      if (typeof m === 'string') {
        if (!p.phones.length) {
          skipped.push({ row: p.row, reason: m });
          continue;
        }
      } else t = m;
    }
    if (!t) {
      t = { row: p.row, isNew: true, name: p.name, company: p.company, phones: [], emails: [], note: p.note, addPhones: [], addEmails: [], filled: false };
      targets.push(t);
    } else {
      if (!t.row) {
        t.row = p.row;
        targets.push(t);
      }
      for (const f of ['name', 'company', 'note'] as const) {
        if (!t[f].trim() && p[f]) {
          t[f] = p[f];
          t.filled = true;
        }
      }
    }
    for (const ph of p.phones) {
      const o = owner.get(mainNumber(ph));
      if (o && o !== t) {
        conflicts.push({ row: p.row, name: p.name, phone: ph, ownerId: o.isNew ? null : o.id!, ownerRow: o.row || null, ownerName: o.name });
        continue;
      }
      owner.set(mainNumber(ph), t);
      if (!t.phones.includes(ph)) {
        t.phones.push(ph);
        if (!t.isNew) t.addPhones.push(ph);
      }
    }
    for (const e of p.emails) {
      if (t.emails.some((x) => x.toLowerCase() === e.toLowerCase())) continue;
      t.emails.push(e);
      if (!t.isNew) t.addEmails.push(e);
    }
    reindex(t);
  }
  return { targets, skipped, conflicts };
}

const changed = (t: Target) => t.filled || t.addPhones.length > 0 || t.addEmails.length > 0;

/** Rows per statement: the JSON parameter of one statement stays a few megabytes at most. */
const CHUNK = 5000;

async function write(q: Queryable, targets: Target[]): Promise<void> {
  const fresh = targets.filter((t) => t.isNew);
  const touched = targets.filter((t) => !t.isNew && changed(t));
  if (fresh.length) {
    // Ids first, so each new contact's phones can be written with it in the same set-based statements.
    const ids = await q.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence('contacts', 'id')) AS id FROM generate_series(1, $1::int)`, [fresh.length]);
    fresh.forEach((t, i) => (t.id = Number(ids.rows[i].id)));
  }
  const rec = (t: Target) => ({ id: t.id, name: t.name, company: t.company, phones: t.phones, emails: t.emails, note: t.note });
  for (let i = 0; i < fresh.length; i += CHUNK) {
    await q.query(
      `INSERT INTO contacts (id, name, company, phones, emails, note)
       SELECT id, name, company, phones, emails, note FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, name text, company text, phones jsonb, emails jsonb, note text)`,
      [JSON.stringify(fresh.slice(i, i + CHUNK).map(rec))],
    );
  }
  for (let i = 0; i < touched.length; i += CHUNK) {
    await q.query(
      `UPDATE contacts k SET name = x.name, company = x.company, phones = x.phones, emails = x.emails, note = x.note, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, name text, company text, phones jsonb, emails jsonb, note text) WHERE k.id = x.id`,
      [JSON.stringify(touched.slice(i, i + CHUNK).map(rec))],
    );
  }
  // Indexed without the extension: calls come from the number itself.
  const linked = (t: Target, phones: string[]) => [...new Set(phones.map(mainNumber))].map((phone) => ({ phone, contact_id: t.id }));
  const links = [...fresh.flatMap((t) => linked(t, t.phones)), ...touched.flatMap((t) => linked(t, t.addPhones))];
  for (let i = 0; i < links.length; i += CHUNK) {
    await q.query(
      `INSERT INTO contact_phones (phone, contact_id) SELECT phone, contact_id FROM jsonb_to_recordset($1::jsonb) AS x(phone text, contact_id bigint) ON CONFLICT DO NOTHING`,
      [JSON.stringify(links.slice(i, i + CHUNK))],
    );
  }
}

/**
 * Reads `csv` and either answers what importing it would do (`dryRun`) or does it. The real
 * import runs in `tx`, serialized with any other import (an advisory lock), its plan made from
 * the contacts as they are inside that transaction.
 */
export async function importContacts(
  db: Db,
  csv: string,
  dryRun: boolean,
): Promise<ContactsImportResult> {
  const read = readContactsCsv(csv);
  const { rows, total, columns } = read;
  const { targets, skipped, conflicts } = dryRun
    ? await plan(db, rows)
    : await db.tx(async (q) => {
        await q.query(`SELECT pg_advisory_xact_lock(hashtext('asgard:contacts-import'))`);
        const p = await plan(q, rows);
        await write(q, p.targets);
        return p;
      });
  // Rows the file cannot give and rows whose contact is unclear, in the file's order.
  const errors = [...read.errors, ...skipped].sort((a, b) => a.row - b.row);
  const created = targets.filter((t) => t.isNew);
  const existing = targets.filter((t) => !t.isNew);
  const updated = existing.filter(changed);
  return {
    dryRun,
    rows: total,
    created: created.length,
    updated: updated.length,
    unchanged: existing.length - updated.length,
    skipped: errors.length,
    errors: errors.slice(0, ERRORS_SHOWN),
    columns,
    conflicted: conflicts.length,
    conflicts: conflicts.slice(0, ERRORS_SHOWN),
    samples: {
      created: created.slice(0, SAMPLES_SHOWN).map((t) => ({ row: t.row, name: t.name, company: t.company, phones: t.phones })),
      updated: updated.slice(0, SAMPLES_SHOWN).map((t) => ({ row: t.row, id: t.id!, name: t.name, addPhones: t.addPhones, addEmails: t.addEmails })),
    },
  };
}
