/**
 * What real mail looks like after sync: charsets (windows-1251, koi8-r), quoted-printable and
 * base64 bodies, HTML-only mail, a big attachment left on the server and fetched when asked
 * for, inline (cid:) images fetched when the message is opened, an attached message, and the
 * account's data removed with it.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { addAccount, folderId, makeService, waitSynced, type Harness } from './helpers';
import { decodeQuotedPrintable, partText } from '../../src-main/core/mail/parse';
import type { MailAccountView, MailMessageView, MailSummary } from '../../src-shared/ipc/mail';

const gina = { user: 'gina@example.test', pass: 'gina' };
let dc: Dovecot;
let h: Harness;
let acc: MailAccountView;
const big = randomBytes(3 * 1024 * 1024);
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const b64 = (b: Buffer) => b.toString('base64').replace(/.{76}/g, '$&\r\n');
const hdr = (subject: string, id: string, extra: string[] = []) =>
  [
    'From: =?windows-1251?B?' + Buffer.from([0xcf, 0xe5, 0xf2, 0xf0]).toString('base64') + '?= <petr@example.ru>',
    'To: gina@example.test',
    `Subject: ${subject}`,
    `Message-ID: <${id}@test>`,
    'Date: Mon, 06 May 2024 10:00:00 +0300',
    'MIME-Version: 1.0',
    ...extra,
  ].join('\r\n');

beforeAll(async () => {
  dc = await startDovecot({ users: [gina] });
  const cp1251 = Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x2c, 0x20, 0xec, 0xe8, 0xf0]); // «Привет, мир»
  dc.seedMaildir(gina.user, [
    Buffer.concat([
      Buffer.from(hdr('=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=', 'cp1251', ['Content-Type: text/plain; charset=windows-1251', 'Content-Transfer-Encoding: 8bit']) + '\r\n\r\n'),
      cp1251,
      Buffer.from('\r\n'),
    ]),
    hdr('=?koi8-r?B?' + Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4, 0x20, 0x4b, 0x4f, 0x49, 0x38]).toString('base64') + '?=', 'koi8', [
      'Content-Type: text/plain; charset=koi8-r',
      'Content-Transfer-Encoding: quoted-printable',
    ]) + '\r\n\r\n=F0=D2=C9=D7=C5=D4 =CB=CF=C9=38 =\r\n=D3=CF=CF=C2=DD=C5=CE=C9=C5\r\n',
    hdr('HTML only', 'html', ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64']) +
      '\r\n\r\n' + b64(Buffer.from('<html><body><h1>Акт сверки</h1><p>Подпишите&nbsp;акт</p><img src="cid:logo@x"></body></html>')) + '\r\n',
    hdr('Big attachment', 'big', ['Content-Type: multipart/mixed; boundary="B1"']) +
      '\r\n\r\n--B1\r\nContent-Type: multipart/related; boundary="R1"\r\n\r\n' +
      '--R1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Смотрите чертёж <img src="cid:logo@x"></p>\r\n' +
      '--R1\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline; filename="logo.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + b64(png) + '\r\n--R1--\r\n' +
      '--B1\r\nContent-Type: application/octet-stream; name="drawing.dwg"\r\nContent-Disposition: attachment; filename="=?utf-8?B?' + Buffer.from('чертёж.dwg').toString('base64') + '?="\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      b64(big) + '\r\n--B1\r\n' +
      'Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="forwarded.eml"\r\n\r\n' +
      'From: x@y.z\r\nSubject: inner\r\nContent-Type: text/plain\r\n\r\ninner text must not become the body\r\n--B1--\r\n',
  ]);
  h = makeService();
  acc = await addAccount(h, dc, null, gina);
  await waitSynced(h, acc.id);
});
afterAll(async () => {
  await h?.close();
  await dc?.stop();
});

async function bySubject(subject: string): Promise<MailMessageView> {
  const inbox = await folderId(h, acc.id, 'INBOX');
  const list = (await h.mail.handle('mail:messages:list', { folderId: inbox })) as { items: MailSummary[] };
  const s = list.items.find((m) => m.subject === subject);
  if (!s) throw new Error(`no message «${subject}» in ${list.items.map((m) => m.subject).join(', ')}`);
  return (await h.mail.handle('mail:messages:get', { id: s.id })) as MailMessageView;
}

describe('mail content', () => {
  it('decodes charsets and transfer encodings', async () => {
    const a = await bySubject('Привет');
    expect(a.text.trim()).toBe('Привет, мир');
    expect(a.from).toEqual({ name: 'Петр', email: 'petr@example.ru' });
    const koi = await bySubject('Привет KOI8');
    expect(koi.text.trim()).toBe('Привет кои8 сообщение');
    const found = (await h.mail.handle('mail:messages:search', { query: 'сообщение' })) as { items: MailSummary[] };
    expect(found.items.map((x) => x.id)).toEqual([koi.id]);
    expect(decodeQuotedPrintable(Buffer.from('a=3Db=\r\nc=ZZ')).toString()).toBe('a=bc=ZZ');
    expect(partText(Buffer.from('0J/RgNC40LLQtdGC', 'utf8'), { encoding: 'base64', charset: 'utf-8' }, false)).toBe('Привет');
  });

  it('indexes HTML-only mail by its text', async () => {
    const m = await bySubject('HTML only');
    expect(m.html).toContain('<h1>Акт сверки</h1>');
    expect(m.text).toContain('Подпишите акт');
    expect(m.snippet).toContain('Акт сверки');
    const found = (await h.mail.handle('mail:messages:search', { query: 'подпишите акт' })) as { items: MailSummary[] };
    expect(found.items.map((x) => x.subject)).toEqual(['HTML only']);
  });

  it('leaves big attachments on the server until asked; inline images come with the opened message', async () => {
    const m = await bySubject('Big attachment');
    expect(m.hasAttachments).toBe(true);
    expect(m.html).toContain('Смотрите чертёж');
    expect(m.text).not.toContain('inner text');
    const files = m.attachments.filter((a) => !a.inline);
    expect(files.map((a) => a.filename)).toEqual(['чертёж.dwg', 'forwarded.eml']);
    expect(files[0].downloaded).toBe(false);
    expect(Math.abs(files[0].size - big.length)).toBeLessThan(1024);
    // The inline logo was fetched when the message was opened.
    expect(m.inlineImages['logo@x']).toBe(`data:image/png;base64,${png.toString('base64')}`);

    const got = (await h.mail.handle('mail:attachments:get', { messageId: m.id, index: files[0].index })) as { filename: string; dataBase64: string };
    expect(got.filename).toBe('чертёж.dwg');
    expect(Buffer.from(got.dataBase64, 'base64').equals(big)).toBe(true);
    const again = (await h.mail.handle('mail:messages:get', { id: m.id })) as MailMessageView;
    expect(again.attachments.find((a) => a.filename === 'чертёж.dwg')?.downloaded).toBe(true);

    const opened = (await h.mail.handle('mail:attachments:open', { messageId: m.id, index: files[1].index })) as { path: string; opened: boolean };
    expect(opened.opened).toBe(false);
    expect(readFileSync(opened.path, 'utf8')).toContain('inner text must not become the body');
  }, 90_000);

  it('blocks remote image fetching unless allowed, and only for URLs in the message', async () => {
    const m = await bySubject('HTML only');
    await expect(h.mail.handle('mail:images:fetch', { messageId: m.id, urls: ['http://127.0.0.1:9/x.png'] })).rejects.toMatchObject({ code: 'mail-images-blocked' });
    await h.mail.handle('mail:images:allow', { messageId: m.id, scope: 'sender' });
    expect(((await h.mail.handle('mail:messages:get', { id: m.id })) as MailMessageView).remoteImagesAllowed).toBe(true);
    expect(await h.mail.handle('mail:images:fetch', { messageId: m.id, urls: ['http://127.0.0.1:9/not-in-message.png'] })).toEqual({});
  });

  it('removes an account with all its mail', async () => {
    const h2 = makeService();
    try {
      const a = await addAccount(h2, dc, null, gina);
      await waitSynced(h2, a.id);
      expect((h2.db.prepare('SELECT COUNT(*) AS n FROM mail_messages').get() as { n: number }).n).toBe(4);
      await h2.mail.handle('mail:accounts:delete', { id: a.id });
      for (const t of ['mail_accounts', 'mail_folders', 'mail_messages', 'mail_addresses', 'mail_attachments', 'mail_threads']) {
        expect((h2.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n, t).toBe(0);
      }
      expect((h2.db.prepare("SELECT COUNT(*) AS n FROM mail_fts WHERE mail_fts MATCH 'привет'").get() as { n: number }).n).toBe(0);
    } finally {
      await h2.close();
    }
  });
});
