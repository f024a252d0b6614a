/**
 * «Контакты»: the directory paged and searched on the relay (GET /api/contacts?limit=…), its CSV
 * export (GET /api/contacts/export: BOM, `;`, quoting, readable phones) and the admins' import
 * (POST /api/contacts/import: a dry run, then the import; merging into existing contacts by phone
 * without overwriting, and rows without a phone by email, else name and company, when only one
 * contact fits; skipped rows with their numbers; any separator, quoted line breaks, BOM; at most
 * 20,000 rows), on a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contact, ContactsImportResult, ContactsPage, Employee } from '../../src-shared/wire';
import { detectDelimiter, parseCsv } from '../../server/ops/csv';
import { RelayHttpClient } from '../../src-main/core/relay/http-client';
import { decodeTextBytes } from '../../src-renderer/text-file';
import { startTestRelay, type TestRelay } from '../support/relay';

let r: TestRelay;
let to: { employee: Employee; token: string };
let pm: { employee: Employee; token: string };
/** Contacts seeded in bulk: "Клиент 000" … "Клиент 239", each with one phone +7 900 000-0NNN. */
const BULK = 240;

const db = () => r.relay.ctx.db;
const page = (qs: string, token = to.token) => r.api<ContactsPage>('GET', `/api/contacts?${qs}`, token);
const importCsv = (csv: string, dryRun: boolean, token = r.adminToken) => r.api<ContactsImportResult & { error?: string; message?: string }>('POST', '/api/contacts/import', token, { csv, dryRun });
const contactCount = async () => Number((await db().query<{ n: number }>('SELECT count(*)::int AS n FROM contacts WHERE merged_into IS NULL')).rows[0].n);
const byPhone = async (phone: string) => (await r.api<{ contact: Contact | null }>('GET', `/api/contacts/lookup?phone=${encodeURIComponent(phone)}`, r.adminToken)).body.contact;

