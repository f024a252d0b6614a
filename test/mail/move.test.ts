/**
 * «Переместить в папку»: messages leave the source folder at once, reach the target on the
 * server through the queued MOVE (pushed once, also after an offline spell and a restart, and
 * when the connection dies right after the MOVE), keep their flags, and appear in the target
 * once; moving across accounts or into the same folder is refused in Russian.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailService } from '../../src-main/core/mail';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { addAccount, folderId, imapClient, listFolder, makeService, startImapTap, stateOf, testMessages as msgs, waitFor, waitSynced, type Harness, onServer, opsLeft } from './helpers';
import type { MailSummary } from '../../src-shared/ipc/mail';

const users = Array.from({ length: 4 }, (_, i) => ({ user: `mv${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

beforeAll(async () => {
  dc = await startDovecot({ users });
});
afterAll(async () => {
  await dc?.stop();
});

const list = async (h: Harness, folder: number): Promise<MailSummary[]> => (await listFolder(h, folder)).items;
const subjects = (l: MailSummary[]) => l.map((m) => m.subject).sort();
const moves = (lines: string[]) => lines.filter((l) => /UID MOVE/i.test(l)).length;

describe('mail:messages:move', () => {
  it('moves two messages: gone from INBOX at once, in the target on the server with flags, once locally', async () => {
    const u = users[0];
    dc.seedMaildir(u.user, msgs(u.user, 'Тендер', 5));
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Проекты');
    await other.mailboxCreate('Проекты/Мост');
    await other.logout();
    const tap = await startImapTap(dc.port);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const target = await folderId(h, acc.id, 'Проекты/Мост');
      const by = async (s: string) => (await list(h, inbox)).find((m) => m.subject === s)!;
      const a = await by('Тендер 1');
      const b = await by('Тендер 3');
      // Flag changes queued just before the move must reach the moved copies.
      await h.mail.handle('mail:messages:setFlags', { ids: [a.id], flagged: true });
      await h.mail.handle('mail:messages:setFlags', { ids: [b.id], seen: true });

      const r = await h.mail.handle('mail:messages:move', { ids: [a.id, b.id], folderId: target });
      expect(r).toMatchObject({ moved: 2 });
      // At once, before anything reached the server.
      expect(subjects(await list(h, inbox))).toEqual(['Тендер 0', 'Тендер 2', 'Тендер 4']);
      expect(((await h.mail.handle('mail:messages:search', { query: 'Тендер 1' })) as { items: MailSummary[] }).items.map((m) => m.folderId)).not.toContain(inbox);

      // The target gets them from its own sync after the push, without being asked again.
      await waitFor(async () => (await list(h, target)).length === 2, 'moved mail in the target', 15_000);
      expect(opsLeft(h)).toBe(0);
      expect(await onServer(dc, u, 'Проекты/Мост')).toEqual([
        { subject: 'Тендер 1', flags: ['\\Flagged'] },
        { subject: 'Тендер 3', flags: ['\\Seen'] },
      ]);
      expect((await onServer(dc, u, 'INBOX')).map((m) => m.subject)).toEqual(['Тендер 0', 'Тендер 2', 'Тендер 4']);

      // Syncing the target and the account again changes nothing: no duplicates, nothing back.
      await h.mail.handle('mail:folders:sync', { folderId: target });
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      const t = await list(h, target);
      expect(t.map((m) => [m.subject, m.flagged, m.seen]).sort()).toEqual([
        ['Тендер 1', true, false],
        ['Тендер 3', false, true],
      ]);
      expect(subjects(await list(h, inbox))).toEqual(['Тендер 0', 'Тендер 2', 'Тендер 4']);
      const found = ((await h.mail.handle('mail:messages:search', { query: 'Тендер 3' })) as { items: MailSummary[] }).items;
      expect(found.map((m) => m.folderId)).toEqual([target]);
      const fv = ((await h.mail.handle('mail:folders:list', { accountId: acc.id })) as { id: number; total: number }[]).find((f) => f.id === target)!;
      expect(fv.total).toBe(2);
      // Pushed once, both messages in one UID MOVE.
      expect(moves(tap.lines)).toBe(1);
    } finally {
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('moved while the server is unreachable: kept across a restart, applied once when back (even cut right after MOVE)', async () => {
    const u = users[1];
    dc.seedMaildir(u.user, msgs(u.user, 'Смета', 4));
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Архив проектов');
    await other.logout();
    const tap = await startImapTap(dc.port);
    const h = makeService({ sync: { initialBackoffMs: 100, maxBackoffMs: 300, pollMs: 60_000 } });
    let second: ReturnType<typeof createMailService> | null = null;
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const target = await folderId(h, acc.id, 'Архив проектов');
      const items = await list(h, inbox);
      const ids = items.filter((m) => m.subject === 'Смета 0' || m.subject === 'Смета 2').map((m) => m.id);

      tap.refuse = true;
      tap.dropAll();
      await waitFor(() => ['offline', 'error', 'connecting'].includes(stateOf(h, acc.id)), 'offline');
      await h.mail.handle('mail:messages:move', { ids, folderId: target });
      expect(subjects(await list(h, inbox))).toEqual(['Смета 1', 'Смета 3']);
      expect(opsLeft(h)).toBe(2);
      await new Promise((r) => setTimeout(r, 500));
      expect(moves(tap.lines)).toBe(0);

      // The app is closed while offline and started again: the queued moves are still there.
      await h.mail.stop();
      expect(opsLeft(h)).toBe(2);
      second = createMailService({
        db: h.db,
        secretBox: h.box,
        dataDir: h.dir,
        timeouts: { connectMs: 5_000, greetingMs: 3_000, socketMs: 60_000 },
        sync: { initialBackoffMs: 100, maxBackoffMs: 300, pollMs: 60_000 },
      });
      // Back online; the first MOVE's connection dies right after the server got it.
      tap.cutAfter = /UID MOVE/i;
      tap.refuse = false;
      await waitFor(() => tap.cuts === 1, 'cut during MOVE', 15_000);
      await waitFor(() => opsLeft(h) === 0, 'moves pushed', 15_000);
      const s2 = second;
      await waitFor(async () => ((await s2.handle('mail:messages:list', { folderId: target, offset: 0, limit: 50 })) as { items: MailSummary[] }).items.length === 2, 'moved mail in the target', 15_000);
      await s2.handle('mail:accounts:syncNow', { id: acc.id });
      await s2.handle('mail:folders:sync', { folderId: target });

      expect((await onServer(dc, u, 'Архив проектов')).map((m) => m.subject)).toEqual(['Смета 0', 'Смета 2']);
      expect((await onServer(dc, u, 'INBOX')).map((m) => m.subject)).toEqual(['Смета 1', 'Смета 3']);
      const local = (f: number) => s2.handle('mail:messages:list', { folderId: f, offset: 0, limit: 50 }) as Promise<{ items: MailSummary[] }>;
      expect(subjects((await local(target)).items)).toEqual(['Смета 0', 'Смета 2']);
      expect(subjects((await local(inbox)).items)).toEqual(['Смета 1', 'Смета 3']);
    } finally {
      await second?.stop();
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('refuses moving across accounts, into the same folder or into a missing folder, and changes nothing', async () => {
    const [u, w] = [users[2], users[3]];
    dc.seedMaildir(u.user, msgs(u.user, 'Договор', 2));
    dc.seedMaildir(w.user, msgs(w.user, 'Чужое', 1));
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      const acc2 = await addAccount(h, dc, null, w);
      await waitSynced(h, acc.id);
      await waitSynced(h, acc2.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const otherInbox = await folderId(h, acc2.id, 'INBOX');
      const ids = (await list(h, inbox)).map((m) => m.id);
      expect(ids.length).toBe(2);

      await expect(h.mail.handle('mail:messages:move', { ids, folderId: otherInbox })).rejects.toMatchObject({
        code: 'mail-move-account',
        message: expect.stringContaining('того же почтового ящика'),
      });
      await expect(h.mail.handle('mail:messages:move', { ids, folderId: inbox })).rejects.toMatchObject({
        code: 'mail-move-same',
        message: expect.stringContaining('уже лежит в папке «Входящие»'),
      });
      await expect(h.mail.handle('mail:messages:move', { ids, folderId: 999_999 })).rejects.toMatchObject({ code: 'mail-no-folder' });
      await expect(h.mail.handle('mail:messages:move', { ids: [], folderId: inbox })).rejects.toMatchObject({ code: 'mail-bad-args' });
      expect((await list(h, inbox)).length).toBe(2);
      expect((await list(h, otherInbox)).length).toBe(1);
      expect(opsLeft(h)).toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);
});
