/**
 * The list's quick filters («Непрочитанные», «Помеченные», «С вложениями») and the search box's
 * operators, at core level against the store: totals, paging, «Выбрать все» ids, rows kept past
 * the filter (`keep`: read or un-starred in the view), the version 9
 * migration over old rows, and the query plans that keep a 100 000-message folder fast.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIL_MIGRATIONS, migrateMail } from '../../src-main/core/mail/schema';
import { MailStore } from '../../src-main/core/mail/store';
import { MailSearch, parseMailQuery } from '../../src-main/core/mail/search';
import type { ParsedAttachment, ParsedMessage } from '../../src-main/core/mail/parse';
import { MAX_KEEP, type MailListFilter, type MailSummary } from '../../src-shared/ipc/mail';
import { makeService, type Harness } from './helpers';

const ACCOUNT = 1;
const base = Date.UTC(2024, 0, 1);
const file = (name: string, inline = false): ParsedAttachment => ({
  filename: name,
  contentType: inline ? 'image/png' : 'application/pdf',
  size: 10,
  contentId: inline ? `<${name}>` : null,
  inline,
  part: null,
  content: Buffer.from('x'),
});
function parsed(p: Partial<ParsedMessage> & { date: number }): ParsedMessage {
  return {
    messageId: null,
    inReplyTo: null,
    references: [],
    subject: '',
    from: null,
    to: [],
    cc: [],
    bcc: [],
    replyTo: [],
    text: '',
    html: null,
    attachments: [],
    partial: false,
    ...p,
  };
}
function inboxOf(store: MailStore, path = 'INBOX'): number {
  store.saveFolderList(ACCOUNT, [{ path, name: path, delimiter: '/', specialUse: null, depth: 0 }]);
  return store.folderByPath(ACCOUNT, path)!.id;
}

let h: Harness;
let store: MailStore;
let inbox: number;
/** What each filter should keep, newest first. */
const expected: Record<MailListFilter, number[]> = { unread: [], flagged: [], attachments: [] };
const all: number[] = [];
const inlineOnly: number[] = [];

beforeAll(() => {
  h = makeService();
  store = h.mail.internals.store;
  inbox = inboxOf(store);
  // 230 mails: every 3rd unread, every 5th flagged, every 7th with a file, every 11th with only an inline picture.
  for (let i = 0; i < 230; i++) {
    const flags = [...(i % 3 ? ['\\Seen'] : []), ...(i % 5 === 0 ? ['\\Flagged'] : [])];
    const attachments = i % 7 === 0 ? [file(`акт-${i}.pdf`)] : i % 11 === 0 ? [file(`logo${i}.png`, true)] : [];
    const id = store.insertMessage(ACCOUNT, inbox, {
      uid: i + 1,
      flags,
      internalDate: null,
      size: 100,
      parsed: parsed({ date: base + i * 60_000, subject: `Рассылка №${i}`, from: { name: 'Склад', email: 'sklad@example.org' }, text: `выпуск ${i}`, attachments }),
    })!;
    all.unshift(id);
    if (i % 3 === 0) expected.unread.unshift(id);
    if (i % 5 === 0) expected.flagged.unshift(id);
    if (i % 7 === 0) expected.attachments.unshift(id);
    else if (i % 11 === 0) inlineOnly.push(id);
  }
});
afterAll(async () => {
  await h?.close();
});

const list = async (args: object) => (await h.mail.handle('mail:messages:list', { folderId: inbox, ...args })) as { total: number; items: MailSummary[] };

