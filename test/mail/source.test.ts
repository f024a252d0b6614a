/**
 * «Показать оригинал» / «Сохранить как файл (.eml)»: `mail:messages:source` against the real
 * Dovecot — the bytes are the server's byte for byte (8-bit and encoded non-ASCII headers, a
 * binary attachment), the offered filename is safe whatever the subject, and a message gone from
 * the server, one too big, or a server out of reach each get a plain Russian refusal.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { emlFilename, fetchMessageSource } from '../../src-main/core/mail/source';
import type { MailAccountView, MailSummary } from '../../src-shared/ipc/mail';
import { addAccount, folderId, imapClient, listFolder, makeService, startImapTap, waitSynced, type Harness, type ImapTap } from './helpers';

const ivy = { user: 'ivy@example.test', pass: 'ivy' };
let dc: Dovecot;
let tap: ImapTap;
let h: Harness;
let acc: MailAccountView;

const b64 = (b: Buffer) => b.toString('base64').replace(/.{76}/g, '$&\r\n');
const word = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
const attachment = randomBytes(40_000);

/** Non-ASCII headers both ways (RFC 2047 words and raw 8-bit UTF-8), a text part, a binary attachment. */
function original(subject: string, id: string): Buffer {
  return Buffer.from(
    [
      `From: ${word('Иван Петров')} <petrov@example.ru>`,
      'To: Ива <ivy@example.test>',
      `Subject: ${word(subject)}`,
      'X-Note: заголовок в 8 бит, без кодирования',
      `Message-ID: <${id}@test>`,
      'Date: Tue, 07 May 2024 09:30:00 +0300',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="S1"',
      '',
      '--S1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Добрый день! Акт во вложении.',
      '--S1',
      `Content-Type: application/octet-stream; name="${word('акт.bin')}"`,
      "Content-Disposition: attachment; filename*=UTF-8''%D0%B0%D0%BA%D1%82.bin",
      'Content-Transfer-Encoding: base64',
      '',
      b64(attachment),
      '--S1--',
      '',
    ].join('\r\n'),
  );
}

async function append(path: string, raw: Buffer): Promise<void> {
  const c = await imapClient(dc, ivy);
  try {
    await c.append(path, raw);
  } finally {
    await c.logout().catch(() => undefined);
  }
}

async function bySubject(folder: number, subject: string): Promise<MailSummary> {
  const m = (await listFolder(h, folder)).items.find((x) => x.subject === subject);
  if (!m) throw new Error(`no «${subject}»`);
  return m;
}

type Source = { filename: string; size: number; dataBase64: string };
const source = async (id: number) => (await h.mail.handle('mail:messages:source', { id })) as Source;

beforeAll(async () => {
  dc = await startDovecot({ users: [ivy] });
  tap = await startImapTap(dc.port);
  h = makeService();
  acc = await addAccount(h, dc, null, ivy, { imapPort: tap.port });
  await waitSynced(h, acc.id);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await tap?.close().catch(() => undefined);
  await dc?.stop();
});

