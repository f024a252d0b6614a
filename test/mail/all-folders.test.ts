/**
 * Every folder kept in step, not only INBOX, Sent and the folders opened: mail the server files
 * into folders the app never opened gets its unread count (STATUS first, then the folder's own
 * sync) and is found by search, which says which folders are still loading; virtual folders
 * (\All) keep counts only until opened; a big folder comes in slices, newest first, with INBOX's
 * new mail fetched between them.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIL_MIGRATIONS, migrateMail } from '../../src-main/core/mail/schema';
import type { MailSummary } from '../../src-shared/ipc/mail';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { addAccount, folderViews, imapClient, listFolder, makeService, startImapTap, testMessages, waitFor, waitSynced, type Harness } from './helpers';

const users = Array.from({ length: 3 }, (_, i) => ({ user: `all${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

beforeAll(async () => {
  dc = await startDovecot({ users });
});
afterAll(async () => {
  await dc?.stop();
});

async function search(h: Harness, query: string, accountId: number): Promise<{ items: MailSummary[]; loadingFolderIds: number[] }> {
  return (await h.mail.handle('mail:messages:search', { query, accountId })) as { items: MailSummary[]; loadingFolderIds: number[] };
}

function invoice(n: number): string {
  return rawMessage({
    subject: `Счёт на оплату №${n}`,
    from: `=?UTF-8?B?${Buffer.from('ПромСнаб').toString('base64')}?= <buh@promsnab.example>`,
    text: `Оплата за подшипники по договору, счёт ${n}.`,
    messageId: `<inv-${n}@promsnab.example>`,
  });
}

describe('all folders kept in step', () => {
  it('mail filed on the server into folders never opened: counts from STATUS while loading, then synced and searchable', async () => {
    const u = users[0];
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Тендеры');
    await other.mailboxCreate('Счета');
    for (let i = 0; i < 5; i++) {
      const raw = rawMessage({ subject: `Тендер ${i}`, text: `Закупка труб, лот ${i}`, messageId: `<t${i}@tender.example>` });
      await other.append('Тендеры', raw, i < 3 ? ['\\Seen'] : []);
    }
    for (const n of [2301, 2302, 2303]) await other.append('Счета', invoice(n), []);
    await dc.deliver(u.user, rawMessage({ subject: 'Во входящих', text: 'обычное письмо', messageId: '<in-1@test>' }));

    const tap = await startImapTap(dc.port);
    // The first folder fetched in the background is Sent: its SELECT's answer is held there.
    tap.holdOn = /^\S+ SELECT "?Sent"?/i;
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitFor(() => tap.held, 'the background fetch reaching Sent');
      const inbox = (await folderViews(h, acc.id)).find((f) => f.path === 'INBOX')!;
      // INBOX first: already here.
      expect((await listFolder(h, inbox.id)).total).toBe(1);
      const before = await folderViews(h, acc.id);
      const tenders = before.find((f) => f.path === 'Тендеры')!;
      const bills = before.find((f) => f.path === 'Счета')!;
      // Not fetched yet: the server's counts stand in.
      expect(tenders).toMatchObject({ syncEnabled: true, sync: 'loading', total: 0, serverUnread: 2 });
      expect(bills).toMatchObject({ sync: 'loading', serverUnread: 3 });
      expect(inbox).toMatchObject({ sync: 'synced', serverUnread: null });
      // Search says what it could not cover yet.
      const partial = await search(h, 'от:промснаб', acc.id);
      expect(partial.items).toEqual([]);
      expect(partial.loadingFolderIds).toEqual(expect.arrayContaining([tenders.id, bills.id]));
      expect(partial.loadingFolderIds).not.toContain(inbox.id);

      tap.release();
      tap.holdOn = null;
      await waitSynced(h, acc.id);
      const after = await folderViews(h, acc.id);
      expect(after.find((f) => f.id === tenders.id)).toMatchObject({ sync: 'synced', total: 5, unread: 2, serverUnread: null });
      expect(after.find((f) => f.id === bills.id)).toMatchObject({ sync: 'synced', total: 3, unread: 3 });
      // Trash and Junk are kept in step as well.
      expect(after.find((f) => f.path === 'Junk')).toMatchObject({ syncEnabled: true, sync: 'synced' });
      const found = await search(h, 'от:промснаб', acc.id);
      expect(found.items.map((m) => m.subject).sort()).toEqual(['Счёт на оплату №2301', 'Счёт на оплату №2302', 'Счёт на оплату №2303']);
      expect(found.items.every((m) => m.folderId === bills.id)).toBe(true);
      expect(found.loadingFolderIds).toEqual([]);
      expect((await search(h, 'подшипники', acc.id)).items).toHaveLength(3);

      // Filed there later by the server (a filter, a phone): the next round finds it.
      await other.append('Счета', invoice(2304), []);
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      await waitFor(async () => (await folderViews(h, acc.id)).find((f) => f.id === bills.id)?.unread === 4, 'the new invoice counted');
      expect((await search(h, 'счет 2304', acc.id)).items.map((m) => m.subject)).toEqual(['Счёт на оплату №2304']);
    } finally {
      tap.release();
      await h.close();
      await tap.close();
      await other.logout().catch(() => undefined);
    }
  }, 90_000);

  it('a \\All folder (Gmail «Вся почта») keeps the server counts only, and is fetched once opened', async () => {
    const u = users[1];
    const other = await imapClient(dc, u);
    await other.mailboxCreate('AllMail');
    for (let i = 0; i < 4; i++) await other.append('AllMail', rawMessage({ subject: `Дубликат ${i}`, text: 'вся почта', messageId: `<dup${i}@test>` }), i === 0 ? ['\\Seen'] : []);
    // The test Dovecot has no \All mailbox: its LIST answer is given the flag on the way.
    const tap = await startImapTap(dc.port, {
      serverLine: (line) => (/^\* LIST \(/i.test(line) && /"?AllMail"?$/.test(line) ? line.replace(/^\* LIST \(/i, '* LIST (\\All ') : line),
    });
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const all = await waitFor(async () => (await folderViews(h, acc.id)).find((f) => f.path === 'AllMail' && f.serverUnread !== null), 'AllMail counted');
      expect(all).toMatchObject({ specialUse: '\\All', syncEnabled: false, sync: 'counts', total: 0, serverUnread: 3 });
      // Never selected nor fetched, and search does not wait for it.
      expect(tap.lines.some((l) => /^\S+ (SELECT|EXAMINE) "?AllMail/i.test(l))).toBe(false);
      const r = await search(h, 'Дубликат', acc.id);
      expect(r.items).toEqual([]);
      expect(r.loadingFolderIds).toEqual([]);

      // Opened: fetched like any folder, its own counts from then on.
      await h.mail.handle('mail:folders:sync', { folderId: all.id });
      const opened = (await folderViews(h, acc.id)).find((f) => f.id === all.id)!;
      expect(opened).toMatchObject({ syncEnabled: true, sync: 'synced', total: 4, unread: 3, serverUnread: null });
      expect((await search(h, 'Дубликат', acc.id)).items).toHaveLength(4);
    } finally {
      await h.close();
      await tap.close();
      await other.logout().catch(() => undefined);
    }
  }, 90_000);

  it('a big folder comes in slices, newest first, and INBOX mail arriving meanwhile is fetched between slices', async () => {
    const u = users[2];
    const N = 2000;
    dc.seedMaildir(u.user, testMessages(u.user, 'Архив', N), 'Old2019');
    const h = makeService({ sync: { initialBackoffMs: 200, maxBackoffMs: 1000, pollMs: 60_000, batchSize: 50, backgroundSlice: 100 } });
    try {
      const acc = await addAccount(h, dc, null, u);
      const states = () =>
        h.events.flatMap((e, i) => {
          const st = (e.payload as { state?: { state: string; folder?: string; done?: number; total?: number } }).state;
          return e.name === 'mail:state' && st?.state === 'syncing' && st.folder === 'Old2019' ? [{ i, done: st.done ?? 0, total: st.total ?? 0 }] : [];
        });
      await waitFor(() => states().some((s) => s.done > 0), 'Old2019 loading');
      const old = (await folderViews(h, acc.id)).find((f) => f.path === 'Old2019')!;
      // Progress is the folder's as a whole, and the newest mail came first.
      expect(states()[0].total).toBe(N);
      const firstPage = await listFolder(h, old.id);
      expect(firstPage.items[0]?.subject).toBe(`Архив ${N - 1}`);

      await dc.deliver(u.user, rawMessage({ subject: 'Пока грузится архив', text: 'новое', messageId: '<during-archive@test>' }));
      const arrived = await waitFor(
        () => h.events.findIndex((e) => e.name === 'mail:new' && (e.payload as { messages: MailSummary[] }).messages.some((m) => m.subject === 'Пока грузится архив')) + 1,
        'mail:new for the INBOX mail',
      );
      await waitSynced(h, acc.id, 60_000);
      // The archive was still loading after the INBOX mail was announced: fetched between its slices.
      expect(states().some((s) => s.i > arrived - 1 && s.done < N)).toBe(true);
      expect((await listFolder(h, old.id)).total).toBe(N);
      expect((await folderViews(h, acc.id)).find((f) => f.id === old.id)).toMatchObject({ sync: 'synced', total: N, unread: N });
    } finally {
      await h.close();
    }
  }, 120_000);

  it('migration: folders synced only once opened become synced by default, virtual ones do not', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE mail_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      for (const m of MAIL_MIGRATIONS.filter((x) => x.version <= 10)) {
        db.exec(m.sql);
        db.prepare('INSERT INTO mail_migrations VALUES (?, ?, ?)').run(m.version, m.name, '');
      }
      const add = db.prepare('INSERT INTO mail_folders (account_id, path, name, special_use, sync_enabled, last_sync_at) VALUES (1, ?, ?, ?, ?, ?)');
      add.run('INBOX', 'Входящие', '\\Inbox', 1, '2025-01-01T00:00:00Z');
      add.run('Тендеры', 'Тендеры', null, 0, null);
      add.run('Junk', 'Junk', '\\Junk', 0, null);
      add.run('[Gmail]/Вся почта', 'Вся почта', '\\All', 0, null);
      add.run('[Gmail]/Помеченные', 'Помеченные', '\\Flagged', 0, null);
      migrateMail(db);
      const rows = db.prepare('SELECT path, sync_enabled, fetch_left FROM mail_folders ORDER BY id').all();
      expect(rows).toEqual([
        { path: 'INBOX', sync_enabled: 1, fetch_left: 0 },
        { path: 'Тендеры', sync_enabled: 1, fetch_left: null },
        { path: 'Junk', sync_enabled: 1, fetch_left: null },
        { path: '[Gmail]/Вся почта', sync_enabled: 0, fetch_left: null },
        { path: '[Gmail]/Помеченные', sync_enabled: 0, fetch_left: null },
      ]);
    } finally {
      db.close();
    }
  });
});