describe('quick filters of the message list', () => {
  it('lists only what the filter keeps, totals follow it, pages join up newest first', async () => {
    expect((await list({ limit: 1 })).total).toBe(230);
    for (const f of ['unread', 'flagged', 'attachments'] as const) {
      const first = await list({ filter: f, offset: 0, limit: 30 });
      const rest = await list({ filter: f, offset: 30, limit: 500 });
      expect(first.total).toBe(expected[f].length);
      expect(rest.total).toBe(expected[f].length);
      expect([...first.items, ...rest.items].map((m) => m.id)).toEqual(expected[f]);
    }
    expect((await list({ filter: 'unread', limit: 500 })).items.every((m) => !m.seen)).toBe(true);
    expect((await list({ filter: 'flagged', limit: 500 })).items.every((m) => m.flagged)).toBe(true);
    // An inline picture alone is not «с вложениями».
    expect(inlineOnly.length).toBeGreaterThan(10);
    expect(expected.attachments.filter((id) => inlineOnly.includes(id))).toEqual([]);
    expect((await list({ filter: 'attachments', limit: 500 })).items.every((m) => m.hasAttachments)).toBe(true);
  });

  it('«Выбрать все» and the selection follow the filter; «Отметить все» still takes the whole folder', async () => {
    const ids = (await h.mail.handle('mail:folders:messageIds', { folderId: inbox, filter: 'unread' })) as { ids: number[]; total: number };
    expect(ids).toEqual({ ids: expected.unread, total: expected.unread.length });
    const capped = (await h.mail.handle('mail:folders:messageIds', { folderId: inbox, filter: 'flagged', limit: 5 })) as { ids: number[]; total: number };
    expect(capped).toEqual({ ids: expected.flagged.slice(0, 5), total: expected.flagged.length });
    expect(((await h.mail.handle('mail:folders:messageIds', { folderId: inbox })) as { total: number }).total).toBe(230);
    // A checked mail that leaves the filter (read elsewhere) leaves the selection.
    const asked = [expected.unread[0], expected.unread[1], all.find((id) => !expected.unread.includes(id))!];
    const present = async (filter?: MailListFilter) => ((await h.mail.handle('mail:folders:presentIds', { folderId: inbox, ids: asked, filter })) as number[]).sort();
    expect(await present('unread')).toEqual(asked.slice(0, 2).sort());
    expect(await present()).toEqual([...asked].sort());
    // «Отметить все как прочитанные» is the folder's, whatever the list shows.
    expect(await h.mail.handle('mail:folders:markSeen', { folderId: inbox })).toEqual({ marked: expected.unread.length });
    expect((await list({ filter: 'unread' })).total).toBe(0);
    expect((await list({ filter: 'flagged' })).total).toBe(expected.flagged.length);
  });
});