describe('message source («Показать оригинал», .eml)', () => {
  it('is the server’s bytes exactly, named after the subject', async () => {
    const raw = original('Акт сверки: март/апрель', 'act');
    await append('INBOX', raw);
    await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
    const inbox = await folderId(h, acc.id, 'INBOX');
    const m = await bySubject(inbox, 'Акт сверки: март/апрель');
    const unseenBefore = m.seen;

    const s = await source(m.id);
    const got = Buffer.from(s.dataBase64, 'base64');
    expect(got.equals(raw)).toBe(true);
    expect(s.size).toBe(raw.length);
    expect(s.filename).toBe('Акт сверки_ март_апрель.eml');
    // Read-only: fetching the source marks nothing read on the server.
    const c = await imapClient(dc, ivy);
    try {
      await c.mailboxOpen('INBOX');
      const flags = (await c.fetchAll('1:*', { flags: true })).map((x) => [...(x.flags ?? [])]);
      expect(unseenBefore).toBe(false);
      expect(flags.flat()).not.toContain('\\Seen');
    } finally {
      await c.logout().catch(() => undefined);
    }
  });

  it('offers a safe filename whatever the subject', async () => {
    const hostile = ['../../etc/passwd', 'a/b\\c:d*?', 'Ж'.repeat(300), '', '   ...  ', 'CON', '\u202Egpj.exe', 'line\r\nbreak\ttab\u0000nul', '..\\..\\windows\\system32'];
    for (const subject of hostile) {
      const name = emlFilename(subject);
      expect(name, subject).toMatch(/\.eml$/);
      expect(name, subject).not.toMatch(/[\\/:*?"<>|\u0000-\u001f\u007f\u202a-\u202e]/);
      expect(name, subject).not.toMatch(/^\./);
      expect(name.includes('..'), subject).toBe(false);
      expect(Buffer.byteLength(name), subject).toBeLessThanOrEqual(200);
    }
    expect(emlFilename('../../etc/passwd')).toBe('etc_passwd.eml');
    expect(emlFilename('a/b\\c:d*?')).toBe('a_b_c_d_.eml');
    expect(emlFilename('')).toBe('письмо.eml');
    expect(emlFilename('   ...  ')).toBe('письмо.eml');
    expect(emlFilename('CON')).toBe('_CON.eml');
    expect(emlFilename('Ж'.repeat(300))).toBe(`${'Ж'.repeat(90)}.eml`);
    expect(emlFilename('Счёт №17 от 01.06')).toBe('Счёт №17 от 01.06.eml');

    // And through the request, for a message whose subject is a path.
    await append('INBOX', original('../../etc/passwd', 'path'));
    await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
    const m = await bySubject(await folderId(h, acc.id, 'INBOX'), '../../etc/passwd');
    expect((await source(m.id)).filename).toBe('etc_passwd.eml');
  });

  it('refuses a message gone from the server, and one too big, in Russian', async () => {
    const c = await imapClient(dc, ivy);
    try {
      // Not INBOX: the sync idles there and would notice the deletion before the request.
      await c.mailboxCreate('Архив');
      await c.append('Архив', original('Удалят с сервера', 'gone'));
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      const archive = await folderId(h, acc.id, 'Архив');
      await h.mail.handle('mail:folders:sync', { folderId: archive });
      const m = await bySubject(archive, 'Удалят с сервера');
      await c.mailboxOpen('Архив');
      await c.messageDelete('1:*');
      await expect(source(m.id)).rejects.toMatchObject({ code: 'mail-source-gone', message: expect.stringMatching(/^Письма больше нет на сервере/) });
    } finally {
      await c.logout().catch(() => undefined);
    }

    const inbox = await folderId(h, acc.id, 'INBOX');
    const act = await bySubject(inbox, 'Акт сверки: март/апрель');
    const row = h.mail.internals.store.message(act.id)!;
    const folder = h.mail.internals.store.folder(inbox)!;
    await expect(
      fetchMessageSource(() => imapClient(dc, ivy), { folder, uid: row.uid, server: { host: '127.0.0.1', port: dc.port, security: 'none' } }, 10_000),
    ).rejects.toMatchObject({ code: 'mail-source-too-big', message: expect.stringMatching(/^Письмо слишком большое \(\d+ КБ\): .* не больше 10 КБ\./) });
  });

  it('says so in Russian when the server is out of reach', async () => {
    const m = await bySubject(await folderId(h, acc.id, 'INBOX'), 'Акт сверки: март/апрель');
    await tap.close();
    const err = (await source(m.id).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('mail-refused');
    expect(err.message).toMatch(/^Оригинал письма хранится на сервере, а сервер сейчас недоступен: IMAP-сервер 127\.0\.0\.1:\d+ отклонил подключение/);
  });
});
