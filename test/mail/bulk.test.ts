/**
 * Bulk actions on a selection in the list («Прочитано», «Переместить», «Удалить» on hundreds of
 * messages) and «Отметить все как прочитанные»: applied locally at once, pushed to the server as
 * a few commands (runs of the same change share one UID set), and the server ends up exactly so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { addAccount, folderId, imapClient, listFolder, makeService, onServer, opsLeft, startImapTap, testMessages as msgs, waitFor, waitSynced } from './helpers';
import type { MailSummary } from '../../src-shared/ipc/mail';

const users = Array.from({ length: 3 }, (_, i) => ({ user: `bulk${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

beforeAll(async () => {
  dc = await startDovecot({ users });
});
afterAll(async () => {
  await dc?.stop();
});

const commands = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;

/** How many messages of a server folder carry each flag, read by another client. */
async function serverFolder(u: { user: string; pass: string }, path: string): Promise<{ total: number; seen: number; flagged: number }> {
  const all = await onServer(dc, u, path);
  return { total: all.length, seen: all.filter((m) => m.flags.includes('\\Seen')).length, flagged: all.filter((m) => m.flags.includes('\\Flagged')).length };
}

describe('bulk actions on a selection', () => {
  it('marks, flags, moves and deletes 1 200 messages with a handful of IMAP commands', async () => {
    const u = users[0];
    dc.seedMaildir(u.user, msgs(u.user, 'Рассылка', 1200));
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Рассылки');
    await other.logout();
    const tap = await startImapTap(dc.port);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id, 60_000);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const target = await folderId(h, acc.id, 'Рассылки');

      // «Выбрать все»: every id, newest first, as the list shows them.
      const all = (await h.mail.handle('mail:folders:messageIds', { folderId: inbox })) as { ids: number[]; total: number };
      expect(all.total).toBe(1200);
      expect(all.ids).toHaveLength(1200);
      const firstPage = (await listFolder(h, inbox)).items.map((m) => m.id);
      expect(all.ids.slice(0, firstPage.length)).toEqual(firstPage);
      const capped = (await h.mail.handle('mail:folders:messageIds', { folderId: inbox, limit: 10 })) as { ids: number[]; total: number };
      expect(capped).toEqual({ ids: all.ids.slice(0, 10), total: 1200 });

      // 1 000 read and 700 of them flagged: local at once, then two runs of STOREs.
      const read = all.ids.slice(0, 1000);
      await h.mail.handle('mail:messages:setFlags', { ids: read, seen: true });
      await h.mail.handle('mail:messages:setFlags', { ids: read.slice(0, 700), flagged: true });
      const views = await h.mail.handle('mail:folders:list', { accountId: acc.id }) as { id: number; unread: number }[];
      expect(views.find((f) => f.id === inbox)!.unread).toBe(200);
      await waitFor(() => opsLeft(h) === 0, 'flags pushed', 20_000);
      expect(await serverFolder(u, 'INBOX')).toEqual({ total: 1200, seen: 1000, flagged: 700 });
      // 1 700 changes, 500 UIDs a command at most: 2 + 2 STOREs, not 1 700.
      expect(commands(tap.lines, /UID STORE/i)).toBeLessThanOrEqual(4);

      // Move 300 (some read, some not) into «Рассылки»; delete 100 more (to Trash).
      const moved = all.ids.slice(900, 1200);
      expect(await h.mail.handle('mail:messages:move', { ids: moved, folderId: target })).toMatchObject({ moved: 300 });
      await h.mail.handle('mail:messages:delete', { ids: all.ids.slice(800, 900) });
      expect((await listFolder(h, inbox)).total).toBe(800);
      await waitFor(() => opsLeft(h) === 0, 'moves pushed', 20_000);
      expect(commands(tap.lines, /UID MOVE/i)).toBeLessThanOrEqual(2);
      expect(await serverFolder(u, 'INBOX')).toEqual({ total: 800, seen: 800, flagged: 700 });
      expect(await serverFolder(u, 'Рассылки')).toEqual({ total: 300, seen: 100, flagged: 0 });
      expect((await serverFolder(u, 'Trash')).total).toBe(100);
      await waitFor(async () => (await listFolder(h, target)).total === 300, 'moved mail synced into the target', 20_000);

      // A selection spanning folders (search results) moved to one of them: the rest moves.
      const fromTarget = (await listFolder(h, target)).items.slice(0, 5).map((m) => m.id);
      const fromInbox = (await listFolder(h, inbox)).items.slice(0, 5).map((m) => m.id);
      expect(await h.mail.handle('mail:messages:move', { ids: [...fromTarget, ...fromInbox], folderId: target })).toMatchObject({ moved: 5 });
      await expect(h.mail.handle('mail:messages:move', { ids: fromTarget, folderId: target })).rejects.toThrow(/уже лежит в папке/);

      // «Отметить все как прочитанные» in «Рассылки»: 200 unread there (the 300 moved minus 100 read).
      await waitFor(() => opsLeft(h) === 0, 'the second move pushed', 20_000);
      await waitFor(async () => (await listFolder(h, target)).total === 305, 'the second move synced', 20_000);
      const storesBefore = commands(tap.lines, /UID STORE/i);
      const r = (await h.mail.handle('mail:folders:markSeen', { folderId: target })) as { marked: number };
      expect(r.marked).toBe(200);
      expect((await listFolder(h, target)).items.every((m: MailSummary) => m.seen)).toBe(true);
      await waitFor(() => opsLeft(h) === 0, 'mark-all pushed', 20_000);
      // The five from INBOX came read and flagged.
      expect(await serverFolder(u, 'Рассылки')).toEqual({ total: 305, seen: 305, flagged: 5 });
      expect(commands(tap.lines, /UID STORE/i) - storesBefore).toBe(1);
      expect(await h.mail.handle('mail:folders:markSeen', { folderId: target })).toEqual({ marked: 0 });
    } finally {
      await h.close();
      await tap.close();
    }
  }, 120_000);

  it('pushes one message\'s queued changes in the order they were made', async () => {
    // Read, then unread again, then read: joined into runs, the last change still wins.
    const u = users[1];
    dc.seedMaildir(u.user, msgs(u.user, 'Порядок', 20));
    const tap = await startImapTap(dc.port);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const ids = (await listFolder(h, inbox)).items.map((m) => m.id);
      tap.refuse = true;
      tap.dropAll();
      await h.mail.handle('mail:messages:setFlags', { ids, seen: true });
      await h.mail.handle('mail:messages:setFlags', { ids: ids.slice(0, 10), seen: false });
      await h.mail.handle('mail:messages:setFlags', { ids: ids.slice(0, 5), seen: true });
      tap.refuse = false;
      await waitFor(() => opsLeft(h) === 0, 'pushed', 20_000);
      expect(await serverFolder(u, 'INBOX')).toEqual({ total: 20, seen: 15, flagged: 0 });
      const local = (await listFolder(h, inbox)).items;
      expect(local.filter((m) => m.seen)).toHaveLength(15);
    } finally {
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('empties Trash and Junk for good (Junk not into Trash), and refuses other folders', async () => {
    const u = users[2];
    dc.seedMaildir(u.user, msgs(u.user, 'Удалённое', 60), 'Trash');
    dc.seedMaildir(u.user, msgs(u.user, 'Реклама', 40), 'Junk');
    dc.seedMaildir(u.user, msgs(u.user, 'Рабочее', 3));
    const tap = await startImapTap(dc.port);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const trash = await folderId(h, acc.id, 'Trash');
      const junk = await folderId(h, acc.id, 'Junk');
      const inbox = await folderId(h, acc.id, 'INBOX');
      await h.mail.handle('mail:folders:sync', { folderId: trash });
      await h.mail.handle('mail:folders:sync', { folderId: junk });
      expect((await listFolder(h, trash)).total).toBe(60);
      expect((await listFolder(h, junk)).total).toBe(40);

      expect(await h.mail.handle('mail:folders:empty', { folderId: trash })).toEqual({ deleted: 60 });
      expect(await h.mail.handle('mail:folders:empty', { folderId: junk })).toEqual({ deleted: 40 });
      expect((await listFolder(h, trash)).total).toBe(0);
      expect((await listFolder(h, junk)).total).toBe(0);
      await waitFor(() => opsLeft(h) === 0, 'expunges pushed', 20_000);
      expect(await serverFolder(u, 'Trash')).toEqual({ total: 0, seen: 0, flagged: 0 });
      expect(await serverFolder(u, 'Junk')).toEqual({ total: 0, seen: 0, flagged: 0 });
      // One EXPUNGE per folder, not one per message.
      expect(commands(tap.lines, /EXPUNGE/i)).toBeLessThanOrEqual(2);
      await expect(h.mail.handle('mail:folders:empty', { folderId: inbox })).rejects.toThrow('Очистить можно только «Корзину» и «Спам».');
      expect(await serverFolder(u, 'INBOX')).toMatchObject({ total: 3 });
    } finally {
      await h.close();
      await tap.close();
    }
  }, 60_000);
});
