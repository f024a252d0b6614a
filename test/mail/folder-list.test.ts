/**
 * The folder list follows other clients promptly: a folder created or deleted elsewhere (webmail,
 * Thunderbird, doveadm) shows up within `folderListMs` while the app idles, by a LIST and
 * nothing else; a folder renamed elsewhere stays the same local folder (id, messages, flags,
 * queued changes) instead of being dropped and downloaded again: recognised by the server's
 * mailbox id (RFC 8474 OBJECTID) when it has one, otherwise by UIDVALIDITY checked against a
 * sample of its messages, so a different mailbox that happens to have the same UIDVALIDITY is
 * never taken for it.
 */
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
  testMessages as msgs,
  waitFor,
  waitSynced,
  type Harness,
  type ImapTap,
  type ImapTapOptions,
} from './helpers';

const users = Array.from({ length: 4 }, (_, i) => ({ user: `fl${i}@example.test`, pass: `pass-${i}` }));
let dc: Dovecot;

beforeAll(async () => {
  dc = await startDovecot({ users });
});
afterAll(async () => {
  await dc?.stop();
});

async function paths(h: Harness, accountId: number): Promise<string[]> {
  return (await folders(h, accountId)).map((f) => f.path);
}
function rows(h: Harness, folder: number): { id: number; uid: number; subject: string; seen: number; flagged: number }[] {
  return h.db.prepare('SELECT id, uid, subject, seen, flagged FROM mail_messages WHERE folder_id = ? ORDER BY uid').all(folder) as {
    id: number;
    uid: number;
    subject: string;
    seen: number;
    flagged: number;
  }[];
}

/**
 * The shared IMAP tap (it records the app's command lines, refuses and drops connections). With
 * `objectId` it makes Dovecot 2.3 (no OBJECTID) look like a server with RFC 8474: OBJECTID is
 * added to the capabilities, every SELECT/EXAMINE answers
 * `* OK [MAILBOXID (<mailboxId(uidvalidity)>)]` (Dovecot keeps UIDVALIDITY across a rename
 * and per user it is unique, so it stands in for the id), and the EMAILID that imapflow then
 * adds to every FETCH is taken out again.
 */
type Tap = ImapTap & { mailboxId: (uidValidity: string) => string };

async function startTap(targetPort: number, opts: { objectId?: boolean } = {}): Promise<Tap> {
  const objectId: ImapTapOptions = {
    serverLine: (line) => {
      let l = line.replace(/\[CAPABILITY ([^\]]*)\]/i, '[CAPABILITY $1 OBJECTID]');
      if (/^\* CAPABILITY /i.test(l)) l += ' OBJECTID';
      const uv = /^\* OK \[UIDVALIDITY (\d+)\]/i.exec(l);
      if (uv) l += `\r\n* OK [MAILBOXID (${tap.mailboxId(uv[1])})] Ok`;
      return l;
    },
    clientLine: (line) => (/^\S+ (UID )?FETCH /i.test(line) ? line.replace(/ EMAILID\b/gi, '') : line),
  };
  const tap: Tap = Object.assign(await startImapTap(targetPort, opts.objectId ? objectId : {}), { mailboxId: (uv: string) => `M${uv}` });
  return tap;
}

const FOLDER_LIST_MS = 1_000;
const syncOpts = { initialBackoffMs: 100, maxBackoffMs: 300, pollMs: 60_000, folderListMs: FOLDER_LIST_MS };