describe('kept rows: what the user read or un-starred in a filtered view stays until the view changes', () => {
  let folder: number;
  /** Newest first: six mails, the even ones unread, the first three flagged. */
  const made: number[] = [];
  beforeAll(() => {
    folder = inboxOf(store, 'Сохранённые');
    for (let i = 0; i < 6; i++) {
      made.unshift(
        store.insertMessage(ACCOUNT, folder, {
          uid: i + 1,
          flags: [...(i % 2 ? ['\\Seen'] : []), ...(i < 3 ? ['\\Flagged'] : [])],
          internalDate: null,
          size: 100,
          parsed: parsed({ date: base + i * 60_000, subject: `Письмо ${i}` }),
        })!,
      );
    }
  });
  const at = (args: object) => list({ folderId: folder, limit: 500, ...args });
  const idsOf = (r: { items: MailSummary[] }) => r.items.map((m) => m.id);
  const handle = <T>(name: string, args: object) => h.mail.handle(name, args) as Promise<T>;

  it('a read message stays under «Непрочитанные» when kept, shown as read, and goes when not', async () => {
    const unread = made.filter((_, i) => i % 2 === 1); // newest first: made[1] is i = 4
    expect(idsOf(await at({ filter: 'unread' }))).toEqual(unread);
    const opened = unread[1];
    // Opening it (as the reader does) marks it read.
    await h.mail.handle('mail:messages:get', { id: opened, markSeen: true });
    const gone = await at({ filter: 'unread' });
    expect(idsOf(gone)).toEqual(unread.filter((id) => id !== opened));
    expect(gone.total).toBe(unread.length - 1);
    const kept = await at({ filter: 'unread', keep: [opened] });
    expect(idsOf(kept)).toEqual(unread);
    expect(kept.total).toBe(unread.length);
    expect(kept.items.find((m) => m.id === opened)?.seen).toBe(true);
    // Pages join up newest first with the kept row in its place.
    const p1 = await at({ filter: 'unread', keep: [opened], limit: 1, offset: 0 });
    const p2 = await at({ filter: 'unread', keep: [opened], limit: 5, offset: 1 });
    expect([...idsOf(p1), ...idsOf(p2)]).toEqual(unread);
    // Kept twice, or kept while still unread: listed once.
    expect(idsOf(await at({ filter: 'unread', keep: [opened, opened, unread[0]] }))).toEqual(unread);
    // New unread mail still comes in above.
    const fresh = store.insertMessage(ACCOUNT, folder, { uid: 50, flags: [], internalDate: null, size: 1, parsed: parsed({ date: base + 3_600_000, subject: 'Новое' }) })!;
    expect(idsOf(await at({ filter: 'unread', keep: [opened] }))).toEqual([fresh, ...unread]);
    // Without a filter `keep` changes nothing.
    expect((await at({ keep: [opened] })).total).toBe(7);
    await h.mail.handle('mail:messages:setFlags', { ids: [fresh], seen: true });
  });

  it('un-starred under «★»: stays while kept', async () => {
    const starred = made.slice(3);
    expect(idsOf(await at({ filter: 'flagged' }))).toEqual(starred);
    await h.mail.handle('mail:messages:setFlags', { ids: [starred[0]], flagged: false });
    expect(idsOf(await at({ filter: 'flagged' }))).toEqual(starred.slice(1));
    const kept = await at({ filter: 'flagged', keep: [starred[0]] });
    expect(idsOf(kept)).toEqual(starred);
    expect(kept.items[0].flagged).toBe(false);
  });

  it('only the folder\'s own mail is kept; count, «Выбрать все» and the selection show the same rows', async () => {
    const unread = (await at({ filter: 'unread' })).items.map((m) => m.id);
    const readHere = made.find((id) => !unread.includes(id))!;
    const elsewhere = all[1]; // a mail of another folder
    const keep = [readHere, elsewhere];
    const shown = await at({ filter: 'unread', keep });
    expect(idsOf(shown)).toEqual(made.filter((id) => unread.includes(id) || id === readHere));
    expect(shown.total).toBe(unread.length + 1);
    // «Выбрать все» (Ctrl+A) checks exactly what is listed, and counts it the same.
    const sel = await handle<{ ids: number[]; total: number }>('mail:folders:messageIds', { folderId: folder, filter: 'unread', keep });
    expect(sel).toEqual({ ids: idsOf(shown), total: shown.total });
    const capped = await handle<{ ids: number[]; total: number }>('mail:folders:messageIds', { folderId: folder, filter: 'unread', keep, limit: 1 });
    expect(capped).toEqual({ ids: idsOf(shown).slice(0, 1), total: shown.total });
    // A checked kept row stays checked; dropped from `keep` (another view), it leaves the selection.
    const asked = [readHere, unread[0]];
    const present = (k?: number[]) => handle<number[]>('mail:folders:presentIds', { folderId: folder, ids: asked, filter: 'unread', keep: k });
    expect((await present(keep)).sort()).toEqual([...asked].sort());
    expect(await present()).toEqual([unread[0]]);
    expect(await present([])).toEqual([unread[0]]);
  });

  it('search results keep them too, but not past the query\'s own «непрочитанные»', async () => {
    const s = async (query: string, keep?: number[]) =>
      ((await h.mail.handle('mail:messages:search', { query, folderId: folder, limit: 50, filter: 'unread', keep })) as { items: MailSummary[] }).items.map((m) => m.id);
    const read = made.filter((_, i) => i % 2 === 0);
    const unread = made.filter((id) => !read.includes(id) && (store.message(id)?.seen ?? 1) === 0);
    expect(await s('письмо')).toEqual(unread);
    expect(await s('письмо', [read[0]])).toEqual(made.filter((id) => unread.includes(id) || id === read[0]));
    expect(await s('письмо непрочитанные', [read[0]])).toEqual(unread);
  });

  it('`keep` is bounded and checked like the rest of the request', async () => {
    const many = Array.from({ length: MAX_KEEP }, (_, i) => i + 1);
    await expect(at({ filter: 'unread', keep: many })).resolves.toMatchObject({ total: expect.any(Number) });
    await expect(at({ filter: 'unread', keep: [...many, MAX_KEEP + 1] })).rejects.toThrow(/keep/);
    await expect(at({ filter: 'unread', keep: [0] })).rejects.toThrow(/keep/);
    await expect(at({ filter: 'unread', keep: ['1'] })).rejects.toThrow(/keep/);
    await expect(handle('mail:folders:messageIds', { folderId: folder, filter: 'unread', keep: [...many, 0] })).rejects.toThrow(/keep/);
    await expect(handle('mail:folders:presentIds', { folderId: folder, ids: [1], filter: 'unread', keep: [1.5] })).rejects.toThrow(/keep/);
    await expect(handle('mail:messages:search', { query: 'x', keep: [-1] })).rejects.toThrow(/keep/);
  });
});

