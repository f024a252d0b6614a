/**
 * How sync follows changes made on the server by other clients (webmail, a phone) and how the
 * app's own changes survive a dropped connection: expunges, flags and moves done elsewhere,
 * Cyrillic folders created, renamed and deleted elsewhere, special-use folders known only by
 * their Russian names, a mailbox recreated under the same name (new UIDVALIDITY), mail arriving
 * mid-sync, incremental sync of a big folder, and delete / flag while offline or cut mid-command.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import {
  addAccount,
  envelopeUids,
  folderId,
  folderViews as folders,
  imapClient,
  listFolder as list,
  makeService,
  opsLeft,
  searchMail as search,
  startImapTap,
  stateOf,
  testMessageId as mid,
  testMessages as msgs,
  waitFor,
  waitSynced,
  type Harness,
  type ImapTap,
} from './helpers';
import type { MailSummary } from '../../src-shared/ipc/mail';

const users = Array.from({ length: 10 }, (_, i) => ({ user: `chg${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

beforeAll(async () => {
  dc = await startDovecot({ users });
});
afterAll(async () => {
  await dc?.stop();
});

async function syncNow(h: Harness, id: number): Promise<void> {
  await h.mail.handle('mail:accounts:syncNow', { id });
}

describe('sync follows changes made elsewhere', () => {
  it('expunges, flags and moves by another client show up locally and in search', async () => {
    const u = users[0];
    dc.seedMaildir(u.user, msgs(u.user, 'Заявка', 10));
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Входящие/Проекты');
    dc.seedMaildir(u.user, msgs(u.user, 'Отправка', 3), 'Sent');
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const fl = await folders(h, acc.id);
      const proj = fl.find((f) => f.path === 'Входящие/Проекты');
      expect(proj).toMatchObject({ name: 'Проекты', depth: 1 });
      await h.mail.handle('mail:folders:sync', { folderId: proj!.id });
      const inbox = await folderId(h, acc.id, 'INBOX');
      const sent = await folderId(h, acc.id, 'Sent');
      expect((await list(h, inbox)).total).toBe(10);
      expect((await list(h, sent)).total).toBe(3);

      await other.mailboxOpen('INBOX');
      await other.messageFlagsAdd({ header: { 'message-id': mid(u.user, 'Заявка', 1) } }, ['\\Seen']);
      await other.messageFlagsAdd({ header: { 'message-id': mid(u.user, 'Заявка', 2) } }, ['\\Flagged']);
      await other.messageDelete({ header: { 'message-id': mid(u.user, 'Заявка', 3) } });
      await other.messageMove({ header: { 'message-id': mid(u.user, 'Заявка', 4) } }, 'Входящие/Проекты');
      await other.mailboxOpen('Sent');
      await other.messageDelete({ header: { 'message-id': mid(u.user, 'Отправка', 0) } });
      await other.messageFlagsAdd({ header: { 'message-id': mid(u.user, 'Отправка', 1) } }, ['\\Flagged']);

      // INBOX follows over IDLE without being asked.
      await waitFor(async () => {
        const l = await list(h, inbox);
        const by = (s: string) => l.items.find((m) => m.subject === s);
        return l.total === 8 && !by('Заявка 3') && !by('Заявка 4') && by('Заявка 1')?.seen && by('Заявка 2')?.flagged;
      }, 'INBOX changes over IDLE', 10_000);

      await syncNow(h, acc.id);
      const l = await list(h, inbox);
      expect(l.items.map((m) => m.subject).sort()).toEqual(['Заявка 0', 'Заявка 1', 'Заявка 2', 'Заявка 5', 'Заявка 6', 'Заявка 7', 'Заявка 8', 'Заявка 9']);
      const p = await list(h, proj!.id);
      expect(p.items.map((m) => m.subject)).toEqual(['Заявка 4']);
      const s = await list(h, sent);
      expect(s.items.map((m) => m.subject).sort()).toEqual(['Отправка 1', 'Отправка 2']);
      expect(s.items.find((m) => m.subject === 'Отправка 1')?.flagged).toBe(true);
      expect(await search(h, 'Заявка 3')).toEqual([]);
      expect((await search(h, 'Отправка 0')).length).toBe(0);
      const moved = await search(h, 'Заявка 4');
      expect(moved.map((m) => m.folderId)).toEqual([proj!.id]);
      const fv = (await folders(h, acc.id)).find((f) => f.id === inbox)!;
      expect(fv.total).toBe(8);
      expect(fv.unread).toBe(7);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
    }
  }, 60_000);

  it('follows folders created, renamed and deleted elsewhere', async () => {
    const u = users[1];
    dc.seedMaildir(u.user, msgs(u.user, 'Входящее', 3));
    const other = await imapClient(dc, u);
    const h = makeService({ sync: { initialBackoffMs: 200, maxBackoffMs: 1000, pollMs: 1_500 } });
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);

      await other.mailboxCreate('Отчёты');
      await other.mailboxCreate('Отчёты/2024');
      await dc.deliver(u.user, rawMessage({ subject: 'Отчёт за май', text: 'квартальный отчёт', messageId: '<report@test>' }), 'Отчёты');
      await syncNow(h, acc.id);
      let fl = await folders(h, acc.id);
      expect(fl.find((f) => f.path === 'Отчёты')).toMatchObject({ name: 'Отчёты', depth: 0 });
      expect(fl.find((f) => f.path === 'Отчёты/2024')).toMatchObject({ name: '2024', depth: 1 });
      const rep = fl.find((f) => f.path === 'Отчёты')!.id;
      await h.mail.handle('mail:folders:sync', { folderId: rep });
      expect((await list(h, rep)).items.map((m) => m.subject)).toEqual(['Отчёт за май']);

      await other.mailboxRename('Отчёты', 'Отчёты (архив)');
      await syncNow(h, acc.id);
      fl = await folders(h, acc.id);
      expect(fl.map((f) => f.path)).not.toContain('Отчёты');
      expect(fl.map((f) => f.path)).toEqual(expect.arrayContaining(['Отчёты (архив)', 'Отчёты (архив)/2024']));
      const arch = fl.find((f) => f.path === 'Отчёты (архив)')!;
      expect(arch).toMatchObject({ name: 'Отчёты (архив)', depth: 0 });
      await h.mail.handle('mail:folders:sync', { folderId: arch.id });
      expect((await list(h, arch.id)).items.map((m) => m.subject)).toEqual(['Отчёт за май']);
      expect((await search(h, 'квартальный')).map((m) => m.folderId)).toEqual([arch.id]);

      // Deleted elsewhere while enabled for sync: the next poll drops it with its mail, and the
      // rest keeps syncing.
      h.events.length = 0;
      await other.mailboxDelete('Отчёты (архив)/2024');
      await other.mailboxDelete('Отчёты (архив)');
      await dc.deliver(u.user, rawMessage({ subject: 'После удаления папки', messageId: '<after-del@test>' }));
      const inbox = await folderId(h, acc.id, 'INBOX');
      await waitFor(async () => !(await folders(h, acc.id)).some((f) => f.path.startsWith('Отчёты')), 'folders gone', 10_000);
      await waitFor(async () => (await list(h, inbox)).total === 4, 'INBOX mail', 10_000);
      expect(await search(h, 'квартальный')).toEqual([]);
      const states = h.events.filter((e) => e.name === 'mail:state').map((e) => (e.payload as { state: { state: string } }).state.state);
      expect(states.filter((s) => s === 'error' || s === 'offline')).toEqual([]);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
    }
  }, 60_000);

  it('rebuilds a folder recreated elsewhere under the same name (new UIDVALIDITY), no ghosts', async () => {
    const u = users[2];
    dc.seedMaildir(u.user, msgs(u.user, 'Вход', 2));
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Проекты');
    for (const m of msgs(u.user, 'Старое', 5)) await other.append('Проекты', m);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const proj = await folderId(h, acc.id, 'Проекты');
      await h.mail.handle('mail:folders:sync', { folderId: proj });
      expect((await list(h, proj)).total).toBe(5);
      const before = h.db.prepare('SELECT uidvalidity FROM mail_folders WHERE id = ?').get(proj) as { uidvalidity: number };

      await other.mailboxDelete('Проекты');
      await other.mailboxCreate('Проекты');
      for (const m of msgs(u.user, 'Новое', 3)) await other.append('Проекты', m);
      const st = await other.status('Проекты', { uidValidity: true });
      expect(st && Number(st.uidValidity)).not.toBe(before.uidvalidity);

      await syncNow(h, acc.id);
      const pid = await folderId(h, acc.id, 'Проекты');
      await h.mail.handle('mail:folders:sync', { folderId: pid });
      const l = await list(h, pid);
      expect(l.items.map((m) => m.subject).sort()).toEqual(['Новое 0', 'Новое 1', 'Новое 2']);
      expect(await search(h, 'Старое')).toEqual([]);
      expect((await search(h, 'Новое')).length).toBe(3);

      // INBOX renumbered while the app is running and idling on it.
      const ib = await folderId(h, acc.id, 'INBOX');
      const ibv = h.db.prepare('SELECT uidvalidity FROM mail_folders WHERE id = ?').get(ib) as { uidvalidity: number };
      await dc.changeUidValidity(u.user, 'INBOX', ibv.uidvalidity + 77);
      await syncNow(h, acc.id);
      await waitFor(() => (h.db.prepare('SELECT uidvalidity FROM mail_folders WHERE id = ?').get(ib) as { uidvalidity: number }).uidvalidity === ibv.uidvalidity + 77, 'new INBOX uidvalidity', 10_000);
      await waitSynced(h, acc.id);
      const n = h.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT message_id) AS d FROM mail_messages WHERE folder_id = ?').get(ib);
      expect(n).toEqual({ n: 2, d: 2 });
      expect((await search(h, 'Вход')).length).toBe(2);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
    }
  }, 60_000);

  it('picks up messages appended while the first sync runs, once each', async () => {
    const u = users[3];
    dc.seedMaildir(u.user, msgs(u.user, 'Пачка', 1500));
    const other = await imapClient(dc, u);
    const h = makeService({ sync: { initialBackoffMs: 200, maxBackoffMs: 1000, pollMs: 60_000, batchSize: 100 } });
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitFor(() => h.events.some((e) => e.name === 'mail:state' && (e.payload as { state: { state: string; done?: number } }).state.state === 'syncing'), 'syncing');
      for (const m of msgs(u.user, 'Вдогонку', 30)) await other.append('INBOX', m);
      await dc.deliver(u.user, rawMessage({ subject: 'Ещё одно', messageId: '<one-more@test>' }), 'Sent');
      const inbox = await folderId(h, acc.id, 'INBOX');
      await waitFor(async () => (await list(h, inbox)).total === 1530, 'all 1530', 30_000);
      await waitSynced(h, acc.id);
      const n = h.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT uid) AS u, COUNT(DISTINCT message_id) AS d FROM mail_messages WHERE folder_id = ?').get(inbox);
      expect(n).toEqual({ n: 1530, u: 1530, d: 1530 });
      expect((await search(h, 'Вдогонку')).length).toBe(30);
      await syncNow(h, acc.id);
      const sent = await folderId(h, acc.id, 'Sent');
      expect((await list(h, sent)).items.map((m) => m.subject)).toEqual(['Ещё одно']);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
    }
  }, 90_000);

  it('syncs a big folder incrementally: only new messages are fetched', async () => {
    const u = users[4];
    dc.seedMaildir(u.user, msgs(u.user, 'Архив', 3000));
    const tap = await startImapTap(dc.port);
    const h = makeService({ sync: { initialBackoffMs: 200, maxBackoffMs: 1000, pollMs: 60_000, batchSize: 250 } });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id, 60_000);
      const inbox = await folderId(h, acc.id, 'INBOX');
      expect((await list(h, inbox)).total).toBe(3000);
      expect(envelopeUids(tap.lines)).toBe(3000);
      tap.lines.length = 0;

      for (let i = 0; i < 5; i++) await dc.deliver(u.user, rawMessage({ subject: `Новое ${i}`, messageId: `<new${i}@test>` }));
      await waitFor(async () => (await list(h, inbox)).total === 3005, '3005', 15_000);
      await syncNow(h, acc.id);
      await syncNow(h, acc.id);
      expect(envelopeUids(tap.lines)).toBe(5);
      expect(tap.lines.filter((l) => /FETCH 1:\* \(UID FLAGS\)$/i.test(l))).toEqual([]);
    } finally {
      await h.close();
      await tap.close();
    }
  }, 90_000);

  it('applies deletes, moves and flags made offline once after reconnecting, even when cut mid-command', async () => {
    // The first MOVE is cut right after the server got it.
    await offlineChangesPushedOnce(5, 'Офлайн', async (tap) => {
      tap.cutAfter = /UID MOVE/i;
      tap.refuse = false;
      await waitFor(() => tap.cuts === 1, 'cut during MOVE', 15_000);
    });
  }, 60_000);
});


describe('regressions: queued changes, vanished folders, delete during sync', () => {
  it('keeps an offline change queued when the connection dies before the server got it', async () => {
    // The first STORE and later the MOVE die on the way to the server.
    await offlineChangesPushedOnce(6, 'Обрыв', async (tap) => {
      tap.dropBefore = [/UID STORE/i, /UID MOVE/i];
      tap.refuse = false;
      await waitFor(() => tap.dropBefore.length === 0, 'both cuts', 15_000);
    });
  }, 60_000);

  it('a folder deleted or renamed elsewhere does not stall the account', async () => {
    const u = users[7];
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Сметы');
    await other.mailboxCreate('Договоры');
    for (const m of msgs(u.user, 'Смета', 2)) await other.append('Сметы', m);
    for (const m of msgs(u.user, 'Договор', 2)) await other.append('Договоры', m);
    const tap = await startImapTap(dc.port);
    const h = makeService({ sync: { initialBackoffMs: 100, maxBackoffMs: 300, pollMs: 60_000 } });
    const bad = () =>
      h.events
        .filter((e) => e.name === 'mail:state')
        .map((e) => (e.payload as { state: { state: string; reason?: string } }).state)
        .filter((s) => s.state === 'offline' || s.state === 'error');
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const smety = await folderId(h, acc.id, 'Сметы');
      const dogovory = await folderId(h, acc.id, 'Договоры');
      await h.mail.handle('mail:folders:sync', { folderId: smety });
      await h.mail.handle('mail:folders:sync', { folderId: dogovory });
      expect((await list(h, smety)).total).toBe(2);
      const inbox = await folderId(h, acc.id, 'INBOX');
      // Cyrillic names travel in modified UTF-7.
      expect(tap.lines.some((l) => l.endsWith('SELECT "&BCEEPAQ1BEIESw-"'))).toBe(true);

      // Deleted in webmail, then opened in the app.
      await other.mailboxDelete('Сметы');
      h.events.length = 0;
      await h.mail.handle('mail:folders:sync', { folderId: smety });
      await dc.deliver(u.user, rawMessage({ subject: 'Новое после удаления', messageId: '<after-del@test>' }));
      await waitFor(async () => (await list(h, inbox)).items.some((m) => m.subject === 'Новое после удаления'), 'INBOX mail', 10_000);
      await waitFor(async () => !(await folders(h, acc.id)).some((f) => f.path === 'Сметы'), 'Сметы gone', 5_000);
      expect(await search(h, 'Смета')).toEqual([]);
      await waitSynced(h, acc.id);
      expect(bad()).toEqual([]);

      // Renamed in webmail while the app was offline with a change queued in it.
      tap.refuse = true;
      tap.dropAll();
      await waitFor(() => ['offline', 'error', 'connecting'].includes(stateOf(h, acc.id)), 'offline');
      const d0 = (await list(h, dogovory)).items[0];
      await h.mail.handle('mail:messages:setFlags', { ids: [d0.id], flagged: true });
      await other.mailboxRename('Договоры', 'Договоры 2024');
      await waitFor(() => stateOf(h, acc.id) === 'offline', 'offline again');
      h.events.length = 0;
      tap.refuse = false;
      await waitFor(async () => (await folders(h, acc.id)).some((f) => f.path === 'Договоры 2024'), 'renamed folder listed', 10_000);
      await waitSynced(h, acc.id);
      expect((await folders(h, acc.id)).map((f) => f.path)).not.toContain('Договоры');
      expect(opsLeft(h)).toBe(0);
      expect(bad()).toEqual([]);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('a message deleted in the app while the sync reads its folder does not come back', async () => {
    const u = users[8];
    dc.seedMaildir(u.user, msgs(u.user, 'Гонка', 5));
    const tap = await startImapTap(dc.port);
    const h = makeService();
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const inbox = await folderId(h, acc.id, 'INBOX');
      const victim = (await list(h, inbox)).items.find((m) => m.subject === 'Гонка 2')!;
      const ghosts: string[] = [];
      h.mail.on('mail:changed', () => {
        const n = h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id = ? AND subject = ?').get(inbox, 'Гонка 2') as { n: number };
        if (n.n) ghosts.push('back in INBOX');
      });

      // New mail makes the sync list INBOX's UIDs; the user deletes a message meanwhile.
      tap.holdOn = /UID SEARCH/i;
      await dc.deliver(u.user, rawMessage({ subject: 'Свежее', messageId: '<race-fresh@test>' }));
      await waitFor(() => tap.held, 'SEARCH sent', 10_000);
      await h.mail.handle('mail:messages:delete', { ids: [victim.id] });
      tap.release();

      await waitFor(async () => (await list(h, inbox)).items.some((m) => m.subject === 'Свежее'), 'fresh mail', 10_000);
      await syncNow(h, acc.id);
      const notified = h.events
        .filter((e) => e.name === 'mail:new')
        .flatMap((e) => (e.payload as { messages: MailSummary[] }).messages.map((m) => m.subject));
      expect(notified).toEqual(['Свежее']);
      expect(ghosts).toEqual([]);
      expect((await list(h, inbox)).items.map((m) => m.subject).sort()).toEqual(['Гонка 0', 'Гонка 1', 'Гонка 3', 'Гонка 4', 'Свежее']);
    } finally {
      await h.close();
      await tap.close();
    }
  }, 60_000);
});

describe('server without SPECIAL-USE, Russian folder names, "." delimiter', () => {
  let dc2: Dovecot;
  const u = { user: 'yandex@example.test', pass: 'ya' };
  beforeAll(async () => {
    dc2 = await startDovecot({ users: [u] });
    // As Yandex / Mail.ru: no special-use flags, Russian names, "." as the hierarchy delimiter.
    const conf = readFileSync(dc2.conf, 'utf8')
      .replace(/\n  mailbox \w+ \{[^}]*\}/g, '')
      .replace('separator = /', 'separator = .');
    writeFileSync(dc2.conf, conf);
    await dc2.doveadm(['reload']);
    await new Promise((r) => setTimeout(r, 500));
    for (const name of ['Отправленные', 'Черновики', 'Удаленные', 'Спам', 'Входящие', 'Входящие.Проекты', 'Входящие.Отправленные']) {
      await dc2.doveadm(['mailbox', 'create', '-u', u.user, name]);
    }
  });
  afterAll(async () => {
    await dc2?.stop();
  });

  it('recognises Sent, Drafts, Trash and Junk by their Russian names; nested folders by "."', async () => {
    await dc2.deliver(u.user, rawMessage({ subject: 'Входящее 1', messageId: '<ya-in1@test>' }));
    await dc2.deliver(u.user, rawMessage({ subject: 'Отправленное 1', messageId: '<ya-sent1@test>' }), 'Отправленные');
    await dc2.deliver(u.user, rawMessage({ subject: 'Проектное 1', messageId: '<ya-proj1@test>' }), 'Входящие.Проекты');
    const h = makeService();
    try {
      const acc = await addAccount(h, dc2, null, u);
      await waitSynced(h, acc.id);
      const fl = await folders(h, acc.id);
      const su = (p: string) => fl.find((f) => f.path === p)?.specialUse;
      expect(su('Отправленные')).toBe('\\Sent');
      expect(su('Черновики')).toBe('\\Drafts');
      expect(su('Удаленные')).toBe('\\Trash');
      expect(su('Спам')).toBe('\\Junk');
      expect(su('Входящие.Отправленные')).toBeNull();
      expect(fl.find((f) => f.path === 'Входящие.Проекты')).toMatchObject({ name: 'Проекты', depth: 1 });
      expect(fl.find((f) => f.path === 'Отправленные')?.syncEnabled).toBe(true);
      const sent = await folderId(h, acc.id, 'Отправленные');
      expect((await list(h, sent)).items.map((m) => m.subject)).toEqual(['Отправленное 1']);
      const proj = await folderId(h, acc.id, 'Входящие.Проекты');
      await h.mail.handle('mail:folders:sync', { folderId: proj });
      expect((await list(h, proj)).items.map((m) => m.subject)).toEqual(['Проектное 1']);

      // Deleting goes to «Удаленные».
      const inbox = await folderId(h, acc.id, 'INBOX');
      const m = (await list(h, inbox)).items[0];
      await h.mail.handle('mail:messages:delete', { ids: [m.id] });
      const trash = await folderId(h, acc.id, 'Удаленные');
      await waitFor(async () => (await list(h, trash)).total === 1, 'in Удаленные', 10_000);
      const other = await imapClient(dc2, u);
      try {
        const st = await other.status('Удаленные', { messages: true });
        expect(st && st.messages).toBe(1);
      } finally {
        await other.logout().catch(() => undefined);
      }
    } finally {
      await h.close();
    }
  }, 60_000);
});

/**
 * Flags two messages and deletes a third while the server cannot be reached, then lets the
 * connection come back the way `reconnect` says (cut mid-command): every change reaches the
 * server once, and nothing is reverted or comes back locally.
 */
