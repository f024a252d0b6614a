/**
 * Folder management against the real Dovecot: «Новая папка…» (also inside another folder),
 * «Переименовать…» (subfolders and messages follow, nothing is downloaded again, a later sync
 * duplicates nothing), «Удалить папку» (with its subfolders, counted by the server first; mail
 * and search index gone here and on the server), and the refusals: INBOX and system folders,
 * names taken or not allowed, and an account without its server (nothing changes anywhere).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailFolderDeletePreview, MailFolderView } from '../../src-shared/ipc/mail';
import { startDovecot, type Dovecot } from '../support/dovecot';
import {
  addAccount,
  envelopeUids,
  folderId,
  folderViews as folders,
  imapClient,
  listFolder as list,
  makeService,
  searchMail as search,
  startImapTap,
  stateOf,
  testMessages as msgs,
  waitFor,
  waitSynced,
  type Harness,
} from './helpers';

const users = Array.from({ length: 4 }, (_, i) => ({ user: `fm${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

beforeAll(async () => {
  dc = await startDovecot({ users });
});
afterAll(async () => {
  await dc?.stop();
});

const syncOpts = { initialBackoffMs: 100, maxBackoffMs: 300, pollMs: 60_000, folderListMs: 60_000 };

/** Paths another IMAP client sees (selectable ones). */
async function serverPaths(u: { user: string; pass: string }): Promise<string[]> {
  const c = await imapClient(dc, u);
  try {
    return (await c.list()).filter((l) => !l.flags.has('\\Noselect') && !l.flags.has('\\NonExistent')).map((l) => l.path).sort();
  } finally {
    await c.logout().catch(() => undefined);
  }
}

async function paths(h: Harness, accountId: number): Promise<string[]> {
  return (await folders(h, accountId)).map((f) => f.path).sort();
}

function messageRows(h: Harness, folder: number): { id: number; uid: number; subject: string }[] {
  return h.db.prepare('SELECT id, uid, subject FROM mail_messages WHERE folder_id = ? ORDER BY uid').all(folder) as { id: number; uid: number; subject: string }[];
}

/** The Russian message a request is refused with. */
async function refusal(h: Harness, name: string, args: unknown): Promise<{ code: string; message: string }> {
  try {
    await h.mail.handle(name, args);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error(`${name} was not refused`);
}

describe('«Новая папка…»', () => {
  it('creates at the top and inside another folder, on the server and here, and a sync keeps them as they are', async () => {
    const u = users[0];
    const h = makeService({ sync: syncOpts });
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      h.events.length = 0;

      const top = (await h.mail.handle('mail:folders:create', { accountId: acc.id, name: '  Тендеры & заявки ' })) as MailFolderView;
      expect(top).toMatchObject({ accountId: acc.id, path: 'Тендеры & заявки', name: 'Тендеры & заявки', depth: 0, specialUse: null, total: 0, syncEnabled: true });
      const nested = (await h.mail.handle('mail:folders:create', { accountId: acc.id, parentId: top.id, name: '2025' })) as MailFolderView;
      expect(nested).toMatchObject({ path: 'Тендеры & заявки/2025', name: '2025', depth: 1 });
      const deeper = (await h.mail.handle('mail:folders:create', { accountId: acc.id, parentId: nested.id, name: 'Март' })) as MailFolderView;
      expect(deeper).toMatchObject({ path: 'Тендеры & заявки/2025/Март', depth: 2 });
      // Inside INBOX too (the server allows it).
      const inInbox = (await h.mail.handle('mail:folders:create', { accountId: acc.id, parentId: await folderId(h, acc.id, 'INBOX'), name: 'От клиентов' })) as MailFolderView;
      expect(inInbox.path).toBe('INBOX/От клиентов');

      // Announced, so the pane refreshes.
      const changed = h.events.filter((e) => e.name === 'mail:changed').map((e) => (e.payload as { folderIds: number[] }).folderIds);
      expect(changed).toEqual([[top.id], [nested.id], [deeper.id], [inInbox.id]]);
      // On the server (modified UTF-7 is imapflow's business: another client reads it back).
      expect(await serverPaths(u)).toEqual(expect.arrayContaining(['Тендеры & заявки', 'Тендеры & заявки/2025', 'Тендеры & заявки/2025/Март', 'INBOX/От клиентов']));

      // The next folder list changes nothing: same ids, no duplicates; mail delivered there comes in.
      const before = await folders(h, acc.id);
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      await dc.deliver(u.user, msgs(u.user, 'Тендер', 1)[0], 'Тендеры & заявки/2025');
      await h.mail.handle('mail:folders:sync', { folderId: nested.id });
      const after = await folders(h, acc.id);
      expect(after.map((f) => [f.id, f.path])).toEqual(before.map((f) => [f.id, f.path]));
      expect((await list(h, nested.id)).items.map((m) => m.subject)).toEqual(['Тендер 0']);
    } finally {
      await h.close();
    }
  }, 30_000);
});