describe('search operators', () => {
  let folder: number;
  const sub = async (query: string, extra: object = {}) =>
    ((await h.mail.handle('mail:messages:search', { query, folderId: folder, limit: 50, ...extra })) as { items: MailSummary[] }).items.map((m) => m.subject);
  beforeAll(() => {
    folder = inboxOf(store, 'Проекты');
    const ivan = { name: 'Иван Петров', email: 'ivan.petrov@mail.ru' };
    const maria = { name: 'Мария Сидорова', email: 'maria@yandex.ru' };
    const mails: [string, ParsedMessage['from'], ParsedMessage['to'], string, boolean, boolean][] = [
      // subject, from, to, text, seen, with a file
      ['Счёт на оплату №42', ivan, [maria], 'Договор поставки насосов', false, true],
      ['Re: Счёт на оплату №42', maria, [ivan], 'Оплатим в пятницу, договор подписан', true, false],
      ['Акт сверки', maria, [{ name: 'Бухгалтерия', email: 'buh@asgard.ru' }], 'Иван Петров просил акт', false, false],
      ['Tender published', { name: 'Tender Bot', email: 'tender@zakupki.example' }, [ivan], 'Pumps and valves, договор', true, true],
    ];
    mails.forEach(([subject, from, to, text, seen, withFile], i) =>
      store.insertMessage(ACCOUNT, folder, {
        uid: i + 1,
        flags: seen ? ['\\Seen'] : [],
        internalDate: null,
        size: 100,
        parsed: parsed({ date: base + i * 3_600_000, subject, from, to, text, attachments: withFile ? [file('счёт.pdf')] : [] }),
      }),
    );
  });

  it('parses operators, quoted values and unknown ones as text', () => {
    expect(parseMailQuery('от:иван тема:"счёт на оплату" есть:вложения договор foo:bar')).toEqual({
      text: ['договор', 'foo:bar'],
      from: ['иван'],
      to: [],
      subject: ['счёт на оплату'],
      attachments: true,
      unread: false,
    });
    expect(parseMailQuery('FROM:a@b.ru To:c is:unread Непрочитанные кому: subject:x')).toEqual({
      text: ['кому:'],
      from: ['a@b.ru'],
      to: ['c'],
      subject: ['x'],
      attachments: false,
      unread: true,
    });
  });

  it('от:/from: is the sender, кому:/to: the recipients, not any address', async () => {
    expect(await sub('от:иван')).toEqual(['Счёт на оплату №42']);
    expect(await sub('From:ivan.petrov@mail.ru')).toEqual(['Счёт на оплату №42']);
    expect(await sub('от:"Мария Сидорова"')).toEqual(['Акт сверки', 'Re: Счёт на оплату №42']);
    expect(await sub('от:петр')).toEqual(['Счёт на оплату №42']);
    expect(await sub('кому:иван')).toEqual(['Tender published', 'Re: Счёт на оплату №42']);
    expect(await sub('to:buh@asgard.ru')).toEqual(['Акт сверки']);
    // Plain text still finds Иван anywhere (the body of «Акт сверки» too).
    expect(await sub('иван')).toHaveLength(4);
  });

  it('тема:/subject:, есть:вложения/has:attachment, непрочитанные/is:unread, with text and each other', async () => {
    expect(await sub('тема:счет')).toEqual(['Re: Счёт на оплату №42', 'Счёт на оплату №42']);
    expect(await sub('subject:"счёт на оплату" от:мария')).toEqual(['Re: Счёт на оплату №42']);
    // «договор» is in bodies, not subjects.
    expect(await sub('тема:договор')).toEqual([]);
    expect(await sub('договор')).toHaveLength(3);
    expect(await sub('есть:вложения')).toEqual(['Tender published', 'Счёт на оплату №42']);
    expect(await sub('has:attachment договор кому:иван')).toEqual(['Tender published']);
    expect(await sub('непрочитанные')).toEqual(['Акт сверки', 'Счёт на оплату №42']);
    expect(await sub('is:unread договор')).toEqual(['Счёт на оплату №42']);
    expect(await sub('непрочитанные есть:вложения от:ivan')).toEqual(['Счёт на оплату №42']);
    // The list's filter applies to results too.
    expect(await sub('договор', { filter: 'attachments' })).toEqual(['Tender published', 'Счёт на оплату №42']);
    expect(await sub('тема:счет', { filter: 'unread' })).toEqual(['Счёт на оплату №42']);
    // Unknown operators are text; an operator without a value is its word.
    expect(await sub('pumps:and')).toEqual(['Tender published']);
    expect(await sub('тема:')).toEqual([]);
    expect(await sub('')).toEqual([]);
  });
});