async function download(qs: string, token: string | null = to.token) {
  const res = await fetch(`${r.url}/api/contacts/export${qs ? '?' + qs : ''}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  return { res, bytes, text, rows: res.ok ? parseCsv(text, ';') : [] };
}

beforeAll(async () => {
  r = await startTestRelay();
  to = await r.createEmployee({ login: 'dir-to', name: 'Иванова Анна', role: 'to', extension: '101' });
  pm = await r.createEmployee({ login: 'dir-pm', name: 'Петров Пётр', role: 'pm', extension: '201' });
  // In one statement: the directory's paging needs a few pages, not a slow setup.
  await db().query(
    `WITH k AS (
       INSERT INTO contacts (name, company, phones, emails)
       SELECT 'Клиент ' || lpad(i::text, 3, '0'), 'Компания ' || (i % 7), jsonb_build_array('+7900000' || lpad(i::text, 4, '0')), '[]'::jsonb
       FROM generate_series(0, $1::int - 1) i RETURNING id, phones->>0 AS phone)
     INSERT INTO contact_phones (phone, contact_id) SELECT phone, id FROM k`,
    [BULK],
  );
  for (const c of [
    { name: 'Сидоров Олег', company: 'ООО «Ромашка»', phones: ['+7 916 123-45-67', '+7 495 765-43-21'], emails: ['oleg@romashka.ru'], note: '=СУММ(A1); "VIP"\nзвонить после 10' },
    { name: 'Ёлкина Мария', company: '', phones: ['+49 30 1234567'], emails: ['m@elka.de'], note: '' },
  ])
    await r.api('POST', '/api/contacts', r.adminToken, c);
  // Calls with Сидоров: an incoming one (everyone sees it) and a later outgoing one of the PM's
  // (only the PM and admins see it).
  const call = (entry: string, direction: string, at: string, employeeId: number) =>
    db().query(
      `INSERT INTO calls (entry_id, direction, status, phase, started_at, client_number, employee_id, view)
       VALUES ($1, $2, 'answered', 'ended', $3, '+79161234567', $4, json_build_object('entryId', $1::text))`,
      [entry, direction, at, employeeId],
    );
  await call('D-1', 'in', '2026-01-10T10:00:00Z', to.employee.id);
  await call('D-2', 'out', '2026-02-01T10:00:00Z', pm.employee.id);
}, 60_000);
afterAll(async () => r?.close());

describe('GET /api/contacts (directory)', () => {
  it('pages by name with a total on the first page, following the cursor to the end', async () => {
    const expected = (await db().query<{ id: string }>('SELECT id FROM contacts WHERE merged_into IS NULL ORDER BY name, id')).rows.map((x) => Number(x.id));
    const first = await page('limit=100');
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(expected.length);
    expect(first.body.contacts).toHaveLength(100);
    const seen = [...first.body.contacts];
    let next = first.body.next;
    while (next) {
      const p = await page(`limit=100&afterName=${encodeURIComponent(next.name)}&afterId=${next.id}`);
      expect(p.body.total, 'only the first page counts').toBeUndefined();
      seen.push(...p.body.contacts);
      next = p.body.next;
    }
    expect(seen.map((c) => c.id)).toEqual(expected);
  });

  it('searches name, company, phone digits (typed with 8 too) and email', async () => {
    const names = async (q: string) => (await page(`limit=50&search=${encodeURIComponent(q)}`)).body.contacts.map((c) => c.name);
    expect(await names('сидоров')).toEqual(['Сидоров Олег']);
    expect(await names('ромашк')).toEqual(['Сидоров Олег']);
    expect(await names('8 (916) 123')).toEqual(['Сидоров Олег']);
    expect(await names('4957654321')).toEqual(['Сидоров Олег']);
    expect(await names('elka.de')).toEqual(['Ёлкина Мария']);
    expect(await names('Клиент 23')).toEqual(['Клиент 230', 'Клиент 231', 'Клиент 232', 'Клиент 233', 'Клиент 234', 'Клиент 235', 'Клиент 236', 'Клиент 237', 'Клиент 238', 'Клиент 239']);
    // LIKE's wildcards are text: '%' finds no one rather than everyone.
    expect(await names('%')).toEqual([]);
    const counted = await page('limit=5&search=' + encodeURIComponent('Компания 3'));
    expect(counted.body.total).toBe(Math.ceil((BULK - 3) / 7));
    expect(counted.body.contacts).toHaveLength(5);
  });

  it('says when the viewer last had a call with the contact (calls they may see)', async () => {
    const last = async (token: string) => (await page('limit=5&search=' + encodeURIComponent('Сидоров'), token)).body.contacts[0].lastCallAt;
    expect(await last(r.adminToken)).toBe('2026-02-01T10:00:00.000Z');
    expect(await last(pm.token)).toBe('2026-02-01T10:00:00.000Z');
    expect(await last(to.token)).toBe('2026-01-10T10:00:00.000Z');
    expect((await page('limit=1')).body.contacts[0].lastCallAt).toBeNull();
  });

  it('answers old apps (no limit) as before: a plain list, capped', async () => {
    const res = await r.api<{ contacts: Contact[]; next?: unknown }>('GET', '/api/contacts', to.token);
    expect(res.status).toBe(200);
    expect(res.body.contacts).toHaveLength(200);
    expect(res.body.next).toBeUndefined();
    expect((await r.api<{ contacts: Contact[] }>('GET', '/api/contacts?search=' + encodeURIComponent('Сидоров'), to.token)).body.contacts.map((c) => c.name)).toEqual(['Сидоров Олег']);
  });

  it('refuses a bad page size and anonymous callers', async () => {
    expect((await page('limit=0')).status).toBe(400);
    expect((await page('limit=501')).status).toBe(400);
    expect((await page('limit=10&afterId=x')).status).toBe(400);
    expect((await r.api('GET', '/api/contacts?limit=10', null)).status).toBe(401);
  });
});

describe('GET /api/contacts/export', () => {
  it('writes a BOM, the header, `;`, CRLF, quoted and defused cells, readable phones, for the search', async () => {
    const { res, bytes, text, rows } = await download('search=' + encodeURIComponent('Сидоров') + '&tz=Europe/Moscow');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(new Date());
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="contacts-${today}.csv"`);
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.slice(1, text.indexOf('\r\n'))).toBe('Имя;Компания;Телефоны;Email;Заметка');
    expect(text).toContain(`;"'=СУММ(A1); ""VIP""\nзвонить после 10"\r\n`);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(rows).toEqual([
      ['Имя', 'Компания', 'Телефоны', 'Email', 'Заметка'],
      ['Сидоров Олег', 'ООО «Ромашка»', '8 (916) 123-45-67, 8 (495) 765-43-21', 'oleg@romashka.ru', `'=СУММ(A1); "VIP"\nзвонить после 10`],
    ]);
  });

  it('holds the whole directory by name, read in pages', async () => {
    const { rows } = await download('');
    const names = (await db().query<{ name: string }>('SELECT name FROM contacts WHERE merged_into IS NULL ORDER BY name, id')).rows.map((x) => x.name);
    expect(rows.slice(1).map((x) => x[0])).toEqual(names);
    expect(rows.find((x) => x[0] === 'Ёлкина Мария')?.[2]).toBe('49 30 1234567');
  });

  it('through the app’s relay client: the file as sent, named by the relay', async () => {
    const client = new RelayHttpClient({ baseUrl: r.url, getToken: () => pm.token });
    const file = await client.exportContacts({ search: 'Ёлкина', tz: 'Asia/Yekaterinburg' });
    expect(file.filename).toMatch(/^contacts-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(file.csv).toBe('\ufeffИмя;Компания;Телефоны;Email;Заметка\r\nЁлкина Мария;;49 30 1234567;m@elka.de;\r\n');
    const p = await client.contactsPage({ search: 'Клиент', limit: 3 });
    expect(p.total).toBe(BULK);
    expect((await client.contactsPage({ search: 'Клиент', limit: 3, after: p.next! })).contacts[0].name).toBe('Клиент 003');
  });

  it('refuses anonymous callers', async () => {
    expect((await download('', null)).res.status).toBe(401);
  });
});