describe('«Переименовать…»', () => {
  it('renames on the server; subfolders and messages follow, nothing is downloaded again, a later sync duplicates nothing', async () => {
    const u = users[1];
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Проекты');
    await other.mailboxCreate('Проекты/Объект 7');
    for (const m of msgs(u.user, 'Проект', 3)) await other.append('Проекты', m);
    for (const m of msgs(u.user, 'Смета объекта', 2)) await other.append('Проекты/Объект 7', m, ['\\Seen']);
    const tap = await startImapTap(dc.port);
    const h = makeService({ sync: syncOpts });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const proj = await folderId(h, acc.id, 'Проекты');
      const obj = await folderId(h, acc.id, 'Проекты/Объект 7');
      await h.mail.handle('mail:folders:sync', { folderId: proj });
      await h.mail.handle('mail:folders:sync', { folderId: obj });
      const rowsProj = messageRows(h, proj);
      const rowsObj = messageRows(h, obj);
      expect(rowsProj).toHaveLength(3);
      expect(rowsObj).toHaveLength(2);
      tap.lines.length = 0;
      h.events.length = 0;

      const renamed = (await h.mail.handle('mail:folders:rename', { folderId: proj, name: 'Проекты 2025' })) as MailFolderView;
      expect(renamed).toMatchObject({ id: proj, path: 'Проекты 2025', name: 'Проекты 2025', depth: 0, total: 3, syncEnabled: true });
      let fl = await folders(h, acc.id);
      expect(fl.find((f) => f.id === obj)).toMatchObject({ path: 'Проекты 2025/Объект 7', name: 'Объект 7', depth: 1, total: 2 });
      expect(fl.some((f) => f.path === 'Проекты' || f.path.startsWith('Проекты/'))).toBe(false);
      const changed = h.events.filter((e) => e.name === 'mail:changed').map((e) => (e.payload as { folderIds: number[] }).folderIds);
      expect(changed[0]?.sort()).toEqual([proj, obj].sort());
      const onServer = await serverPaths(u);
      expect(onServer).toEqual(expect.arrayContaining(['Проекты 2025', 'Проекты 2025/Объект 7']));
      expect(onServer.filter((p) => p === 'Проекты' || p.startsWith('Проекты/'))).toEqual([]);

      // A nested one: only its last part changes.
      const sub = (await h.mail.handle('mail:folders:rename', { folderId: obj, name: 'Объект 7 (сдан)' })) as MailFolderView;
      expect(sub).toMatchObject({ id: obj, path: 'Проекты 2025/Объект 7 (сдан)', depth: 1 });

      // Later syncs: same folders, same messages, nothing fetched again, search still finds them there.
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      await h.mail.handle('mail:folders:sync', { folderId: proj });
      await h.mail.handle('mail:folders:sync', { folderId: obj });
      fl = await folders(h, acc.id);
      expect(fl.filter((f) => f.path.startsWith('Проекты')).map((f) => [f.id, f.path]).sort()).toEqual(
        [
          [proj, 'Проекты 2025'],
          [obj, 'Проекты 2025/Объект 7 (сдан)'],
        ].sort(),
      );
      expect(messageRows(h, proj)).toEqual(rowsProj);
      expect(messageRows(h, obj)).toEqual(rowsObj);
      expect(envelopeUids(tap.lines)).toBe(0);
      expect((await search(h, 'Смета объекта')).map((m) => m.folderId)).toEqual([obj, obj]);
      // Mail that arrives there later comes in once.
      await dc.deliver(u.user, msgs(u.user, 'Новый проект', 1)[0], 'Проекты 2025');
      await h.mail.handle('mail:folders:sync', { folderId: proj });
      expect((await list(h, proj)).total).toBe(4);
      expect(envelopeUids(tap.lines)).toBe(1);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
      await tap.close();
    }
  }, 30_000);
});

