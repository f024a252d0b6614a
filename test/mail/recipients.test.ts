/**
 * Recipient suggestions for the compose form (`mail:recipients:suggest`), over a real SQLite
 * store filled through the store's own API: people written to rank above people who only
 * wrote, then by frequency and recency; prefixes of the address, the domain and the name's
 * words (Cyrillic, any case, ё = е); the user's own address never; one entry per address with
 * its newest name; Junk and Drafts do not count as correspondence; sent mail counts from the
 * outbox before its copy reaches Sent; the index follows deletions and sends. Asked for one
 * account («От кого»), its own correspondents by its own counts come before the other accounts';
 * Bcc recipients of mail sent through the outbox count as written to, before and after the Sent
 * copy (which has no Bcc) arrives. Plus a 100 000 message store answered in reasonable time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { migrateMail } from '../../src-main/core/mail/schema';
import { MailStore, type NewMessage } from '../../src-main/core/mail/store';
import { invalidateRecipients, suggestRecipients } from '../../src-main/core/mail/recipients';
import { parseSource, type ParsedMessage } from '../../src-main/core/mail/parse';
import type { MailAccountView, MailAddress } from '../../src-shared/ipc/mail';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { makeService, type Harness } from './helpers';

const me = { user: 'iv.sales@asgard.test', pass: 'sales-app-password' };
let h: Harness;
let smtp: TestSmtp;
let accountId: number;
const folder: Record<string, number> = {};
let uid = 0;

const at = (month: number, day = 1) => Date.UTC(2024, month - 1, day, 10);
const addr = (s: string): MailAddress => {
  const m = /^(.*)<(.+)>$/.exec(s);
  return m ? { name: m[1].trim(), email: m[2].trim() } : { name: '', email: s };
};

function message(o: { from: string; to?: string[]; cc?: string[]; bcc?: string[]; date: number }): NewMessage {
  const parsed: ParsedMessage = {
    messageId: `<r${++uid}@test>`,
    inReplyTo: null,
    references: [],
    subject: `Письмо ${uid}`,
    from: addr(o.from),
    to: (o.to ?? [me.user]).map(addr),
    cc: (o.cc ?? []).map(addr),
    bcc: (o.bcc ?? []).map(addr),
    replyTo: [],
    date: o.date,
    text: 'Добрый день.',
    html: null,
    attachments: [],
    partial: false,
  };
  return { uid, flags: ['\\Seen'], internalDate: o.date, size: 1000, parsed };
}

function put(path: string, o: Parameters<typeof message>[0]): number {
  const id = h.mail.internals.store.insertMessage(accountId, folder[path], message(o));
  if (id === null) throw new Error('not inserted');
  return id;
}

async function suggest(query: string, limit?: number): Promise<MailAddress[]> {
  return (await h.mail.handle('mail:recipients:suggest', { query, limit })) as MailAddress[];
}
const emails = async (query: string, limit?: number) => (await suggest(query, limit)).map((a) => a.email);

let ivushkinMessage = 0;

/**
 * An account that sends but never syncs: nothing listens on IMAP port 1, so the copy to Sent
 * never gets there by itself (the outbox keeps it) and the store holds what a test puts in it.
 */
function sendOnlyAccount(name: string, u: { user: string; pass: string }, smtpPort: number) {
  return {
    name,
    email: u.user,
    login: u.user,
    preset: 'custom' as const,
    imap: { host: '127.0.0.1', port: 1, security: 'none' as const },
    smtp: { host: '127.0.0.1', port: smtpPort, security: 'none' as const },
    auth: 'password' as const,
    password: u.pass,
  };
}