async function offlineChangesPushedOnce(userIndex: number, word: string, reconnect: (tap: ImapTap) => Promise<void>): Promise<void> {
  const u = users[userIndex];
  dc.seedMaildir(u.user, msgs(u.user, word, 8));
  const tap = await startImapTap(dc.port);
  const other = await imapClient(dc, u);
  const h = makeService({ sync: { initialBackoffMs: 100, maxBackoffMs: 300, pollMs: 60_000 } });
  try {
    const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
    await waitSynced(h, acc.id);
    const inbox = await folderId(h, acc.id, 'INBOX');
    const trash = await folderId(h, acc.id, 'Trash');
    const by = async (s: string) => (await list(h, inbox)).items.find((m) => m.subject === s);

    tap.refuse = true;
    tap.dropAll();
    await waitFor(() => ['offline', 'error', 'connecting'].includes(stateOf(h, acc.id)), 'offline');
    await h.mail.handle('mail:messages:setFlags', { ids: [(await by(`${word} 1`))!.id], flagged: true });
    await h.mail.handle('mail:messages:setFlags', { ids: [(await by(`${word} 2`))!.id], seen: true });
    await h.mail.handle('mail:messages:delete', { ids: [(await by(`${word} 3`))!.id] });
    expect((await list(h, inbox)).total).toBe(7);

    await reconnect(tap);
    await waitFor(() => opsLeft(h) === 0, 'ops pushed', 15_000);
    await syncNow(h, acc.id);
    await h.mail.handle('mail:folders:sync', { folderId: trash });

    await other.mailboxOpen('INBOX');
    const srv = await other.fetchAll('1:*', { flags: true, envelope: true });
    const flagsOf = (s: string) => srv.find((m) => m.envelope?.subject === s)?.flags;
    expect(srv.map((m) => m.envelope?.subject).sort()).toEqual([0, 1, 2, 4, 5, 6, 7].map((i) => `${word} ${i}`));
    expect(flagsOf(`${word} 1`)?.has('\\Flagged')).toBe(true);
    expect(flagsOf(`${word} 2`)?.has('\\Seen')).toBe(true);
    await other.mailboxOpen('Trash');
    expect((await other.fetchAll('1:*', { envelope: true })).map((m) => m.envelope?.subject)).toEqual([`${word} 3`]);
    // And locally: nothing reverted, nothing back, the deleted one in Trash once.
    expect((await list(h, inbox)).total).toBe(7);
    expect((await by(`${word} 1`))?.flagged).toBe(true);
    expect((await by(`${word} 2`))?.seen).toBe(true);
    expect(await by(`${word} 3`)).toBeUndefined();
    expect((await list(h, trash)).items.map((m) => m.subject)).toEqual([`${word} 3`]);
    expect((await search(h, `${word} 3`)).map((m) => m.folderId)).toEqual([trash]);
  } finally {
    await other.logout().catch(() => undefined);
    await h.close();
    await tap.close();
  }
}