describe('«Удалить папку»', () => {
  it('counts on the server first, then deletes the folder with its subfolders: mail and search index gone here and there', async () => {
    const u = users[2];
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Старое');
    await other.mailboxCreate('Старое/2019');
    await other.mailboxCreate('Старое/2019/Акты');
    for (const m of msgs(u.user, 'Старый счёт', 4)) await other.append('Старое', m);
    for (const m of msgs(u.user, 'Акт сверки', 3)) await other.append('Старое/2019/Акты', m);
    await other.mailboxCreate('Старое-2');
    await other.logout();
    const h = makeService({ sync: syncOpts });
    try {
      const acc = await addAccount(h, dc, null, u);
      await waitSynced(h, acc.id);
      const old = await folderId(h, acc.id, 'Старое');
      const y2019 = await folderId(h, acc.id, 'Старое/2019');
      const acts = await folderId(h, acc.id, 'Старое/2019/Акты');
      // The parent is synced here; the subfolders never were (their mail only the server counts).
      await h.mail.handle('mail:folders:sync', { folderId: old });
      expect((await list(h, old)).total).toBe(4);
      expect((await search(h, 'Старый счёт')).length).toBe(4);

      const preview = (await h.mail.handle('mail:folders:deletePreview', { folderId: old })) as MailFolderDeletePreview;
      expect(preview).toEqual({ folderId: old, name: 'Старое', messages: 4, subfolders: 2, subfolderMessages: 3 });
      h.events.length = 0;

      expect(await h.mail.handle('mail:folders:delete', { folderId: old })).toEqual({ deleted: 3 });
      const changed = h.events.filter((e) => e.name === 'mail:changed').map((e) => (e.payload as { folderIds: number[] }).folderIds);
      expect(changed[0]?.sort()).toEqual([old, y2019, acts].sort());
      // Locally: folders, messages, addresses and the search index.
      expect(await paths(h, acc.id)).not.toContain('Старое');
      expect((await paths(h, acc.id)).filter((p) => p.startsWith('Старое/'))).toEqual([]);
      // A folder whose name merely starts the same stays.
      expect(await paths(h, acc.id)).toContain('Старое-2');
      const ids = JSON.stringify([old, y2019, acts]);
      expect(h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id IN (SELECT value FROM json_each(?))').get(ids)).toEqual({ n: 0 });
      expect(h.db.prepare('SELECT COUNT(*) AS n FROM mail_addresses WHERE message_id NOT IN (SELECT id FROM mail_messages)').get()).toEqual({ n: 0 });
      expect(await search(h, 'Старый счёт')).toEqual([]);
      expect(await search(h, 'Акт сверки')).toEqual([]);
      // On the server.
      const onServer = await serverPaths(u);
      expect(onServer.filter((p) => p === 'Старое' || p.startsWith('Старое/'))).toEqual([]);
      expect(onServer).toContain('Старое-2');
      // A later sync does not bring them back.
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      expect((await paths(h, acc.id)).filter((p) => p === 'Старое' || p.startsWith('Старое/'))).toEqual([]);
      await expect(h.mail.handle('mail:messages:list', { folderId: old, offset: 0, limit: 10 })).resolves.toEqual({ total: 0, items: [] });
    } finally {
      await h.close();
    }
  }, 30_000);
});

describe('refusals', () => {
  it('INBOX and system folders, names taken or not allowed, an account without its server: nothing changes anywhere', async () => {
    const u = users[3];
    const tap = await startImapTap(dc.port);
    const h = makeService({ sync: syncOpts });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const mine = (await h.mail.handle('mail:folders:create', { accountId: acc.id, name: 'Счета' })) as MailFolderView;
      const pathsBefore = await paths(h, acc.id);
      const serverBefore = await serverPaths(u);

      // INBOX and the folders with a role (Sent, Drafts, Trash, Junk).
      const inbox = await folderId(h, acc.id, 'INBOX');
      expect(await refusal(h, 'mail:folders:rename', { folderId: inbox, name: 'Почта' })).toEqual({
        code: 'mail-folder-protected',
        message: 'Системную папку «Входящие» нельзя переименовать. Их использует почтовый сервер; переименовать и удалить можно только свои папки.',
      });
      for (const [path, title] of [['Sent', 'Отправленные'], ['Drafts', 'Черновики'], ['Trash', 'Корзина'], ['Junk', 'Спам']]) {
        const id = await folderId(h, acc.id, path);
        expect((await refusal(h, 'mail:folders:rename', { folderId: id, name: 'Другое' })).message).toContain(`Системную папку «${title}» нельзя переименовать.`);
        expect((await refusal(h, 'mail:folders:delete', { folderId: id })).message).toContain(`Системную папку «${title}» нельзя удалить.`);
        expect((await refusal(h, 'mail:folders:deletePreview', { folderId: id })).code).toBe('mail-folder-protected');
      }
      expect((await refusal(h, 'mail:folders:delete', { folderId: inbox })).message).toContain('Системную папку «Входящие» нельзя удалить.');

      // Names taken: known here, known only to the server, INBOX's at the top, a rename onto another folder.
      expect(await refusal(h, 'mail:folders:create', { accountId: acc.id, name: 'Счета' })).toEqual({ code: 'mail-folder-exists', message: 'Папка «Счета» уже есть. Выберите другое имя.' });
      const other = await imapClient(dc, u);
      await other.mailboxCreate('Договоры');
      await other.logout();
      expect(await refusal(h, 'mail:folders:create', { accountId: acc.id, name: 'Договоры' })).toEqual({ code: 'mail-folder-exists', message: 'Папка «Договоры» уже есть. Выберите другое имя.' });
      // ...and the folder the server has is listed here soon after.
      await waitFor(async () => (await paths(h, acc.id)).includes('Договоры'), 'the server-only folder listed', 10_000);
      expect((await refusal(h, 'mail:folders:create', { accountId: acc.id, name: 'inbox' })).code).toBe('mail-folder-exists');
      expect(await refusal(h, 'mail:folders:rename', { folderId: mine.id, name: 'Договоры' })).toEqual({ code: 'mail-folder-exists', message: 'Папка «Договоры» уже есть. Выберите другое имя.' });

      // Names not allowed: the zod schema's, the server's delimiter, and what the server itself refuses.
      for (const name of ['', '   ', 'x'.repeat(101), 'Счета\nи акты', 'Все*', '50%']) {
        expect((await refusal(h, 'mail:folders:create', { accountId: acc.id, name })).code).toBe('mail-bad-args');
      }
      expect((await refusal(h, 'mail:folders:create', { accountId: acc.id, name: 'x'.repeat(101) })).message).toContain('Имя папки — не длиннее 100 символов.');
      expect(await refusal(h, 'mail:folders:create', { accountId: acc.id, name: 'Счета/2025' })).toEqual({
        code: 'mail-bad-folder-name',
        message: 'Имя папки не может содержать «/»: этим знаком почтовый сервер отделяет вложенные папки. Чтобы создать папку внутри другой, выберите её и нажмите «Новая папка…».',
      });
      expect((await refusal(h, 'mail:folders:rename', { folderId: mine.id, name: 'a/b' })).code).toBe('mail-bad-folder-name');
      // Dovecot's maildir does not take a dot in a name: its own words, in a Russian sentence.
      expect(await refusal(h, 'mail:folders:create', { accountId: acc.id, name: 'v1.2' })).toEqual({
        code: 'mail-folder-refused',
        message: "Почтовый сервер отказался: папка «v1.2» не создана. Ответ сервера: Character not allowed in mailbox name: '.'",
      });

      // Without the server: refused in Russian, nothing changes here or there.
      const pathsNow = await paths(h, acc.id);
      tap.refuse = true;
      tap.dropAll();
      await waitFor(() => ['offline', 'error', 'connecting'].includes(stateOf(h, acc.id)), 'account offline');
      const offline = await refusal(h, 'mail:folders:create', { accountId: acc.id, name: 'Новая' });
      expect(offline.message).toMatch(/^Создать папку можно только при связи с почтовым сервером, а её нет: /);
      expect(offline.message).toContain('Папки хранятся на сервере: повторите, когда связь появится.');
      expect((await refusal(h, 'mail:folders:rename', { folderId: mine.id, name: 'Счета 2025' })).message).toMatch(/^Переименовать папку можно только при связи с почтовым сервером/);
      expect((await refusal(h, 'mail:folders:deletePreview', { folderId: mine.id })).message).toMatch(/^Удалить папку можно только при связи с почтовым сервером/);
      expect((await refusal(h, 'mail:folders:delete', { folderId: mine.id })).message).toMatch(/^Удалить папку можно только при связи с почтовым сервером/);
      // The local refusals still read the same offline.
      expect((await refusal(h, 'mail:folders:create', { accountId: acc.id, name: 'Счета' })).code).toBe('mail-folder-exists');
      expect(await paths(h, acc.id)).toEqual(pathsNow);
      expect(await serverPaths(u)).toEqual([...serverBefore, 'Договоры'].sort());
      expect(pathsBefore).toContain('Счета');

      // Back online, the same request goes through.
      tap.refuse = false;
      const back = (await h.mail.handle('mail:folders:rename', { folderId: mine.id, name: 'Счета 2025' })) as MailFolderView;
      expect(back).toMatchObject({ id: mine.id, path: 'Счета 2025' });
    } finally {
      await h.close();
      await tap.close();
    }
  }, 30_000);
});