describe('schema versions 9 and 10 and query plans', () => {
  const plan = (db: Database.Database, sql: string) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(inbox) as { detail: string }[]).map((r) => r.detail).join(' | ');
  /** An INBOX of 100 000 rows i = 1…100 000; `select` gives id, account, folder, uid, date, seen, flagged, has_attachments. */
  const bigInbox = (select: string) => {
    const db = new Database(':memory:');
    migrateMail(db);
    const big = new MailStore(db);
    const f = inboxOf(big);
    db.prepare(
      `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
       INSERT INTO mail_messages (id, account_id, folder_id, uid, date, seen, flagged, has_attachments)
       SELECT ${select} FROM c`,
    ).run(ACCOUNT, f);
    return { db, big, f };
  };

  it('upgrades a version 8 database: old rows with files (inline pictures not counted) found through the new index', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE mail_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const m of MAIL_MIGRATIONS.filter((x) => x.version <= 8)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO mail_migrations VALUES (?, ?, ?)').run(m.version, m.name, '2024-01-01');
    }
    const old = new MailStore(db);
    const f = inboxOf(old);
    const withFile = old.insertMessage(ACCOUNT, f, { uid: 1, flags: [], internalDate: null, size: 1, parsed: parsed({ date: base, subject: 'С файлом', attachments: [file('a.pdf')] }) });
    old.insertMessage(ACCOUNT, f, { uid: 2, flags: [], internalDate: null, size: 1, parsed: parsed({ date: base + 1000, subject: 'Картинка в тексте', attachments: [file('b.png', true)] }) });
    old.insertMessage(ACCOUNT, f, { uid: 3, flags: ['\\Flagged'], internalDate: null, size: 1, parsed: parsed({ date: base + 2000, subject: 'Помеченное' }) });
    migrateMail(db);
    const now = new MailStore(db);
    expect(now.list(f, 0, 10, 'attachments').items.map((m) => m.id)).toEqual([withFile]);
    expect(now.list(f, 0, 10, 'flagged').items.map((m) => m.subject)).toEqual(['Помеченное']);
    expect(plan(db, 'SELECT m.id FROM mail_messages m WHERE m.folder_id = ? AND m.has_attachments = 1 ORDER BY m.id DESC')).toContain('mail_messages_attached');
    db.close();
  });

  it('filtered pages and counts of a 100 000-message folder walk an index, in list order', () => {
    const { db, big, f } = bigInbox('i * 1048576, ?, ?, i, i * 1000, i % 10 <> 0, i % 50 = 0, i % 20 = 0');
    for (const filter of ['unread', 'flagged', 'attachments'] as const) {
      const where = `m.folder_id = ? AND ${{ unread: 'm.seen = 0', flagged: 'm.flagged = 1', attachments: 'm.has_attachments = 1' }[filter]}`;
      const rows = plan(db, `SELECT m.id FROM mail_messages m WHERE ${where} ORDER BY m.id DESC LIMIT 100`);
      expect(rows).toMatch(/SEARCH m USING (COVERING )?INDEX mail_messages_(unseen|flagged|attached)/);
      expect(rows).not.toMatch(/SCAN|TEMP B-TREE/);
      expect(plan(db, `SELECT COUNT(*) FROM mail_messages m WHERE ${where}`)).not.toMatch(/SCAN/);
      const t0 = performance.now();
      const last = big.list(f, 0, 100, filter);
      const deep = big.list(f, Math.max(0, last.total - 100), 100, filter);
      const ms = performance.now() - t0;
      expect(last.total).toBe({ unread: 10_000, flagged: 2_000, attachments: 5_000 }[filter]);
      expect(last.items[0].id).toBeGreaterThan(deep.items[0].id);
      expect(ms).toBeLessThan(200);
      // With a full `keep` of rows the filter does not pass (here: mail that passes no filter,
      // odd i) the pages still walk indexes, not the folder.
      const keep = Array.from({ length: MAX_KEEP }, (_, k) => (k * 2 + 1) * 1048576);
      const t1 = performance.now();
      const kept = big.list(f, 0, 100, filter, keep);
      const keptDeep = big.list(f, Math.max(0, kept.total - 100), 100, filter, keep);
      const ids = big.listIds(f, MAX_KEEP, filter, keep);
      expect(performance.now() - t1).toBeLessThan(300);
      expect(kept.total).toBe(last.total + keep.length);
      expect(ids.total).toBe(kept.total);
      expect(keptDeep.items.at(-1)!.id).toBe(Math.min(...keep));
    }
    db.close();
  });

  it('conditions alone (`непрочитанные`, `есть:вложения`) search every folder through an index, not the whole table', () => {
    // 100 000 read messages without files; a handful unread or with files.
    const { db } = bigInbox('i, ?, ?, i, i * 1000, i % 25000 <> 7, 0, i % 40000 = 3');
    const search = new MailSearch(db);
    // The app always searches one account's folders.
    expect(search.search({ query: 'непрочитанные', accountId: ACCOUNT, limit: 100 }).map((m) => m.id)).toEqual([75007, 50007, 25007, 7]);
    expect(search.search({ query: 'есть:вложения', accountId: ACCOUNT, limit: 100 }).map((m) => m.id)).toEqual([80003, 40003, 3]);
    expect(search.search({ query: 'непрочитанные есть:вложения', accountId: ACCOUNT, limit: 100 })).toEqual([]);
    // The statement the search runs for conditions alone (the account's index beats the sort).
    for (const where of ['m.seen = 0', 'm.has_attachments = 1', 'm.seen = 0 AND m.has_attachments = 1']) {
      const sql = `SELECT m.id FROM mail_messages m WHERE ${where} AND m.account_id = ? ORDER BY m.id DESC LIMIT 100`;
      const rows = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(ACCOUNT) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
      expect(rows).toMatch(/INDEX mail_messages_(unseen|attached)_all/);
      expect(rows).not.toMatch(/TEMP B-TREE/);
    }
    db.close();
  });
});
