/**
 * «Отменить» after «Удалить» (into Trash) and «Переместить»: the messages come back to the
 * folder they left, with their flags, exactly once locally and on the server, whether the
 * queued MOVE was still waiting (offline, or undone at once) or had already run on the server.
 * The token is single-use and expires; deletions for good give none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { addAccount, folderId, imapClient, listFolder, makeService, onServer, opsLeft, startImapTap, stateOf, testMessages as msgs, waitFor, waitSynced, type Harness } from './helpers';
import type { MailSummary } from '../../src-shared/ipc/mail';

const users = Array.from({ length: 5 }, (_, i) => ({ user: `undo${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

beforeAll(async () => {
  dc = await startDovecot({ users });
});
afterAll(async () => {
  await dc?.stop();
});

type Removed = { undoToken: string | null };
const list = async (h: Harness, folder: number): Promise<MailSummary[]> => (await listFolder(h, folder)).items;
const subjects = (l: { subject: string }[]) => l.map((m) => m.subject).sort();
const moves = (lines: string[]) => lines.filter((l) => /UID MOVE/i.test(l)).length;
const newMailEvents = (h: Harness) => h.events.filter((e) => e.name === 'mail:new').length;

describe('mail:undo', () => {
  it('undone while offline: the queued moves are dropped, the rows come back as they were, nothing reaches the server', async () => {
    const u = users[0];
    dc.seedMaildir(u.user, msgs(u.user, 'Заявка', 4));
    const tap = await startImapTap(dc.port);
    const h = makeService({ sync: { initialBackoffMs: 100, maxBackoffMs: 300, pollMs: 60_000 } });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const before = await list(h, inbox);
      const pick = ['Заявка 1', 'Заявка 2'].map((s) => before.find((m) => m.subject === s)!);

      tap.refuse = true;
      tap.dropAll();
      await waitFor(() => ['offline', 'error', 'connecting'].includes(stateOf(h, acc.id)), 'offline');
      await h.mail.handle('mail:messages:setFlags', { ids: [pick[0].id], flagged: true });
      const r = (await h.mail.handle('mail:messages:delete', { ids: pick.map((m) => m.id) })) as Removed & { deleted: number };
      expect(r.deleted).toBe(2);
      expect(r.undoToken).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      expect(subjects(await list(h, inbox))).toEqual(['Заявка 0', 'Заявка 3']);
      expect(opsLeft(h)).toBe(3);

      expect(await h.mail.handle('mail:undo', { token: r.undoToken })).toEqual({ restored: 2 });
      // Back at once, under the same ids, the flag set before the delete kept.
      const back = await list(h, inbox);
      expect(back.map((m) => m.id).sort()).toEqual(before.map((m) => m.id).sort());
      expect(back.find((m) => m.id === pick[0].id)?.flagged).toBe(true);
      expect(((await h.mail.handle('mail:messages:search', { query: 'Заявка 2' })) as { items: MailSummary[] }).items.map((m) => m.id)).toEqual([pick[1].id]);
      // Only the flag change is left to push.
      expect(opsLeft(h)).toBe(1);
      // Single use.
      await expect(h.mail.handle('mail:undo', { token: r.undoToken })).rejects.toMatchObject({ code: 'mail-undo-gone' });

      tap.refuse = false;
      await waitFor(() => opsLeft(h) === 0, 'flag pushed', 15_000);
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      expect(moves(tap.lines)).toBe(0);
      expect(await onServer(dc, u, 'INBOX')).toEqual([
        { subject: 'Заявка 0', flags: [] },
        { subject: 'Заявка 1', flags: ['\\Flagged'] },
        { subject: 'Заявка 2', flags: [] },
        { subject: 'Заявка 3', flags: [] },
      ]);
      expect(await onServer(dc, u, 'Trash')).toEqual([]);
      const after = await list(h, inbox);
      expect(after.map((m) => m.id).sort()).toEqual(before.map((m) => m.id).sort());
    } finally {
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('undone after the server moved them to Trash: moved back, back in INBOX once with their flags, not announced as new', async () => {
    const u = users[1];
    dc.seedMaildir(u.user, msgs(u.user, 'Счёт', 5));
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const trash = await folderId(h, acc.id, 'Trash');
      const before = await list(h, inbox);
      const pick = ['Счёт 0', 'Счёт 2', 'Счёт 4'].map((s) => before.find((m) => m.subject === s)!);
      await h.mail.handle('mail:messages:setFlags', { ids: [pick[0].id], seen: true });
      await h.mail.handle('mail:messages:setFlags', { ids: [pick[1].id], flagged: true });
      const r = (await h.mail.handle('mail:messages:delete', { ids: pick.map((m) => m.id) })) as Removed;
      expect(r.undoToken).toBeTruthy();
      // The MOVE ran and Trash's sync has them.
      await waitFor(async () => opsLeft(h) === 0 && (await list(h, trash)).length === 3, 'moved to Trash and synced', 15_000);
      expect(subjects(await onServer(dc, u, 'Trash'))).toEqual(['Счёт 0', 'Счёт 2', 'Счёт 4']);
      const announced = newMailEvents(h);

      expect(await h.mail.handle('mail:undo', { token: r.undoToken })).toEqual({ restored: 3 });
      // Locally at once: in INBOX under their old ids, gone from Trash.
      expect((await list(h, inbox)).map((m) => m.id).sort()).toEqual(before.map((m) => m.id).sort());
      expect(await list(h, trash)).toEqual([]);
      expect(await onServer(dc, u, 'INBOX')).toEqual([
        { subject: 'Счёт 0', flags: ['\\Seen'] },
        { subject: 'Счёт 1', flags: [] },
        { subject: 'Счёт 2', flags: ['\\Flagged'] },
        { subject: 'Счёт 3', flags: [] },
        { subject: 'Счёт 4', flags: [] },
      ]);
      expect(await onServer(dc, u, 'Trash')).toEqual([]);

      // The sync finds them known: nothing fetched twice, nothing announced.
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      await h.mail.handle('mail:folders:sync', { folderId: trash });
      const after = await list(h, inbox);
      expect(after.map((m) => m.id).sort()).toEqual(before.map((m) => m.id).sort());
      expect(after.map((m) => [m.subject, m.seen, m.flagged]).sort()).toEqual([
        ['Счёт 0', true, false],
        ['Счёт 1', false, false],
        ['Счёт 2', false, true],
        ['Счёт 3', false, false],
        ['Счёт 4', false, false],
      ]);
      expect(await list(h, trash)).toEqual([]);
      expect(newMailEvents(h)).toBe(announced);
      // Local UIDs are the server's.
      const c = await imapClient(dc, u);
      try {
        await c.mailboxOpen('INBOX');
        const server = ((await c.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b);
        const local = (h.db.prepare('SELECT uid FROM mail_messages WHERE folder_id = ? ORDER BY uid').all(inbox) as { uid: number }[]).map((x) => x.uid);
        expect(local).toEqual(server);
      } finally {
        await c.logout().catch(() => undefined);
      }
    } finally {
      await h.close();
    }
  }, 60_000);

  it('undoes a move into another folder, pushed or undone at once, and ends with one copy in the source', async () => {
    const u = users[2];
    dc.seedMaildir(u.user, msgs(u.user, 'Отчёт', 4));
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Отчёты');
    await other.logout();
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const target = await folderId(h, acc.id, 'Отчёты');
      const all = await list(h, inbox);

      // Pushed first.
      const one = all.find((m) => m.subject === 'Отчёт 1')!;
      const r1 = (await h.mail.handle('mail:messages:move', { ids: [one.id], folderId: target })) as Removed & { moved: number };
      expect(r1.moved).toBe(1);
      await waitFor(async () => opsLeft(h) === 0 && (await list(h, target)).length === 1, 'moved and synced', 15_000);
      expect(await h.mail.handle('mail:undo', { token: r1.undoToken })).toEqual({ restored: 1 });

      // Undone right away: whichever way the race with the push goes.
      const two = all.find((m) => m.subject === 'Отчёт 3')!;
      const r2 = (await h.mail.handle('mail:messages:move', { ids: [two.id], folderId: target })) as Removed;
      expect(await h.mail.handle('mail:undo', { token: r2.undoToken })).toEqual({ restored: 1 });

      await waitFor(() => opsLeft(h) === 0, 'queue empty', 15_000);
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      await h.mail.handle('mail:folders:sync', { folderId: target });
      expect(subjects(await onServer(dc, u, 'INBOX'))).toEqual(['Отчёт 0', 'Отчёт 1', 'Отчёт 2', 'Отчёт 3']);
      expect(await onServer(dc, u, 'Отчёты')).toEqual([]);
      const back = await list(h, inbox);
      expect(back.map((m) => m.id).sort()).toEqual(all.map((m) => m.id).sort());
      expect(await list(h, target)).toEqual([]);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('the token expires, is checked by the contract, and a deletion for good gives none', async () => {
    const u = users[3];
    dc.seedMaildir(u.user, msgs(u.user, 'Письмо', 3));
    const h = makeService({ undoTtlMs: 300 });
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const trash = await folderId(h, acc.id, 'Trash');
      const [a, b] = await list(h, inbox);

      const r = (await h.mail.handle('mail:messages:delete', { ids: [a.id] })) as Removed;
      expect(r.undoToken).toBeTruthy();
      await new Promise((res) => setTimeout(res, 500));
      await expect(h.mail.handle('mail:undo', { token: r.undoToken })).rejects.toMatchObject({ code: 'mail-undo-gone' });
      await expect(h.mail.handle('mail:undo', { token: 'not a token' })).rejects.toMatchObject({ code: 'mail-bad-args' });
      await expect(h.mail.handle('mail:undo', { token: 'A'.repeat(24) })).rejects.toMatchObject({ code: 'mail-undo-gone' });
      expect(subjects(await list(h, inbox))).not.toContain(a.subject);

      // From Trash it is deleted for good: no «Отменить».
      await waitFor(async () => (await list(h, trash)).length === 1, 'in Trash', 15_000);
      const inTrash = (await list(h, trash))[0];
      const forever = (await h.mail.handle('mail:messages:delete', { ids: [inTrash.id] })) as Removed & { deleted: number };
      expect(forever).toEqual({ deleted: 1, undoToken: null });
      // «Очистить корзину» neither (it answers its count only).
      await h.mail.handle('mail:messages:delete', { ids: [b.id] });
      await waitFor(async () => (await list(h, trash)).length === 1, 'the second in Trash', 15_000);
      expect(await h.mail.handle('mail:folders:empty', { folderId: trash })).toEqual({ deleted: 1 });
    } finally {
      await h.close();
    }
  }, 60_000);
});
