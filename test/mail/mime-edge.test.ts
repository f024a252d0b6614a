/**
 * Real-world MIME through Dovecot and the app's own sync: legacy Cyrillic charsets (declared,
 * aliased, missing or wrong), RFC 2047/2231 headers and filenames, odd attachments, malformed
 * messages, a part the server refuses to decode, and search over all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { addAccount, makeService, stateOf, waitSynced, type Harness } from './helpers';
import { PDF, PNG, TEXT, vectors, type Vector } from './fixtures/mime-vectors';
import { decodeCharset } from '../../src-main/core/mail/parse';
import type { MailMessageView, MailSummary } from '../../src-shared/ipc/mail';

const gina = { user: 'gina@example.test', pass: 'gina' };
const hank = { user: 'hank@example.test', pass: 'hank' };
/** Parts Dovecot will not decode for FETCH BINARY (it answers NO for the whole command). */
const REFUSED = ['broken-b64', 'cte-unknown', 'qp-invalid'];
const all = vectors();
const good = all.filter((v) => !REFUSED.includes(v.key));
const refused = [...all.filter((v) => REFUSED.includes(v.key)), all.find((v) => v.key === 'cp1251-8bit')!];

let dc: Dovecot;
let h: Harness;
const accounts: Record<string, number> = {};

beforeAll(async () => {
  dc = await startDovecot({ users: [gina, hank] });
  // Delivered one by one, so UID n is vector n-1.
  for (const v of good) await dc.deliver(gina.user, v.raw);
  for (const v of refused) await dc.deliver(hank.user, v.raw);
  h = makeService();
  accounts.gina = (await addAccount(h, dc, null, gina)).id;
  accounts.hank = (await addAccount(h, dc, null, hank)).id;
  await waitSynced(h, accounts.gina);
}, 120_000);
afterAll(async () => {
  await h?.close();
  await dc?.stop();
});

async function get(key: string, list: Vector[] = good, user = 'gina'): Promise<MailMessageView> {
  const uid = list.findIndex((v) => v.key === key) + 1;
  const row = h.db.prepare('SELECT id FROM mail_messages WHERE account_id = ? AND uid = ?').get(accounts[user], uid) as { id: number } | undefined;
  if (!row) throw new Error(`${key} (uid ${uid}) was not synced`);
  return (await h.mail.handle('mail:messages:get', { id: row.id })) as MailMessageView;
}

async function download(m: MailMessageView, index: number): Promise<{ filename: string; data: Buffer }> {
  const r = (await h.mail.handle('mail:attachments:get', { messageId: m.id, index })) as { filename: string; dataBase64: string };
  return { filename: r.filename, data: Buffer.from(r.dataBase64, 'base64') };
}

async function find(query: string): Promise<string[]> {
  const r = (await h.mail.handle('mail:messages:search', { query, accountId: accounts.gina, limit: 100 })) as { items: MailSummary[] };
  return r.items.map((m) => m.subject).sort();
}

