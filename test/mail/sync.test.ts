/**
 * IMAP sync against a private Dovecot: initial sync newest first with progress, incremental by
 * UID, IDLE arrival, flags both ways, UIDVALIDITY change, a connection cut mid-sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { addAccount, folderId, imapClient, makeService, startCutProxy, stateOf, waitFor, waitSynced } from './helpers';
import type { MailMessageView, MailSummary } from '../../src-shared/ipc/mail';

const users = Array.from({ length: 6 }, (_, i) => ({ user: `user${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

function seed(user: string, n: number, from = 0): void {
  const base = Date.UTC(2024, 0, 1);
  dc.seedMaildir(
    user,
    Array.from({ length: n }, (_, i) =>
      rawMessage({
        subject: `Письмо ${from + i}`,
        text: `Текст письма номер ${from + i}`,
        date: new Date(base + (from + i) * 60_000),
        messageId: `<m${from + i}.${user}>`,
      }),
    ),
  );
}

beforeAll(async () => {
  dc = await startDovecot({ users });
});
afterAll(async () => {
  await dc?.stop();
});

describe('mail sync', () => {
  it('initial sync: newest first with progress, then incremental by UID and IDLE arrival', async () => {
    const u = users[0];
    seed(u.user, 600);
    const h = makeService({ sync: { initialBackoffMs: 200, maxBackoffMs: 1000, pollMs: 60_000, batchSize: 100 } });
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const page = (await h.mail.handle('mail:messages:list', { folderId: inbox, offset: 0, limit: 10 })) as { total: number; items: MailSummary[] };
      expect(page.total).toBe(600);
      expect(page.items[0].subject).toBe('Письмо 599');
      expect(page.items[9].subject).toBe('Письмо 590');
      expect(page.items[0].seen).toBe(false);

      // Progress was reported as N of M, and the first batch stored was the newest mail.
      const progress = h.events
        .filter((e) => e.name === 'mail:state')
        .map((e) => (e.payload as { state: { state: string; done?: number; total?: number } }).state)
        .filter((s) => s.state === 'syncing');
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.at(-1)).toMatchObject({ done: 600, total: 600 });
      const folders = (await h.mail.handle('mail:folders:list', { accountId: acc.id })) as { path: string; specialUse: string | null; syncEnabled: boolean }[];
      expect(folders.map((f) => f.path)).toEqual(expect.arrayContaining(['INBOX', 'Sent', 'Drafts', 'Trash', 'Junk']));
      expect(folders.find((f) => f.path === 'Sent')?.specialUse).toBe('\\Sent');
      expect(folders.find((f) => f.path === 'Sent')?.syncEnabled).toBe(true);
      // Every folder is kept in step (counts, search), not only the ones opened.
      expect(folders.find((f) => f.path === 'Junk')?.syncEnabled).toBe(true);

      // New mail while idling on INBOX shows up within seconds.
      const t0 = Date.now();
      await dc.deliver(u.user, rawMessage({ subject: 'Свежее письмо', text: 'пришло только что', messageId: '<fresh@test>' }));
      const fresh = await waitFor(
        () => h.events.find((e) => e.name === 'mail:new' && (e.payload as { messages: MailSummary[] }).messages.some((m) => m.subject === 'Свежее письмо')),
        'mail:new for the fresh message',
        10_000,
      );
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(fresh).toBeTruthy();
      const after = (await h.mail.handle('mail:messages:list', { folderId: inbox, offset: 0, limit: 5 })) as { total: number; items: MailSummary[] };
      expect(after.total).toBe(601);
      expect(after.items[0].subject).toBe('Свежее письмо');
    } finally {
      await h.close();
    }
  }, 90_000);

  it('mail reaching INBOX while another folder syncs is fetched when the sync is done, not at the next poll', async () => {
    const u = users[5];
    seed(u.user, 1);
    dc.seedMaildir(u.user, Array.from({ length: 3000 }, (_, i) => rawMessage({ subject: `Отправленное ${i}`, text: 'x', messageId: `<s${i}.${u.user}>` })), 'Sent');
    // Polls once a minute: only noticing the new mail can bring it within the test's seconds.
    const h = makeService({ sync: { initialBackoffMs: 200, maxBackoffMs: 1000, pollMs: 60_000, batchSize: 25 } });
    try {
      const acc = await addAccount(h, dc, null, u);
      // INBOX is synced first; once Sent's 3000 are under way, INBOX is not selected.
      const sentSyncing = () =>
        h.events.some((e) => {
          const st = (e.payload as { state?: { state: string; total?: number; done?: number } }).state;
          return e.name === 'mail:state' && st?.state === 'syncing' && st.total === 3000 && (st.done ?? 0) > 0;
        });
      await waitFor(sentSyncing, 'Sent syncing');
      const inbox = await folderId(h, acc.id, 'INBOX');
      const before = ((await h.mail.handle('mail:messages:list', { folderId: inbox, limit: 1 })) as { total: number }).total;
      await dc.deliver(u.user, rawMessage({ subject: 'Пока шла синхронизация', text: 'новое', messageId: '<during-sent-sync@test>' }));
      await waitSynced(h, acc.id);
      await waitFor(
        async () => ((await h.mail.handle('mail:messages:list', { folderId: inbox, limit: 5 })) as { items: MailSummary[] }).items.some((m) => m.subject === 'Пока шла синхронизация'),
        'the mail delivered during Sent’s sync',
        10_000,
      );
      expect(((await h.mail.handle('mail:messages:list', { folderId: inbox, limit: 1 })) as { total: number }).total).toBe(before + 1);
    } finally {
      await h.close();
    }
  }, 90_000);

  it('keeps flags in step both ways and sees expunges', async () => {
    const u = users[1];
    seed(u.user, 20);
    const h = makeService();
    const other = await imapClient(dc, u);
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const list = (await h.mail.handle('mail:messages:list', { folderId: inbox, offset: 0, limit: 50 })) as { items: MailSummary[] };
      const newest = list.items[0];

      // Local → server: reading a message sets \Seen on the server; flagging sets \Flagged.
      const view = (await h.mail.handle('mail:messages:get', { id: newest.id, markSeen: true })) as MailMessageView;
      expect(view.subject).toBe('Письмо 19');
      await h.mail.handle('mail:messages:setFlags', { ids: [list.items[1].id], flagged: true });
      await other.mailboxOpen('INBOX');
      await waitFor(async () => {
        const m = await other.fetchOne('*', { flags: true, uid: true });
        return m && m.flags?.has('\\Seen');
      }, 'server \\Seen', 10_000);
      await waitFor(async () => {
        const msgs = await other.fetchAll('1:*', { flags: true, envelope: true });
        return msgs.find((m) => m.envelope?.subject === 'Письмо 18')?.flags?.has('\\Flagged');
      }, 'server \\Flagged', 10_000);

      // Server → local: another client marks the oldest read; we hear it over IDLE.
      const oldest = list.items.at(-1)!;
      await other.messageFlagsAdd({ header: { 'message-id': '<m0.user1@example.test>' } }, ['\\Seen']);
      await waitFor(
        async () => ((await h.mail.handle('mail:messages:get', { id: oldest.id })) as MailMessageView).seen,
        'local seen from server',
        10_000,
      );

      // Another client deletes a message: it disappears locally.
      await other.messageDelete({ header: { 'message-id': '<m5.user1@example.test>' } });
      await waitFor(async () => {
        const l = (await h.mail.handle('mail:messages:list', { folderId: inbox, offset: 0, limit: 50 })) as { total: number; items: MailSummary[] };
        return l.total === 19 && !l.items.some((m) => m.subject === 'Письмо 5');
      }, 'expunge seen locally', 10_000);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
    }
  }, 90_000);

  it('resyncs a folder whose UIDVALIDITY changed, without duplicates', async () => {
    const u = users[2];
    seed(u.user, 30);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const before = h.db.prepare('SELECT uidvalidity FROM mail_folders WHERE id = ?').get(inbox) as { uidvalidity: number };
      // Stop syncing, renumber the mailbox on the server, start again.
      await h.mail.stop();
      await dc.changeUidValidity(u.user, 'INBOX', before.uidvalidity + 1000);
      h.events.length = 0;
      h.mail.start();
      await waitSynced(h, acc.id);
      const after = h.db.prepare('SELECT uidvalidity FROM mail_folders WHERE id = ?').get(inbox) as { uidvalidity: number };
      expect(after.uidvalidity).toBe(before.uidvalidity + 1000);
      const n = h.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT message_id) AS d FROM mail_messages WHERE folder_id = ?').get(inbox) as { n: number; d: number };
      expect(n).toEqual({ n: 30, d: 30 });
      const fts = h.db.prepare("SELECT COUNT(*) AS n FROM mail_fts WHERE mail_fts MATCH 'письмо'").get() as { n: number };
      expect(fts.n).toBe(30);
    } finally {
      await h.close();
    }
  }, 90_000);

  it('resumes after the connection drops mid-sync, with no duplicates', async () => {
    const u = users[3];
    seed(u.user, 1500);
    const proxy = await startCutProxy(dc.port);
    // Each connection dies after ~120 KB from the server: many cuts during the initial sync.
    proxy.cutAfterBytes = 120_000;
    const h = makeService({ sync: { initialBackoffMs: 50, maxBackoffMs: 200, pollMs: 60_000, batchSize: 100 } });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: proxy.port });
      await waitFor(() => proxy.cuts >= 3, 'several cuts', 30_000);
      expect(['offline', 'connecting', 'syncing']).toContain(stateOf(h, acc.id));
      proxy.cutAfterBytes = null;
      await waitSynced(h, acc.id, 60_000);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const n = h.db
        .prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT uid) AS u, COUNT(DISTINCT message_id) AS d FROM mail_messages WHERE folder_id = ?')
        .get(inbox) as { n: number; u: number; d: number };
      expect(n).toEqual({ n: 1500, u: 1500, d: 1500 });
      const offline = h.events.some((e) => e.name === 'mail:state' && (e.payload as { state: { state: string } }).state.state === 'offline');
      expect(offline).toBe(true);
    } finally {
      await h.close();
      await proxy.close();
    }
  }, 90_000);
});