describe('folders created and deleted elsewhere', () => {
  it('show up within the folder-list interval while idling, by a LIST and nothing else', async () => {
    const u = users[0];
    dc.seedMaildir(u.user, msgs(u.user, 'Вход', 2));
    const tap = await startTap(dc.port);
    const other = await imapClient(dc, u);
    const h = makeService({ sync: syncOpts });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);

      // Idle, nothing changes: one LIST per interval, no SELECT / FETCH, nothing told to the UI.
      await new Promise((r) => setTimeout(r, 300));
      tap.lines.length = 0;
      h.events.length = 0;
      const quietMs = 3_500;
      await new Promise((r) => setTimeout(r, quietMs));
      const quiet = tap.lines.slice();
      const lists = quiet.filter((l) => /^\S+ LIST /i.test(l)).length;
      expect(lists).toBeGreaterThanOrEqual(Math.floor(quietMs / FOLDER_LIST_MS) - 1);
      expect(lists).toBeLessThanOrEqual(Math.ceil(quietMs / FOLDER_LIST_MS) + 1);
      expect(quiet.filter((l) => /^\S+ (SELECT|EXAMINE|STATUS|UID SEARCH|UID FETCH|FETCH|SEARCH) /i.test(l))).toEqual([]);
      expect(h.events.filter((e) => e.name === 'mail:changed')).toEqual([]);

      // Created by another IMAP client and by doveadm: listed without "sync now".
      const t0 = Date.now();
      await other.mailboxCreate('Тендеры');
      await other.mailboxCreate('Тендеры/2025');
      await dc.doveadm(['mailbox', 'create', '-u', u.user, 'Заявки']);
      await waitFor(async () => {
        const p = await paths(h, acc.id);
        return p.includes('Тендеры') && p.includes('Тендеры/2025') && p.includes('Заявки');
      }, 'folders created elsewhere listed', 4 * FOLDER_LIST_MS);
      expect(Date.now() - t0).toBeLessThan(4 * FOLDER_LIST_MS);
      const fl = await folders(h, acc.id);
      expect(fl.find((f) => f.path === 'Тендеры/2025')).toMatchObject({ name: '2025', depth: 1, syncEnabled: true });
      expect(h.events.some((e) => e.name === 'mail:changed')).toBe(true);

      // Deleted elsewhere: gone as promptly.
      await other.mailboxDelete('Заявки');
      await dc.doveadm(['mailbox', 'delete', '-u', u.user, 'Тендеры/2025']);
      await waitFor(async () => {
        const p = await paths(h, acc.id);
        return !p.includes('Заявки') && !p.includes('Тендеры/2025') && p.includes('Тендеры');
      }, 'folders deleted elsewhere gone', 4 * FOLDER_LIST_MS);

      // INBOX still follows over IDLE.
      const inbox = await folderId(h, acc.id, 'INBOX');
      await dc.deliver(u.user, rawMessage({ subject: 'Новое письмо', messageId: '<fl-new@test>' }));
      await waitFor(async () => (await list(h, inbox)).total === 3, 'new INBOX mail', 10_000);
      const bad = h.events.filter((e) => e.name === 'mail:state' && ['offline', 'error'].includes((e.payload as { state: { state: string } }).state.state));
      expect(bad).toEqual([]);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
      await tap.close();
    }
  }, 60_000);
});