describe('MIME edge cases', () => {
  it('decodes bodies in declared Cyrillic charsets and transfer encodings', async () => {
    for (const key of ['cp1251-8bit', 'cp1251-qp', 'iso88595-b64', 'utf8-nocharset', 'utf8-nocontenttype', 'utf8-qp', 'cp866', 'charset-win1251-alias']) {
      expect((await get(key)).text.trim(), key).toBe(TEXT);
    }
    // KOI8-R has no «№»: the sender's own encoder made it «?».
    expect((await get('koi8r-8bit')).text.trim()).toBe(TEXT.replace('№', '?'));
    const html = await get('cp1251-b64-html');
    expect(html.html).toContain(`<p>${TEXT}</p>`);
    expect(html.text).toBe(TEXT);
  });

  it('knows every common label of windows-1251', async () => {
    expect((await get('charset-cp-1251-alias')).text.trim()).toBe(TEXT);
  });

  it('reads windows-1251 bodies with a missing, unknown or wrong charset, but keeps UTF-8 with a stray bad byte', async () => {
    for (const key of ['cp1251-nocontenttype', 'charset-unknown', 'charset-lies-utf8']) {
      expect((await get(key)).text.trim(), key).toBe(TEXT);
    }
    const meta = await get('html-meta-cp1251');
    expect(meta.html).toContain(TEXT);
    expect(meta.text).toBe(TEXT);
    expect((await get('utf8-one-bad-byte')).text.trim()).toBe('Счёт \uFFFD оплачен');
  });

  it('decodes encoded words and raw UTF-8 in subjects and addresses', async () => {
    expect((await get('subj-split')).subject).toBe('Коммерческое предложение на поставку насосов');
    // RFC 2047: white space between adjacent encoded words is dropped, even across charsets.
    expect((await get('subj-mixed-cs')).subject).toBe('Счёти акт plain сверки');
    expect((await get('subj-broken-char')).subject).toBe('Привет мир');
    expect((await get('subj-broken-char-q')).subject).toBe('Привет мир');
    expect((await get('subj-lang')).subject).toBe('Тема с языком');
    expect((await get('subj-unknown-cs')).subject).toBe('abc tail');
    expect((await get('subj-re-nospace')).subject).toBe('RE:Ответ');
    const raw = await get('subj-raw-utf8');
    expect(raw.subject).toBe('Сырой заголовок UTF-8');
    expect(raw.from).toEqual({ name: 'Иван Сидоров', email: 'ivan@example.ru' });
    const q = await get('from-quoted-ew');
    expect(q.from).toEqual({ name: 'Мария Иванова', email: 'maria@example.ru' });
    expect(q.to).toEqual([
      { name: 'Отдел снабжения', email: 'supply@example.ru' },
      { name: 'Петров, Иван', email: 'petrov@example.ru' },
    ]);
    expect((await get('from-nospace')).from).toEqual({ name: 'Ольга', email: 'olga@example.ru' });
    expect((await get('group-to')).to).toEqual([]);
  });

  it('reads raw 8-bit windows-1251 headers and filenames', async () => {
    const m = await get('subj-raw-cp1251');
    expect(m.subject).toBe('Сырой заголовок cp1251');
    expect(m.from).toEqual({ name: 'Пётр Ильин', email: 'petr@example.ru' });
    expect(m.text.trim()).toBe('тело');
    const f = await get('fn-raw-cp1251');
    expect(f.attachments.map((a) => a.filename)).toEqual(['Счёт.pdf']);
    expect((await download(f, 0)).data.equals(PDF)).toBe(true);
  });

  it('lists attachments with their RFC 2231 / RFC 2047 / raw UTF-8 names, sizes and content', async () => {
    const names: Record<string, string> = {
      'fn-2231': 'Счёт №15.pdf',
      'fn-2231-cont': 'Договор поставки оборудования №2024-17 с приложениями.pdf',
      'fn-2231-cont-plain': 'very-long-file-name-continued.pdf',
      'fn-2231-cp1251': 'Акт сверки.pdf',
      'fn-2047-name': 'Счёт на оплату.pdf',
      'fn-2047-both': 'Акт.pdf',
      'fn-2047-long': 'Спецификация оборудования для объекта.xlsx',
      'fn-2047-split-char': 'Счёт.pdf',
      'fn-raw-utf8': 'Счёт сырой.pdf',
      'single-part-pdf': 'Скан.pdf',
    };
    for (const [key, name] of Object.entries(names)) {
      const m = await get(key);
      expect(m.hasAttachments, key).toBe(true);
      expect(m.attachments.map((a) => a.filename), key).toEqual([name]);
      expect(Math.abs(m.attachments[0].size - PDF.length), key).toBeLessThan(8);
      const got = await download(m, 0);
      expect(got.filename, key).toBe(name);
      expect(got.data.equals(PDF), key).toBe(true);
    }
    const zero = await get('fn-zero');
    expect(zero.attachments.map((a) => [a.filename, a.size])).toEqual([['empty.txt', 0]]);
    expect((await download(zero, 0)).data.length).toBe(0);
    const tnef = await get('winmail');
    expect(tnef.attachments.map((a) => [a.filename, a.contentType])).toEqual([['winmail.dat', 'application/ms-tnef']]);
    expect((await download(tnef, 0)).data.length).toBe(64);
    const cid = await get('inline-cid');
    expect(cid.hasAttachments).toBe(false);
    expect(cid.inlineImages['logo@x']).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
    const fwd = await get('rfc822-attached');
    expect(fwd.text.trim()).toBe('Пересылаю письмо.');
    expect(fwd.attachments.map((a) => [a.filename, a.contentType])).toEqual([['message.eml', 'message/rfc822']]);
    expect((await download(fwd, 0)).data.toString()).toContain('внутренний текст');
  });

  it('names an attachment without a filename by its type, so it opens in the right program', async () => {
    expect((await get('fn-none-pdf')).attachments.map((a) => a.filename)).toEqual(['attachment.pdf']);
    expect((await get('fn-none-nodisp')).attachments.map((a) => a.filename)).toEqual(['attachment.xls']);
  });

  it('keeps every text part of a mail split around an attachment', async () => {
    const m = await get('multi-text');
    expect(m.text).toContain('Первая часть письма.');
    expect(m.text).toContain('Вторая часть после картинки.');
    expect(m.attachments.map((a) => a.filename)).toEqual(['scan.png']);
  });

  it('stores malformed mail instead of skipping it', async () => {
    expect((h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE account_id = ?').get(accounts.gina) as { n: number }).n).toBe(good.length);
    const cut = await get('unclosed-boundary');
    expect(cut.text.trim()).toBe('Текст без закрытой границы');
    expect(cut.attachments.map((a) => a.filename)).toEqual(['cut.pdf']);
    // Broken base64 in an attachment: listed, and downloads whatever decodes.
    const bad = await get('broken-b64-attach');
    expect(bad.attachments.map((a) => a.filename)).toEqual(['bad.pdf']);
    expect((await download(bad, 0)).data.toString()).toBe('x');
    for (const key of ['no-date', 'bad-date']) {
      const m = await get(key);
      // Sorted by the delivery date instead.
      expect(Math.abs(Date.parse(m.date) - Date.now()), key).toBeLessThan(10 * 60_000);
    }
    const big = await get('huge-header');
    expect(big.references).toHaveLength(2000);
    expect(big.text).toBe('big header body');
    const [d1, d2] = [await get('dup-id-1'), await get('dup-id-2')];
    expect([d1.text, d2.text]).toEqual(['first', 'second']);
    expect(d1.messageId).toBe(d2.messageId);
    const many = await get('many-rcpt');
    expect(many.to).toHaveLength(1000);
    expect(many.to[999]).toEqual({ name: 'Получатель 999', email: 'r999@example.ru' });
    expect((await get('no-id')).messageId).toBeNull();
  });

  it('finds Cyrillic words in any charset, case and ё/е spelling', async () => {
    const bodies = [
      'Счёт cp1251', 'cp1251-qp', 'cp1251-b64-html', 'koi8r-8bit', 'ISO-8859-5 тема', 'utf8-nocharset', 'utf8-nocontenttype', 'utf8-qp', 'cp866',
      'charset-win1251-alias', 'charset-cp-1251-alias', 'cp1251-nocontenttype', 'charset-unknown', 'charset-lies-utf8', 'html-meta-cp1251',
    ];
    for (const q of ['оплатить', 'ОПЛАТИТЬ', 'насосов']) expect(await find(q), q).toEqual(expect.arrayContaining(bodies));
    for (const q of ['счет', 'Счёт', 'СЧЕТ']) expect(await find(q), q).toEqual(expect.arrayContaining([...bodies, 'Счёти акт plain сверки', 'utf8-one-bad-byte']));
    expect(await find('сверки')).toEqual(['Счёти акт plain сверки']);
    expect(await find('коммерческое предложение')).toEqual(['Коммерческое предложение на поставку насосов']);
    expect(await find('Пётр Ильин')).toEqual(['Сырой заголовок cp1251']);
    expect(await find('получатель')).toEqual(['many-rcpt']);
  });

  it('syncs past parts the server refuses to decode (broken base64, unknown or broken transfer encoding)', async () => {
    await waitSynced(h, accounts.hank, 20_000).catch(() => undefined);
    expect(stateOf(h, accounts.hank)).toBe('synced');
    const body = async (key: string) => (await get(key, refused, 'hank')).text;
    expect(await body('cp1251-8bit')).toBe(TEXT);
    expect(await body('broken-b64')).toMatch(/^Счёт №15 на оплат/);
    expect(await body('cte-unknown')).toBe(TEXT);
    expect(await body('qp-invalid')).toContain('Цена =ZZ 100 а конец');
  });
});

describe('decodeCharset', () => {
  it('keeps what TextDecoder did: BOM dropped, WHATWG-only labels, UTF-7 not decoded, a cut last character stays UTF-8', () => {
    expect(decodeCharset(Buffer.from('\uFEFFСчёт'), 'utf-8')).toBe('Счёт');
    expect(decodeCharset(Buffer.from([0xd1, 0xf7, 0xb8, 0xf2]), 'x-cp1251')).toBe('Счёт');
    expect(decodeCharset(Buffer.from('+ADw-script+AD4-'), 'utf-7')).toBe('+ADw-script+AD4-');
    expect(decodeCharset(Buffer.from('Счёт').subarray(0, 7), 'utf-8')).toBe('Счё\uFFFD');
  });
});