describe('POST /api/contacts/import', () => {
  it('is for admins only: an employee gets 403, no session 401, and nothing is written', async () => {
    const before = await contactCount();
    const csv = 'Имя;Телефон\nНовый;+7 999 000-00-01\n';
    expect((await importCsv(csv, false, to.token)).status).toBe(403);
    expect((await importCsv(csv, false, pm.token)).status).toBe(403);
    expect((await r.api('POST', '/api/contacts/import', null, { csv, dryRun: false })).status).toBe(401);
    expect((await r.api('POST', '/api/contacts/import', 'not-a-token', { csv, dryRun: false })).status).toBe(401);
    expect(await contactCount()).toBe(before);
  });

  it('a dry run says what would happen and writes nothing; the import then does exactly that', async () => {
    const csv = [
      '\ufeffФИО;Организация;Телефоны;E-mail;Комментарий',
      // Row 2: Сидоров's phone — joins him: a new phone and email, his name, company and note kept.
      'Сидоров О.;Другая фирма;"+7 916 123-45-67, 8 (926) 111-22-33";sidorov@mail.ru;не затирать',
      // Row 3: a new contact with two phones in one cell (`;` inside quotes) and a multi-line note.
      'Смирнова Ольга;ООО «Вектор»;"+7 903 100-00-01; +7 903 100-00-02";olga@vector.ru;"первая строка\nвторая строка"',
      // Row 4: no name, no phone.
      ';Без имени и телефона;;;',
      // Row 5: a phone that is no phone.
      'Петров;;не звонить;;',
      '',
      // Row 7: a phone only; row 8 repeats a phone of row 3: it joins the contact row 3 creates.
      ';;+7 903 555-55-55;;',
      'Смирнова О.;;+7 903 100-00-02;olga2@vector.ru;',
      // Row 9: Ёлкина's number as our export writes it, no company: hers is filled, nothing else changes.
      'Ёлкина;Elka GmbH;49 30 1234567;M@ELKA.DE;',
      // Row 10: an email that is none.
      'Кузнецов;;+7 903 777-77-77;кузнецов собака почта;',
    ].join('\r\n');
    const before = await contactCount();
    const dry = await importCsv(csv, true);
    expect(dry.status).toBe(200);
    const counts = { rows: 8, created: 2, updated: 2, unchanged: 0, skipped: 3 };
    expect(dry.body).toMatchObject({ dryRun: true, ...counts });
    expect(dry.body.errors).toEqual([
      { row: 4, reason: 'нет ни имени, ни телефона' },
      { row: 5, reason: 'не распознан телефон «не звонить»' },
      { row: 10, reason: 'не распознан email «кузнецов собака почта»' },
    ]);
    expect(dry.body.samples.created.map((c) => [c.row, c.name, c.phones])).toEqual([
      [3, 'Смирнова Ольга', ['+79031000001', '+79031000002']],
      [7, '', ['+79035555555']],
    ]);
    expect(dry.body.samples.updated.map((c) => [c.row, c.name, c.addPhones, c.addEmails])).toEqual([
      [2, 'Сидоров Олег', ['+79261112233'], ['sidorov@mail.ru']],
      [9, 'Ёлкина Мария', [], []],
    ]);
    expect(await contactCount(), 'a dry run writes nothing').toBe(before);
    expect(await byPhone('+79031000001')).toBeNull();

    const real = await importCsv(csv, false);
    expect(real.status).toBe(200);
    expect(real.body).toMatchObject({ dryRun: false, ...counts });
    expect(await contactCount()).toBe(before + 2);

    const sidorov = (await byPhone('+79261112233'))!;
    expect(sidorov).toMatchObject({ name: 'Сидоров Олег', company: 'ООО «Ромашка»', note: '=СУММ(A1); "VIP"\nзвонить после 10' });
    expect(sidorov.phones).toEqual(['+79161234567', '+74957654321', '+79261112233']);
    expect(sidorov.emails).toEqual(['oleg@romashka.ru', 'sidorov@mail.ru']);
    const smirnova = (await byPhone('+79031000002'))!;
    expect(smirnova).toMatchObject({ name: 'Смирнова Ольга', company: 'ООО «Вектор»', note: 'первая строка\nвторая строка' });
    expect(smirnova.phones).toEqual(['+79031000001', '+79031000002']);
    expect(smirnova.emails).toEqual(['olga@vector.ru', 'olga2@vector.ru']);
    expect((await byPhone('+79035555555'))?.name).toBe('');
    const elka = (await byPhone('+49301234567'))!;
    expect(elka).toMatchObject({ name: 'Ёлкина Мария', company: 'Elka GmbH', emails: ['m@elka.de'] });

    // The same file again: everything is there already.
    const again = await importCsv(csv, false);
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 4, skipped: 3 });
    expect(await contactCount()).toBe(before + 2);
  });

  it('rows without a phone join the contact with their email, else their name and company: the same file twice adds no one', async () => {
    const csv = [
      'Имя;Компания;Телефон;Email',
      // Row 2: a name and a company; row 3: a name only; row 4: a name and an email.
      'Белова Ирина;ООО «Заря»;;',
      'Семён Гришин;;;',
      'Дронова Юлия;;;yulia@dronova.ru',
      // Row 5 repeats row 3: one contact, not two.
      'Семён Гришин;;;',
    ].join('\n');
    const before = await contactCount();
    const first = await importCsv(csv, false);
    expect(first.body).toMatchObject({ rows: 4, created: 3, updated: 0, unchanged: 0, skipped: 0 });
    expect(first.body.samples.created.map((c) => [c.row, c.name])).toEqual([
      [2, 'Белова Ирина'],
      [3, 'Семён Гришин'],
      [4, 'Дронова Юлия'],
    ]);
    expect(await contactCount()).toBe(before + 3);

    const dry = await importCsv(csv, true);
    expect(dry.body).toMatchObject({ dryRun: true, rows: 4, created: 0, updated: 0, unchanged: 3, skipped: 0, errors: [] });
    const again = await importCsv(csv, false);
    expect(again.body).toMatchObject({ dryRun: false, rows: 4, created: 0, updated: 0, unchanged: 3, skipped: 0 });
    expect(await contactCount(), 'the second import adds no one').toBe(before + 3);

    // Written differently: edge spaces, case, «ё» as «е»; an email in other case joins Дронова
    // whatever the name says, filling her empty company and nothing else.
    const variant = ['Имя;Компания;Телефон;Email', '  БЕЛОВА ирина ; ооо «ЗАРЯ» ;;', 'семен гришин;;;', 'Дронова Ю.;Дронов и сыновья;;YULIA@Dronova.RU'].join('\n');
    const dry2 = await importCsv(variant, true);
    expect(dry2.body).toMatchObject({ created: 0, updated: 1, unchanged: 2, skipped: 0 });
    expect(dry2.body.samples.updated.map((c) => [c.row, c.name, c.addPhones, c.addEmails])).toEqual([[4, 'Дронова Юлия', [], []]]);
    expect((await importCsv(variant, false)).body).toMatchObject({ created: 0, updated: 1, unchanged: 2, skipped: 0 });
    expect(await contactCount()).toBe(before + 3);
    const live = async (name: string) =>
      (await db().query<{ name: string; company: string; emails: string[] }>('SELECT name, company, emails FROM contacts WHERE name = $1 AND merged_into IS NULL', [name])).rows;
    expect(await live('Дронова Юлия')).toEqual([{ name: 'Дронова Юлия', company: 'Дронов и сыновья', emails: ['yulia@dronova.ru'] }]);
    expect(await live('Белова Ирина')).toEqual([{ name: 'Белова Ирина', company: 'ООО «Заря»', emails: [] }]);

    // The same name at another company, or without one, is someone else.
    expect((await importCsv('Имя;Компания\nБелова Ирина;ООО «Восход»\nБелова Ирина;\n', true)).body).toMatchObject({ created: 2, unchanged: 0 });
  });

  it('a row that fits several contacts is skipped with the reason; a phone still decides by itself', async () => {
    const two = async (c: { name: string; company?: string; emails?: string[]; phones?: string[] }) => {
      const a = await r.api<Contact>('POST', '/api/contacts', r.adminToken, c);
      const b = await r.api<Contact>('POST', '/api/contacts', r.adminToken, { ...c, phones: [] });
      expect([a.status, b.status]).toEqual([201, 201]);
      return [a.body, b.body];
    };
    const [zhukov] = await two({ name: 'Жуков Андрей', company: 'Стройка', phones: ['+7 916 400-00-01'] });
    await two({ name: 'Жуков Андрей' });
    await two({ name: 'Зайцев Илья', emails: ['office@zaitsev.ru'] });
    const csv = [
      'Имя;Компания;Телефон;Email',
      'жуков андрей;СТРОЙКА;;',
      'Жуков Андрей;;;',
      // Row 4: the email fits two contacts: the name is not tried.
      'Некто;;;Office@Zaitsev.ru',
      // Row 5: a phone decides, as ever.
      'Жуков Андрей;Стройка;+7 916 400-00-01;a@zhukov.ru',
      // Row 6: a name nobody has: new.
      'Жуков Андрей;Другая;;',
    ].join('\n');
    const before = await contactCount();
    const expected = {
      rows: 5,
      created: 1,
      updated: 1,
      unchanged: 0,
      skipped: 3,
      errors: [
        { row: 2, reason: 'несколько контактов с именем «жуков андрей» и компанией «СТРОЙКА» — неясно, какой дополнить; укажите телефон или email' },
        { row: 3, reason: 'несколько контактов с именем «Жуков Андрей» без компании — неясно, какой дополнить; укажите телефон или email' },
        { row: 4, reason: 'адрес «Office@Zaitsev.ru» есть у нескольких контактов — неясно, какой дополнить; укажите телефон' },
      ],
    };
    const dry = await importCsv(csv, true);
    expect(dry.body).toMatchObject({ dryRun: true, ...expected });
    expect(dry.body.samples.updated.map((c) => [c.row, c.id, c.addEmails])).toEqual([[5, zhukov.id, ['a@zhukov.ru']]]);
    expect((await importCsv(csv, false)).body).toMatchObject({ dryRun: false, ...expected });
    expect(await contactCount()).toBe(before + 1);

    // Merged away, a contact no longer counts: the one left is meant.
    const stroika = (await db().query<{ id: string }>(`SELECT id FROM contacts WHERE name = 'Жуков Андрей' AND company = 'Стройка' AND merged_into IS NULL ORDER BY id`)).rows.map((x) => Number(x.id));
    expect(stroika).toHaveLength(2);
    expect((await r.api('POST', '/api/contacts/merge', r.adminToken, { keepId: stroika[0], mergeId: stroika[1] })).status).toBe(200);
    expect((await importCsv('Имя;Компания\nЖуков Андрей;Стройка\n', true)).body).toMatchObject({ created: 0, unchanged: 1, skipped: 0 });
  });

  it('matches 20,000 phoneless rows in bulk: the second import of the file adds no one', async () => {
    const csv = 'Имя;Компания;Email\r\n' + Array.from({ length: 20_000 }, (_, i) => (i % 2 ? `Массовый ${i};Фирма ${i % 50};` : `Почтовый ${i};;bulk${i}@example.com`)).join('\r\n');
    const before = await contactCount();
    expect((await importCsv(csv, false)).body).toMatchObject({ rows: 20_000, created: 20_000, skipped: 0 });
    // At the import's limit; a plan gone wrong (one tried: minutes) would run into the test's timeout.
    expect((await importCsv(csv, false)).body).toMatchObject({ rows: 20_000, created: 0, updated: 0, unchanged: 20_000, skipped: 0 });
    expect(await contactCount()).toBe(before + 20_000);
  }, 60_000);

  it('reads `,`, TAB and `;` files, English headers, quoted separators and line breaks, CRLF or LF', async () => {
    const files = {
      comma: 'Name,Company,Phone,Email,Note\n"Орлов, Иван","ООО ""Орёл""",+7 911 200-00-01,orlov@orel.ru,"a,b\nc"\n',
      tab: 'Имя\tКомпания\tТелефон\tПочта\tЗаметка\r\nТабов Пётр\tТаб\t+7 911 200-00-02\t\t"x\ty"\r\n',
      semicolon: 'Имя;Телефон\nТочкин;+7 911 200-00-03',
    };
    expect(detectDelimiter(files.comma)).toBe(',');
    expect(detectDelimiter(files.tab)).toBe('\t');
    expect(detectDelimiter(files.semicolon)).toBe(';');
    for (const csv of Object.values(files)) expect((await importCsv(csv, false)).body).toMatchObject({ rows: 1, created: 1, skipped: 0 });
    expect(await byPhone('+79112000001')).toMatchObject({ name: 'Орлов, Иван', company: 'ООО "Орёл"', emails: ['orlov@orel.ru'], note: 'a,b\nc' });
    expect(await byPhone('+79112000002')).toMatchObject({ name: 'Табов Пётр', company: 'Таб', note: 'x\ty' });
    expect(await byPhone('+79112000003')).toMatchObject({ name: 'Точкин' });
  });

  it('refuses a file without the columns it needs, and one over 20,000 rows', async () => {
    const noCols = await importCsv('Город;Индекс\nМосква;101000\n', true);
    expect(noCols.status).toBe(400);
    expect(noCols.body.message).toContain('Имя');
    const big = 'Имя;Телефон\r\n' + Array.from({ length: 20_001 }, (_, i) => `Клиент ${i};+7 98${String(i).padStart(8, '0')}`).join('\r\n');
    const before = await contactCount();
    const refused = await importCsv(big, false);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('too-many-rows');
    expect(refused.body.message).toContain('20');
    expect(await contactCount()).toBe(before);
  });

  it('through the app’s relay client', async () => {
    const client = new RelayHttpClient({ baseUrl: r.url, getToken: () => r.adminToken });
    const res = await client.importContacts('Имя;Телефон\nКлиентов;+7 911 300-00-01\n', true);
    expect(res).toMatchObject({ dryRun: true, created: 1 });
    const employee = new RelayHttpClient({ baseUrl: r.url, getToken: () => to.token });
    await expect(employee.importContacts('Имя\nX\n', true)).rejects.toMatchObject({ code: 'forbidden' });
  });
});