beforeAll(async () => {
  smtp = await startSmtp({ users: [me] });
  // Not started: no sync runs, the store holds exactly what the test puts there.
  h = makeService({ autoStart: false });
  const acc = (await h.mail.handle('mail:accounts:save', sendOnlyAccount('Отдел продаж', me, smtp.port))) as MailAccountView;
  accountId = acc.id;
  const store = h.mail.internals.store;
  store.saveFolderList(accountId, [
    { path: 'INBOX', name: 'Входящие', delimiter: '/', specialUse: '\\Inbox', depth: 0 },
    { path: 'Sent', name: 'Отправленные', delimiter: '/', specialUse: '\\Sent', depth: 0 },
    { path: 'Drafts', name: 'Черновики', delimiter: '/', specialUse: '\\Drafts', depth: 0 },
    { path: 'Junk', name: 'Спам', delimiter: '/', specialUse: '\\Junk', depth: 0 },
    { path: 'Trash', name: 'Корзина', delimiter: '/', specialUse: '\\Trash', depth: 0 },
  ]);
  for (const f of store.folders(accountId)) folder[f.path] = f.id;

  // Written to: Мария Иванова twice (long ago), Олег Ивлев once; Ивонна from the user's own
  // message filed in INBOX (a copy to self), which is sent mail too.
  put('Sent', { from: `Отдел продаж <${me.user}>`, to: ['Мария Иванова <m.ivanova@corp.ru>'], date: at(1, 10) });
  put('Sent', { from: `Отдел продаж <${me.user}>`, to: ['Мария Иванова <m.ivanova@corp.ru>'], cc: ['Олег Ивлев <ivlev@stroy.ru>'], date: at(1, 20) });
  put('INBOX', { from: `Отдел продаж <${me.user}>`, to: ['Ивонна Кравец <ivonna@kravets.by>'], date: at(1, 5) });
  // Wrote to the user: Иван Петров three times (newest, and the most frequent of all), under
  // several spellings of his address and name; Иволгин and Ивушкин once each.
  put('INBOX', { from: 'Ivan Petrov <Ivan.Petrov@Mail.RU>', date: at(5, 1) });
  put('INBOX', { from: 'Иван Петров <ivan.petrov@mail.ru>', date: at(5, 2) });
  put('INBOX', { from: 'ivan.petrov@mail.ru', to: [`Продажи <${me.user.toUpperCase()}>`], date: at(5, 3) });
  put('INBOX', { from: 'Илья Иволгин <ivolgin@a.ru>', date: at(4, 1) });
  ivushkinMessage = put('INBOX', { from: 'Семён Ивушкин <ivushkin@b.ru>', date: at(2, 1) });
  // Only seen in a copy of someone else's mail.
  put('INBOX', { from: 'Ирина Орлова <orlova@corp.ru>', cc: ['Ивар Ольсен <ivar@nord.no>'], date: at(3, 1) });
  // Spam (even "from" the user) and an unsent draft are not correspondence.
  put('Junk', { from: 'Иван Спамов <ivan@spam.example>', date: at(6, 1) });
  put('Junk', { from: me.user, to: ['ivanhoe@phish.example'], date: at(6, 2) });
  put('Drafts', { from: me.user, to: ['Игорь Ивашов <ivashov@d.ru>'], date: at(6, 3) });
  // Many people at one domain (limits).
  for (let i = 0; i < 12; i++) put('INBOX', { from: `Сотрудник ${i} <staff${String(i).padStart(2, '0')}@zavod.ru>`, date: at(3, 1 + i) });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

describe('recipient suggestions', () => {
  it('ranks people written to above people who only wrote, then by frequency and recency; Junk excluded, drafts and copies last', async () => {
    expect(await emails('ив', 20)).toEqual([
      'm.ivanova@corp.ru', // sent to twice
      'ivlev@stroy.ru', // sent to once, Jan 20
      'ivonna@kravets.by', // sent to once (own message in INBOX), Jan 5
      'ivan.petrov@mail.ru', // wrote three times
      'ivolgin@a.ru', // wrote once, April
      'ivushkin@b.ru', // wrote once, February
      'ivashov@d.ru', // only in a draft: seen, not written to
      'ivar@nord.no', // only in a copy
    ]);
  });

  it('matches a prefix of the address, of its domain, or of any word of the name, in any case, ё as е', async () => {
    expect(await emails('ivan.p')).toEqual(['ivan.petrov@mail.ru']);
    expect(await emails('IVLEV@')).toEqual(['ivlev@stroy.ru']);
    expect(await emails('stroy')).toEqual(['ivlev@stroy.ru']);
    expect(await emails('@corp')).toEqual(['m.ivanova@corp.ru', 'orlova@corp.ru']);
    expect(await emails('mail.r')).toEqual(['ivan.petrov@mail.ru']);
    expect(await emails('иван')).toEqual(['m.ivanova@corp.ru', 'ivan.petrov@mail.ru']);
    expect(await emails('ПЕТР')).toEqual(['ivan.petrov@mail.ru']);
    expect(await emails('иван пет')).toEqual(['ivan.petrov@mail.ru']);
    expect(await emails('семен')).toEqual(['ivushkin@b.ru']);
    expect(await emails('Ольсен')).toEqual(['ivar@nord.no']);
    // Only prefixes: not the middle of a word or of the address.
    expect(await emails('ван')).toEqual([]);
    expect(await emails('petrov')).toEqual([]);
    expect(await emails('  ')).toEqual([]);
    expect(await emails('zzz')).toEqual([]);
  });

  it('never suggests the user\'s own address, nor spam senders', async () => {
    expect(await emails('iv.sales')).toEqual([]);
    expect(await emails('asgard')).toEqual([]);
    expect(await emails('Продаж')).toEqual([]);
    expect(await emails('ivan@spam')).toEqual([]);
    expect(await emails('спамов')).toEqual([]);
    expect(await emails('ivanhoe')).toEqual([]);
  });

  it('gives one entry per address, with its newest non-empty name', async () => {
    const found = await suggest('ivan.petrov');
    expect(found).toEqual([{ name: 'Иван Петров', email: 'ivan.petrov@mail.ru' }]);
    expect(await suggest('m.ivanova')).toEqual([{ name: 'Мария Иванова', email: 'm.ivanova@corp.ru' }]);
    // The old spelling of the name no longer finds him; the address does.
    expect(await emails('ivan petrov')).toEqual([]);
  });

  it('returns at most the limit (8 by default) and validates its arguments', async () => {
    expect(await emails('zavod')).toHaveLength(8);
    expect(await emails('zavod', 3)).toHaveLength(3);
    expect(await emails('zavod', 20)).toHaveLength(12);
    await expect(h.mail.handle('mail:recipients:suggest', { query: 'x'.repeat(201) })).rejects.toMatchObject({ code: 'mail-bad-args' });
    await expect(h.mail.handle('mail:recipients:suggest', { query: 'x', limit: 21 })).rejects.toMatchObject({ code: 'mail-bad-args' });
    await expect(h.mail.handle('mail:recipients:suggest', { limit: 3 })).rejects.toMatchObject({ code: 'mail-bad-args' });
  });

  it('follows the mail: a deleted message stops counting, a sent one counts before its copy reaches Sent', async () => {
    expect(await emails('ивушкин')).toEqual(['ivushkin@b.ru']);
    await h.mail.handle('mail:messages:delete', { ids: [ivushkinMessage] });
    expect(await emails('ивушкин')).toEqual([]);

    expect(await emails('ивлин')).toEqual([]);
    const sent = (await h.mail.handle('mail:send', {
      accountId,
      to: ['Ивлин Грей <Ivlin.Grey@post.example>'],
      cc: ['ivlev@stroy.ru'],
      subject: 'Коммерческое предложение',
      text: 'Добрый день!',
    })) as { status: string };
    expect(sent.status).toBe('sent');
    expect(smtp.received.at(-1)?.to).toContain('Ivlin.Grey@post.example');
    // The copy to Sent failed (no IMAP): the outbox is what tells us.
    expect(h.mail.internals.store.folderViews(accountId).find((f) => f.path === 'Sent')?.total).toBe(2);
    expect(await suggest('ивлин')).toEqual([{ name: 'Ивлин Грей', email: 'ivlin.grey@post.example' }]);
    // Ивлев now has two sent mails like Мария Иванова, the newer one just now: first.
    expect(await emails('ив', 4)).toEqual(['ivlev@stroy.ru', 'm.ivanova@corp.ru', 'ivlin.grey@post.example', 'ivonna@kravets.by']);
  });
});

describe('recipient suggestions for the «От кого» account', () => {
  // A work and a personal account, each with its own correspondents, sharing one (Сидоров).
  const work = { user: 'iv.work@asgard.test', pass: 'work-app-password' };
  const home = { user: 'ivanov.home@mail.test', pass: 'home-app-password' };
  let h2: Harness;
  let smtp2: TestSmtp;
  let workId = 0;
  let homeId = 0;
  const folders: Record<string, number> = {};

  const put2 = (acc: number, path: string, o: Parameters<typeof message>[0]) => {
    const id = h2.mail.internals.store.insertMessage(acc, folders[`${acc}/${path}`], message(o));
    if (id === null) throw new Error('not inserted');
  };
  const find = async (query: string, acc?: number) =>
    ((await h2.mail.handle('mail:recipients:suggest', { query, limit: 20, accountId: acc })) as MailAddress[]).map((a) => a.email);

  beforeAll(async () => {
    smtp2 = await startSmtp({ users: [work, home] });
    h2 = makeService({ autoStart: false });
    const save = async (name: string, u: typeof work) =>
      (
        (await h2.mail.handle('mail:accounts:save', sendOnlyAccount(name, u, smtp2.port))) as MailAccountView
      ).id;
    workId = await save('Работа', work);
    homeId = await save('Личная', home);
    const store = h2.mail.internals.store;
    for (const acc of [workId, homeId]) {
      store.saveFolderList(acc, [
        { path: 'INBOX', name: 'Входящие', delimiter: '/', specialUse: '\\Inbox', depth: 0 },
        { path: 'Sent', name: 'Отправленные', delimiter: '/', specialUse: '\\Sent', depth: 0 },
      ]);
      for (const f of store.folders(acc)) folders[`${acc}/${f.path}`] = f.id;
    }
    // Work: written to Смирнов twice; Петров wrote twice, Сидоров once; the personal address
    // forwarded something to work.
    put2(workId, 'Sent', { from: `Работа <${work.user}>`, to: ['Павел Смирнов <p.smirnov@stroy.ru>'], date: at(1, 10) });
    put2(workId, 'Sent', { from: `Работа <${work.user}>`, to: ['Павел Смирнов <p.smirnov@stroy.ru>'], date: at(2, 10) });
    put2(workId, 'INBOX', { from: 'Поставщик Петров <petrov@supply.ru>', to: [work.user], date: at(3, 1) });
    put2(workId, 'INBOX', { from: 'Поставщик Петров <petrov@supply.ru>', to: [work.user], date: at(3, 2) });
    put2(workId, 'INBOX', { from: 'Пётр Сидоров <sidorov@both.ru>', to: [work.user], date: at(2, 1) });
    put2(workId, 'INBOX', { from: `Иванов <${home.user}>`, to: [work.user], date: at(4, 1) });
    // Personal: written to Шапкин three times (more than anyone at work); Сидоров wrote four
    // times, Павлов twice; one mail from home to the work address.
    for (const d of [5, 6, 7]) put2(homeId, 'Sent', { from: `Иванов <${home.user}>`, to: ['Павел Шапкин <shapkin@gmail.test>'], date: at(1, d) });
    put2(homeId, 'Sent', { from: `Иванов <${home.user}>`, to: [work.user], date: at(1, 8) });
    for (const d of [1, 2, 3, 4]) put2(homeId, 'INBOX', { from: 'Пётр Сидоров <sidorov@both.ru>', to: [home.user], date: at(5, d) });
    for (const d of [1, 2]) put2(homeId, 'INBOX', { from: 'Пётр Павлов <pavlov@home.test>', to: [home.user], date: at(6, d) });
  }, 60_000);

  afterAll(async () => {
    await h2?.close();
    await smtp2?.close();
  });

  it("ranks the account's own correspondents by its own mail first, the other account's after them", async () => {
    // All accounts together (no account asked): the personal Шапкин and Сидоров lead.
    expect(await find('s')).toEqual(['shapkin@gmail.test', 'p.smirnov@stroy.ru', 'sidorov@both.ru', 'petrov@supply.ru']);
    // From work: work's people by work's counts (Сидоров wrote once to work, Петров twice),
    // then the personal-only Шапкин.
    expect(await find('s', workId)).toEqual(['p.smirnov@stroy.ru', 'petrov@supply.ru', 'sidorov@both.ru', 'shapkin@gmail.test']);
    // From home: Шапкин and Сидоров, then work's people in the overall order.
    expect(await find('s', homeId)).toEqual(['shapkin@gmail.test', 'sidorov@both.ru', 'p.smirnov@stroy.ru', 'petrov@supply.ru']);
    expect(await find('п', workId)).toEqual(['p.smirnov@stroy.ru', 'petrov@supply.ru', 'sidorov@both.ru', 'shapkin@gmail.test', 'pavlov@home.test']);
    expect(await find('п', homeId)).toEqual(['shapkin@gmail.test', 'sidorov@both.ru', 'pavlov@home.test', 'p.smirnov@stroy.ru', 'petrov@supply.ru']);
    // Switching accounts back and forth answers from the same index.
    expect((await find('п', workId))[0]).toBe('p.smirnov@stroy.ru');
    // An account with no mail of its own gets the overall order.
    expect(await find('s', 999)).toEqual(await find('s'));
  });

  it("never suggests any account's own address, whichever account is asked", async () => {
    for (const acc of [workId, homeId, undefined]) {
      expect(await find('iv', acc)).toEqual([]);
      expect(await find('asgard', acc)).toEqual([]);
      expect(await find('mail.test', acc)).toEqual([]);
      expect(await find('иванов', acc)).toEqual([]);
    }
    await expect(h2.mail.handle('mail:recipients:suggest', { query: 'x', accountId: 0 })).rejects.toMatchObject({ code: 'mail-bad-args' });
  });

  it('counts Bcc recipients of mail sent through the outbox as written to, before and after the Sent copy arrives', async () => {
    expect(await find('tainy')).toEqual([]);
    const sent = (await h2.mail.handle('mail:send', {
      accountId: workId,
      to: ['Ирина Кузнецова <kuznetsova@stroy.ru>'],
      bcc: ['Пётр Сидоров <sidorov@both.ru>', 'Тайный Адресат <tainy@secret.ru>'],
      subject: 'Счёт',
      text: 'Добрый день!',
    })) as { status: string };
    expect(sent.status).toBe('sent');
    const mail = smtp2.received.at(-1)!;
    expect(mail.to.sort()).toEqual(['kuznetsova@stroy.ru', 'sidorov@both.ru', 'tainy@secret.ru']);
    // What went out (and what the Sent copy is made of) names no Bcc recipient.
    expect(mail.raw.toString('latin1')).not.toMatch(/tainy|sidorov/i);
    expect(await find('tainy')).toEqual(['tainy@secret.ru']);

    // Сидоров, who only wrote to work, is now written to from work, above Петров; the new
    // address comes in too; Смирнов (written to twice) stays first; the other account last.
    const expected = ['p.smirnov@stroy.ru', 'kuznetsova@stroy.ru', 'sidorov@both.ru', 'tainy@secret.ru', 'petrov@supply.ru', 'shapkin@gmail.test'];
    expect(await find('s', workId)).toEqual(expected);
    // Written to from work, not from home: at home Сидоров still ranks by home's mail.
    expect((await find('s', homeId)).slice(0, 2)).toEqual(['shapkin@gmail.test', 'sidorov@both.ru']);

    // The copy reaches Sent (as a sync would file it): no Bcc in it, and nobody counts twice —
    // Кузнецова counted twice would pass Смирнов.
    const copy = await parseSource(mail.raw);
    expect(copy.bcc).toEqual([]);
    const d = Date.now();
    expect(h2.mail.internals.store.insertMessage(workId, folders[`${workId}/Sent`], { uid: 1000, flags: ['\\Seen'], internalDate: d, size: mail.raw.length, parsed: copy })).not.toBeNull();
    invalidateRecipients(h2.db);
    expect(await find('s', workId)).toEqual(expected);
  });
});

describe('recipient suggestions on 100 000 messages', () => {
  let db: Database.Database;
  beforeAll(() => {
    db = new Database(':memory:');
    migrateMail(db);
    db.prepare(
      `INSERT INTO mail_accounts (id, email, login, preset, imap_host, imap_port, imap_security, smtp_host, smtp_port, smtp_security, created_at, updated_at)
       VALUES (1, 'me@asgard.test', 'me@asgard.test', 'custom', 'h', 1, 'none', 'h', 1, 'none', '', '')`,
    ).run();
    const store = new MailStore(db);
    store.saveFolderList(1, [
      { path: 'INBOX', name: 'INBOX', delimiter: '/', specialUse: '\\Inbox', depth: 0 },
      { path: 'Sent', name: 'Sent', delimiter: '/', specialUse: '\\Sent', depth: 0 },
    ]);
    const inbox = store.folderByPath(1, 'INBOX')!.id;
    const sentFolder = store.folderByPath(1, 'Sent')!.id;
    // Straight rows (the store's FTS indexing would make this a benchmark): 3 000 people, a few
    // writing most of the mail, a fifth of the mail sent by the user, some with copies.
    const first = ['Иван', 'Пётр', 'Мария', 'Анна', 'Alex', 'John', 'Ольга', 'Сергей', 'Дмитрий', 'Елена'];
    const last = ['Петров', 'Иванов', 'Смирнова', 'Кузнецов', 'Smith', 'Brown', 'Попова', 'Волков'];
    const people = Array.from({ length: 3000 }, (_, i) => ({ name: i % 5 ? `${first[i % 10]} ${last[(i * 7) % 8]}` : '', email: `user${i}@dom${i % 97}.ru` }));
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const pick = () => people[Math.floor(rnd() ** 3 * people.length)];
    const self = { name: 'Я', email: 'me@asgard.test' };
    const msg = db.prepare(
      `INSERT INTO mail_messages (id, account_id, folder_id, uid, message_id, subject, from_name, from_email, to_json, cc_json, date, text)
       VALUES (?, 1, ?, ?, ?, 'Тема', ?, ?, ?, ?, ?, 'Добрый день, коллеги! Направляем документы по поставке.')`,
    );
    const address = db.prepare('INSERT OR IGNORE INTO mail_addresses (email, message_id, role) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 100_000; i++) {
        const date = Date.UTC(2020, 0, 1) + i * 15 * 60_000;
        const id = Math.floor(date / 1000) * 1_048_576 + i;
        const sent = rnd() < 0.2;
        const other = pick();
        const cc = rnd() < 0.3 ? [pick()] : [];
        const from = sent ? self : other;
        const to = sent ? [other] : [self];
        msg.run(id, sent ? sentFolder : inbox, i + 1, `<m${i}@x>`, from.name, from.email, JSON.stringify(to), JSON.stringify(cc), date);
        address.run(from.email, id, 'from');
        for (const a of to) address.run(a.email, id, 'to');
        for (const a of cc) address.run(a.email, id, 'cc');
      }
    })();
  }, 120_000);
  afterAll(() => db?.close());

  it('builds its index once in well under seconds and answers each keystroke in milliseconds', () => {
    let t = performance.now();
    expect(suggestRecipients(db, '')).toEqual([]);
    const buildMs = performance.now() - t;
    let slowest = 0;
    for (const q of ['и', 'ив', 'ива', 'иван', 'user1', 'user12', 'dom5', 'петр', 'smith', 'zzz']) {
      t = performance.now();
      const found = suggestRecipients(db, q);
      slowest = Math.max(slowest, performance.now() - t);
      if (q !== 'zzz') expect(found.length, q).toBeGreaterThan(0);
    }
    // Marked stale by an event that changed nothing: a fingerprint check, no rebuild.
    invalidateRecipients(db);
    t = performance.now();
    suggestRecipients(db, 'ив');
    const recheckMs = performance.now() - t;
    // Generous bounds (two test files run at once on two cores); typically ~0.2 s, <1 ms, ~10 ms.
    expect(buildMs).toBeLessThan(5_000);
    expect(slowest).toBeLessThan(50);
    expect(recheckMs).toBeLessThan(250);
  });
});