describe('a folder renamed elsewhere', () => {
  it('stays the same local folder: same id, messages not downloaded again, flags and queued changes kept', async () => {
    const u = users[1];
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Договоры');
    await other.mailboxCreate('Договоры/Архив');
    const contracts = msgs(u.user, 'Договор', 6);
    for (let i = 0; i < contracts.length; i++) await other.append('Договоры', contracts[i], i === 1 ? ['\\Flagged'] : i === 2 ? ['\\Seen'] : []);
    for (const m of msgs(u.user, 'Старый договор', 2)) await other.append('Договоры/Архив', m);
    const tap = await startTap(dc.port);
    const h = makeService({ sync: syncOpts });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const dog = await folderId(h, acc.id, 'Договоры');
      const arch = await folderId(h, acc.id, 'Договоры/Архив');
      await h.mail.handle('mail:folders:sync', { folderId: dog });
      await h.mail.handle('mail:folders:sync', { folderId: arch });
      const d3 = (await list(h, dog)).items.find((m) => m.subject === 'Договор 3')!;
      await h.mail.handle('mail:messages:setFlags', { ids: [d3.id], flagged: true });
      await waitFor(() => opsLeft(h) === 0, 'flag pushed', 10_000);
      const before = rows(h, dog);
      const beforeArch = rows(h, arch);
      expect(before.filter((r) => r.flagged).map((r) => r.subject)).toEqual(['Договор 1', 'Договор 3']);
      expect(before.filter((r) => r.seen).map((r) => r.subject)).toEqual(['Договор 2']);
      expect(beforeArch).toHaveLength(2);
      tap.lines.length = 0;

      // Renamed in webmail (its subfolder goes along): no "sync now", the folder-list interval does it.
      await other.mailboxRename('Договоры', 'Договоры 2024');
      await waitFor(async () => {
        const p = await paths(h, acc.id);
        return p.includes('Договоры 2024') && p.includes('Договоры 2024/Архив') && !p.includes('Договоры');
      }, 'renamed folders listed', 4 * FOLDER_LIST_MS);
      let fl = await folders(h, acc.id);
      expect(fl.find((f) => f.path === 'Договоры 2024')).toMatchObject({ id: dog, name: 'Договоры 2024', depth: 0, syncEnabled: true, total: 6, unread: 5 });
      expect(fl.find((f) => f.path === 'Договоры 2024/Архив')).toMatchObject({ id: arch, name: 'Архив', depth: 1, syncEnabled: true, total: 2 });
      expect(fl.some((f) => f.path.startsWith('Договоры/'))).toBe(false);
      await h.mail.handle('mail:folders:sync', { folderId: dog });
      await h.mail.handle('mail:folders:sync', { folderId: arch });
      expect(rows(h, dog)).toEqual(before);
      expect(rows(h, arch)).toEqual(beforeArch);
      expect(envelopeUids(tap.lines)).toBe(0);
      expect((await search(h, 'Старый договор')).map((m) => m.folderId)).toEqual([arch, arch]);
      // Told apart from other mailboxes by a look at the renamed one, not by downloading it.
      expect(tap.lines.some((l) => /^\S+ EXAMINE /i.test(l))).toBe(true);

      // It keeps syncing under its new name: new mail there comes in once.
      await dc.deliver(u.user, rawMessage({ subject: 'Договор после переименования', messageId: '<fl-renamed-new@test>' }), 'Договоры 2024');
      await h.mail.handle('mail:folders:sync', { folderId: dog });
      expect((await list(h, dog)).total).toBe(7);
      expect(envelopeUids(tap.lines)).toBe(1);

      // Renamed again while the app is offline with a change queued in it: the change reaches
      // the folder under its new name, nothing is downloaded again.
      tap.refuse = true;
      tap.dropAll();
      const cutAt = h.events.length;
      await waitFor(() => ['offline', 'error', 'connecting'].includes(stateOf(h, acc.id)), 'offline');
      // An account that has synced meets a refused connection as an outage, not a settings error.
      const down = () => h.events.slice(cutAt).filter((e) => e.name === 'mail:state').map((e) => (e.payload as { state: { state: string; reason?: string } }).state);
      await waitFor(() => down().some((st) => st.state === 'offline'), 'offline as an outage');
      expect(down().find((st) => st.state === 'offline')?.reason).toMatch(/^Сервер входящей почты \(IMAP\) 127\.0\.0\.1:\d+ /);
      expect(down().filter((st) => st.state === 'error')).toEqual([]);
      const d4 = (await list(h, dog)).items.find((m) => m.subject === 'Договор 4')!;
      await h.mail.handle('mail:messages:setFlags', { ids: [d4.id], seen: true });
      expect(opsLeft(h)).toBe(1);
      await other.mailboxRename('Договоры 2024', 'Договоры (архив)');
      tap.refuse = false;
      await waitFor(() => opsLeft(h) === 0, 'queued change pushed', 10_000);
      await waitSynced(h, acc.id);
      fl = await folders(h, acc.id);
      expect(fl.find((f) => f.path === 'Договоры (архив)')?.id).toBe(dog);
      expect(fl.find((f) => f.path === 'Договоры (архив)/Архив')?.id).toBe(arch);
      await h.mail.handle('mail:folders:sync', { folderId: dog });
      expect(envelopeUids(tap.lines)).toBe(1);
      const after = rows(h, dog);
      expect(after.filter((r) => before.some((b) => b.id === r.id)).length).toBe(6);
      expect(after.find((r) => r.subject === 'Договор 4')).toMatchObject({ id: d4.id, seen: 1 });
      expect(after.filter((r) => r.flagged).map((r) => r.subject)).toEqual(['Договор 1', 'Договор 3']);

      await other.mailboxOpen('Договоры (архив)');
      const srv = await other.fetchAll('1:*', { flags: true, envelope: true });
      const flagsOf = (s: string) => srv.find((m) => m.envelope?.subject === s)?.flags;
      expect(flagsOf('Договор 1')?.has('\\Flagged')).toBe(true);
      expect(flagsOf('Договор 3')?.has('\\Flagged')).toBe(true);
      expect(flagsOf('Договор 4')?.has('\\Seen')).toBe(true);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('is not confused with a different mailbox that has the same UIDVALIDITY', async () => {
    const u = users[2];
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Сметы');
    for (const m of msgs(u.user, 'Смета', 3)) await other.append('Сметы', m);
    const tap = await startTap(dc.port);
    // The folder list is read when asked ("sync now"), so deletion and creation land in one read.
    const h = makeService({ sync: { ...syncOpts, folderListMs: 60_000 } });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const smety = await folderId(h, acc.id, 'Сметы');
      await h.mail.handle('mail:folders:sync', { folderId: smety });
      expect((await list(h, smety)).total).toBe(3);
      const uv = (h.db.prepare('SELECT uidvalidity FROM mail_folders WHERE id = ?').get(smety) as { uidvalidity: number }).uidvalidity;

      // Deleted elsewhere; another folder created with other mail at the same UIDs, and (as
      // a server deriving UIDVALIDITY from the clock may do) the same UIDVALIDITY.
      await other.mailboxDelete('Сметы');
      await other.mailboxCreate('Расчёты');
      for (const m of msgs(u.user, 'Расчёт', 3)) await other.append('Расчёты', m);
      await dc.changeUidValidity(u.user, 'Расчёты', uv);
      const st = await other.status('Расчёты', { uidValidity: true, messages: true });
      expect(st && Number(st.uidValidity)).toBe(uv);
      tap.lines.length = 0;

      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      const p = await paths(h, acc.id);
      expect(p).toContain('Расчёты');
      expect(p).not.toContain('Сметы');
      // It was looked at as a candidate...
      expect(tap.lines.some((l) => /HEADER\.FIELDS \(MESSAGE-ID\)/i.test(l))).toBe(true);
      // ...and found to be another mailbox.
      const ras = await folderId(h, acc.id, 'Расчёты');
      expect(ras).not.toBe(smety);
      expect(h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id = ?').get(smety)).toEqual({ n: 0 });
      await h.mail.handle('mail:folders:sync', { folderId: ras });
      expect((await list(h, ras)).items.map((m) => m.subject).sort()).toEqual(['Расчёт 0', 'Расчёт 1', 'Расчёт 2']);
      expect(await search(h, 'Смета')).toEqual([]);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
      await tap.close();
    }
  }, 60_000);

  it('with OBJECTID (RFC 8474) is recognised by the mailbox id recorded at SELECT, and that id decides', async () => {
    const u = users[3];
    const other = await imapClient(dc, u);
    await other.mailboxCreate('Проекты');
    for (const m of msgs(u.user, 'Проект', 4)) await other.append('Проекты', m);
    const tap = await startTap(dc.port, { objectId: true });
    const h = makeService({ sync: syncOpts });
    try {
      const acc = await addAccount(h, dc, null, u, { imapPort: tap.port });
      await waitSynced(h, acc.id);
      const proj = await folderId(h, acc.id, 'Проекты');
      await h.mail.handle('mail:folders:sync', { folderId: proj });
      expect((await list(h, proj)).total).toBe(4);
      const row = h.db.prepare('SELECT uidvalidity, mailbox_id FROM mail_folders WHERE id = ?').get(proj) as { uidvalidity: number; mailbox_id: string };
      expect(row.mailbox_id).toBe(`M${row.uidvalidity}`);
      const before = rows(h, proj);
      tap.lines.length = 0;

      await other.mailboxRename('Проекты', 'Проекты 2025');
      await waitFor(async () => (await paths(h, acc.id)).includes('Проекты 2025'), 'renamed folder listed', 4 * FOLDER_LIST_MS);
      expect(await folderId(h, acc.id, 'Проекты 2025')).toBe(proj);
      // The id decided: no sample of messages was needed.
      expect(tap.lines.some((l) => /HEADER\.FIELDS \(MESSAGE-ID\)/i.test(l))).toBe(false);
      await h.mail.handle('mail:folders:sync', { folderId: proj });
      expect(rows(h, proj)).toEqual(before);
      expect(envelopeUids(tap.lines)).toBe(0);

      // A server saying the listed mailbox is another one is believed, even with the same
      // UIDVALIDITY and the same messages.
      tap.mailboxId = (uv) => `other-${uv}`;
      await other.mailboxRename('Проекты 2025', 'Проекты 2026');
      await waitFor(async () => {
        const p = await paths(h, acc.id);
        return p.includes('Проекты 2026') && !p.includes('Проекты 2025');
      }, 'second rename listed', 4 * FOLDER_LIST_MS);
      const again = await folderId(h, acc.id, 'Проекты 2026');
      expect(again).not.toBe(proj);
      await h.mail.handle('mail:folders:sync', { folderId: again });
      expect((await list(h, again)).total).toBe(4);
      expect(envelopeUids(tap.lines)).toBe(4);
    } finally {
      await other.logout().catch(() => undefined);
      await h.close();
      await tap.close();
    }
  }, 60_000);
});