/** Text as Russian Excel's plain «CSV» saves it: Windows-1251 bytes (what the app decodes before sending). */
const cp1251 = (s: string) => Buffer.from([...s].map((ch) => (ch === 'Ё' ? 0xa8 : ch === 'ё' ? 0xb8 : ch === '№' ? 0xb9 : ch === '«' ? 0xab : ch === '»' ? 0xbb : ch >= 'А' && ch <= 'я' ? ch.charCodeAt(0) - 0x350 : ch.charCodeAt(0))));

describe('a real Excel list (walkthrough 3)', () => {
  // Headers as a Russian Excel list writes them; cp1251, `;`, CRLF; read as the app reads it.
  const excel = (lines: string[]) => decodeTextBytes(new Uint8Array(cp1251(lines.join('\r\n') + '\r\n')));
  const first = excel([
    '№;ФИО;Должность;Организация;Моб. телефон;Раб. телефон;E-mail;Примечание',
    '1;Соловьёв Андрей;Директор;ООО «Тепло»;8 (916) 555-10-01;8 (495) 987-65-43 доб. 215;solovyov@teplo.ru;Тендер по котельной',
    '2;Белов Игорь;;ООО «Север»;+7 916 555-10-02;;belov@sever.ru;',
    '3;Никитина Ольга;;;7,91655E+10;;;',
    '4;Орлов Д.;;;8 (916) 555-10-01;;;дубль телефона Соловьёва',
    '5;Гусев Павел;;ООО «Юг»;;8 (495) 123-45-67, доб. 12;;',
  ]);

  it('recognises «Моб. телефон», «Раб. телефон» and the rest, keeps every phone with its extension, and says which columns it used', async () => {
    const dry = await importCsv(first, true);
    expect(dry.status).toBe(200);
    expect(dry.body.columns).toEqual([
      { column: 1, header: '№', field: null },
      { column: 2, header: 'ФИО', field: 'name' },
      { column: 3, header: 'Должность', field: 'position' },
      { column: 4, header: 'Организация', field: 'company' },
      { column: 5, header: 'Моб. телефон', field: 'phone' },
      { column: 6, header: 'Раб. телефон', field: 'phone' },
      { column: 7, header: 'E-mail', field: 'email' },
      { column: 8, header: 'Примечание', field: 'note' },
    ]);
    // Every row is accounted for: 4 new contacts (Орлов too), Никитина skipped with the cause.
    expect(dry.body).toMatchObject({ rows: 5, created: 4, updated: 0, unchanged: 0, skipped: 1, conflicted: 1 });
    expect(dry.body.errors).toHaveLength(1);
    expect(dry.body.errors[0].row).toBe(4);
    expect(dry.body.errors[0].reason).toContain('«7,91655E+10»: Excel превратил номер в число');
    expect(dry.body.errors[0].reason).toContain('формат «Текстовый»');
    // «Орлов Д.» shares Соловьёв's mobile: not folded into him, listed as a conflict.
    expect(dry.body.conflicts).toEqual([{ row: 5, name: 'Орлов Д.', phone: '+79165551001', ownerId: null, ownerRow: 2, ownerName: 'Соловьёв Андрей' }]);

    expect((await importCsv(first, false)).body).toMatchObject({ created: 4, skipped: 1, conflicted: 1 });
    const solovyov = (await byPhone('+7 916 555-10-01'))!;
    expect(solovyov).toMatchObject({ name: 'Соловьёв Андрей', company: 'ООО «Тепло»', phones: ['+79165551001', '+74959876543 доб. 215'], note: 'Должность: Директор\nТендер по котельной' });
    // An incoming call from the main number still finds the contact.
    expect((await byPhone('84959876543'))?.id).toBe(solovyov.id);
    const orlov = (await db().query<{ phones: string[]; note: string }>(`SELECT phones, note FROM contacts WHERE name = 'Орлов Д.' AND merged_into IS NULL`)).rows;
    expect(orlov).toEqual([{ phones: [], note: 'дубль телефона Соловьёва' }]);
    expect((await byPhone('+7 495 123-45-67'))).toMatchObject({ name: 'Гусев Павел', phones: ['+74951234567 доб. 12'] });
  });

  it('a corrected file fills in the same contacts: matched by phone, else email, else name and company', async () => {
    // First imported without phones (unrecognised header), then again with them.
    const noPhones = excel(['ФИО;Организация;Прочее;E-mail', 'Тимофеева Анна;ООО «Лес»;;anna@les.ru', 'Кравченко Олег;ООО «Поле»;;']);
    expect((await importCsv(noPhones, false)).body).toMatchObject({ created: 2 });
    const before = await contactCount();
    const fixed = excel(['ФИО;Организация;Телефон;Рабочий телефон;E-mail', 'Тимофеева Анна;ООО «Лес»;8 916 555-20-01;;ANNA@les.ru', 'КРАВЧЕНКО Олег;ооо «поле»;;+7 495 555-20-02;']);
    const dry = await importCsv(fixed, true);
    expect(dry.body).toMatchObject({ created: 0, updated: 2, unchanged: 0, skipped: 0 });
    expect(dry.body.samples.updated.map((u) => [u.name, u.addPhones])).toEqual([
      ['Тимофеева Анна', ['+79165552001']],
      ['Кравченко Олег', ['+74955552002']],
    ]);
    await importCsv(fixed, false);
    expect(await contactCount(), 'no one doubled').toBe(before);
    expect((await importCsv(fixed, false)).body).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
  });

  it('the first import of the Excel list again adds no one (Орлов is found by name)', async () => {
    const before = await contactCount();
    expect((await importCsv(first, false)).body).toMatchObject({ created: 0, updated: 0, unchanged: 4, conflicted: 1 });
    expect(await contactCount()).toBe(before);
  });

  it('search and «Объединить с…» ignore ё/е and case', async () => {
    const names = async (q: string) => (await page(`limit=50&search=${encodeURIComponent(q)}`)).body.contacts.map((c) => c.name);
    expect(await names('Соловьев')).toEqual(['Соловьёв Андрей']);
    expect(await names('СОЛОВЬЁВ')).toEqual(['Соловьёв Андрей']);
    expect(await names('елкина')).toEqual(['Ёлкина Мария']);
    const list = await r.api<{ contacts: Contact[] }>('GET', '/api/contacts?search=' + encodeURIComponent('соловьев'), to.token);
    expect(list.body.contacts.map((c) => c.name)).toEqual(['Соловьёв Андрей']);
  });

  it('keeps extensions typed into a card; two desks of one number are two phones, the card shows their calls once', async () => {
    const made = await r.api<Contact>('POST', '/api/contacts', r.adminToken, { name: 'Доб Тест', phones: ['8 (495) 700-00-01 доб. 12', '8-495-7000001', '+7 495 700-00-01 ext 7'] });
    expect(made.body.phones).toEqual(['+74957000001 доб. 12', '+74957000001', '+74957000001 доб. 7']);
    expect((await byPhone('+74957000001'))?.id).toBe(made.body.id);
    const patched = await r.api<Contact>('PATCH', `/api/contacts/${made.body.id}`, r.adminToken, { phones: ['+74957000001 доб. 215'] });
    expect(patched.body.phones).toEqual(['+74957000001 доб. 215']);
    expect((await byPhone('84957000001'))?.id).toBe(made.body.id);
    const { rows } = await download('search=' + encodeURIComponent('Доб Тест'));
    expect(rows[1][2]).toBe('8 (495) 700-00-01 доб. 215');
  });

  it('merging two contacts with the same note keeps it once', async () => {
    const a = await r.api<Contact>('POST', '/api/contacts', r.adminToken, { name: 'Нотов', note: 'Тендер, звонить после 14:00' });
    const b = await r.api<Contact>('POST', '/api/contacts', r.adminToken, { name: 'Нотов', note: ' Тендер, звонить после 14:00 ' });
    const c = await r.api<Contact>('POST', '/api/contacts', r.adminToken, { name: 'Нотов', note: 'другое' });
    const m = await r.api<Contact>('POST', '/api/contacts/merge', r.adminToken, { keepId: a.body.id, mergeId: b.body.id });
    expect(m.body.note).toBe('Тендер, звонить после 14:00');
    const m2 = await r.api<Contact>('POST', '/api/contacts/merge', r.adminToken, { keepId: a.body.id, mergeId: c.body.id });
    expect(m2.body.note).toBe('Тендер, звонить после 14:00\nдругое');
  });

  it('recognises the usual header variants, and Фамилия + Имя + Отчество as one name', async () => {
    const csv = excel([
      'Фамилия;Имя;Отчество;Компания;Тел. моб.;Телефон рабочий;Сотовый;Домашний;Эл. почта;Комментарий;Домашний адрес;Факс',
      'Тестов;Пётр;Ильич;Контрагент-1;8 916 555-30-01;8 495 555-30-02;8 916 555-30-03;8 495 555-30-04;p@test.ru;к;Москва;8 495 000-00-00',
    ]);
    const dry = await importCsv(csv, true);
    expect(dry.body.columns!.map((c) => c.field)).toEqual(['lastName', 'firstName', 'middleName', 'company', 'phone', 'phone', 'phone', 'phone', 'email', 'note', null, null]);
    expect(dry.body.samples.created).toEqual([{ row: 2, name: 'Тестов Пётр Ильич', company: 'Контрагент-1', phones: ['+79165553001', '+74955553002', '+79165553003', '+74955553004'] }]);
    const en = await importCsv('First Name,Last Name,Company,Mobile,Work Phone,E-mail Address,Notes,Phone 1 - Type\nJohn,Smith,Acme,+1 212 555 0100,+1 212 555 0101 ext 5,j@acme.com,n,Mobile\n', true);
    expect(en.body.columns!.map((c) => c.field)).toEqual(['firstName', 'lastName', 'company', 'phone', 'phone', 'email', 'note', null]);
    expect(en.body.samples.created[0]).toMatchObject({ name: 'John Smith', phones: ['+12125550100', '+12125550101 доб. 5'] });
  });
});

describe('the renderer’s file decoding', () => {
  it('reads UTF-8 (its BOM dropped) and falls back to Windows-1251 for old Excel files', () => {
    const utf8 = new TextEncoder().encode('\ufeffИмя;Телефон');
    expect(decodeTextBytes(utf8)).toBe('Имя;Телефон');
    // "Имя;Телефон" as Russian Excel's plain «CSV» saves it.
    const cp1251 = new Uint8Array([0xc8, 0xec, 0xff, 0x3b, 0xd2, 0xe5, 0xeb, 0xe5, 0xf4, 0xee, 0xed]);
    expect(decodeTextBytes(cp1251)).toBe('Имя;Телефон');
  });
});
