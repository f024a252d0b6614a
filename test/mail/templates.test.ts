/**
 * «Шаблоны писем»: the core's mail:templates:* requests (CRUD, unique names, Russian validation
 * errors, files kept byte for byte, the templates surviving a restart) and the compose form's pure
 * functions (placeholders, where the text goes relative to the signature, the signature left out
 * of a saved template). No mail servers: templates are local.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailService } from '../../src-main/core/mail';
import type { MailTemplateView } from '../../src-shared/ipc/mail';
import { signatureBlock } from '../../src-shared/mail-signature';
import { applyTemplate, fillPlaceholders, firstRecipientName, formatDateDMY, insertTemplateText, withoutSignature } from '../../src-renderer/mail/template-text';
import { makeService, testSecretBox, type Harness } from './helpers';

type Full = MailTemplateView & { attachmentsData: { filename: string; contentType: string; dataBase64: string }[] };

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});
function service(): Harness {
  const h = makeService({ autoStart: false });
  open.push(h);
  return h;
}
const save = (h: Harness, args: unknown) => h.mail.handle('mail:templates:save', args) as Promise<MailTemplateView>;
const list = (h: Harness) => h.mail.handle('mail:templates:list', undefined) as Promise<MailTemplateView[]>;
const get = (h: Harness, id: number) => h.mail.handle('mail:templates:get', { id }) as Promise<Full>;
const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');

describe('mail templates in the core', () => {
  it('creates, lists in Russian order, edits, renames and deletes; names are unique whatever the case or ё', async () => {
    const h = service();
    const a = await save(h, { name: 'Запрос документов', subject: 'Запрос документов по тендеру', text: 'Добрый день, {имя}!\nПросим прислать документы до {дата}.\n\n{моё_имя}' });
    await save(h, { name: 'Коммерческое предложение', text: 'Направляем КП.' });
    await save(h, { name: '  Благодарность за заявку ', text: 'Спасибо за заявку!' });
    await save(h, { name: 'Ёлочные игрушки', text: 'Ё' });
    expect((await list(h)).map((t) => t.name)).toEqual(['Благодарность за заявку', 'Ёлочные игрушки', 'Запрос документов', 'Коммерческое предложение']);
    expect(a).toMatchObject({ subject: 'Запрос документов по тендеру', attachments: [] });
    expect((await get(h, a.id)).text).toBe('Добрый день, {имя}!\nПросим прислать документы до {дата}.\n\n{моё_имя}');

    // The same name again (other case, е for ё, extra spaces) is refused, for a new one and a rename.
    await expect(save(h, { name: 'запрос  документов', text: 'x' })).rejects.toThrow('Шаблон «Запрос документов» уже есть. Выберите другое название');
    await expect(save(h, { name: 'Елочные игрушки', text: 'x' })).rejects.toThrow('Шаблон «Ёлочные игрушки» уже есть.');
    await expect(save(h, { id: a.id, name: 'КОММЕРЧЕСКОЕ ПРЕДЛОЖЕНИЕ', text: 'x' })).rejects.toThrow('уже есть');
    // Its own name in another case is fine.
    const renamed = await save(h, { id: a.id, name: 'Запрос документов (ТО)', subject: '', text: 'Новый текст, {имя}.' });
    expect(renamed).toMatchObject({ id: a.id, name: 'Запрос документов (ТО)', subject: '', text: 'Новый текст, {имя}.' });
    expect((await list(h)).filter((t) => t.name.startsWith('Запрос'))).toHaveLength(1);
    await save(h, { id: a.id, name: 'запрос документов (то)', text: 'Новый текст, {имя}.' });

    await h.mail.handle('mail:templates:delete', { id: a.id });
    expect((await list(h)).map((t) => t.name)).not.toContain('запрос документов (то)');
    await expect(get(h, a.id)).rejects.toThrow('Шаблон не найден.');
    await expect(save(h, { id: a.id, name: 'Снова', text: '' })).rejects.toThrow('Шаблон не найден.');
    // The freed name can be used again.
    await save(h, { name: 'Запрос документов', text: 'ещё раз' });
  });

  it('refuses bad input with Russian messages', async () => {
    const h = service();
    const err = (args: unknown) => save(h, args).then(() => '', (e: Error) => e.message);
    expect(await err({ name: '   ', text: 'x' })).toBe('Неверные данные запроса (name): Введите название шаблона.');
    expect(await err({ name: 'Я'.repeat(101), text: 'x' })).toBe('Неверные данные запроса (name): Название шаблона — не длиннее 100 символов.');
    expect(await err({ name: 'Я'.repeat(100), text: 'x' })).toBe('');
    expect(await err({ name: 'Две\nстроки', text: 'x' })).toContain('Название шаблона не может содержать перевод строки');
    expect(await err({ name: 'Длинный', text: 'ж'.repeat(100_001) })).toBe('Неверные данные запроса (text): Текст шаблона — не длиннее 100 000 знаков.');
    expect(await err({ name: 'Ровно сто тысяч', text: 'ж'.repeat(100_000) })).toBe('');
    const file = { filename: 'a.txt', contentType: 'text/plain', dataBase64: b64('a') };
    expect(await err({ name: 'Много файлов', text: '', attachments: Array.from({ length: 21 }, () => file) })).toBe(
      'Неверные данные запроса (attachments): В шаблоне — не больше 20 файлов.',
    );
    expect(await err({ name: 'Без имени файла', attachments: [{ ...file, filename: '' }] })).toBe('Неверные данные запроса (attachments.0.filename): У файла нет имени.');
    // Base64 of zero bytes made directly ('AAAA' is 3 of them): big files without encoding them.
    const zeros = (bytes: number) => 'A'.repeat((bytes / 3) * 4);
    // One file over 25 MB (the compose form's limit) is refused by the contract…
    expect(await err({ name: 'Большой', attachments: [{ filename: 'big.bin', dataBase64: zeros(25 * 1024 * 1024 + 5) }] })).toBe(
      'Неверные данные запроса (attachments.0.dataBase64): Файл больше 25 МБ.',
    );
    // …and files together over 25 MB by the core, counting the ones kept from before.
    const halfSize = 13 * 1024 * 1024 - 1;
    const half = zeros(halfSize);
    const t = await save(h, { name: 'Половина', attachments: [{ filename: 'half1.bin', dataBase64: half }] });
    expect(await err({ id: t.id, name: 'Половина', attachments: [{ filename: 'half2.bin', dataBase64: half }] })).toBe(
      'Файлы шаблона вместе больше 25 МБ — письмо с ними почтовые серверы не примут. Уберите часть файлов.',
    );
    expect((await get(h, t.id)).attachments).toEqual([{ index: 0, filename: 'half1.bin', contentType: 'application/octet-stream', size: halfSize }]);
    // More than 20 files counting the kept ones.
    const many = await save(h, { name: 'Много', attachments: Array.from({ length: 15 }, () => file) });
    expect(await err({ id: many.id, name: 'Много', attachments: Array.from({ length: 6 }, () => file) })).toBe('В шаблоне может быть не больше 20 файлов, а их 21.');
    expect((await err({ id: 'x', name: 'a' })).startsWith('Неверные данные запроса (id)')).toBe(true);
    await expect(h.mail.handle('mail:templates:get', { id: 0 })).rejects.toThrow('Неверные данные запроса (id)');
  });

  it('keeps files byte for byte; editing keeps, drops and adds them in order', async () => {
    const h = service();
    const bin = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const pdf = Buffer.from('%PDF-1.4 Карточка предприятия');
    const t = await save(h, {
      name: 'Комплект документов',
      text: 'Во вложении документы.',
      attachments: [
        { filename: 'Карточка предприятия.pdf', contentType: 'application/pdf', dataBase64: b64(pdf) },
        { filename: 'данные.bin', dataBase64: b64(bin) },
      ],
    });
    expect(t.attachments).toEqual([
      { index: 0, filename: 'Карточка предприятия.pdf', contentType: 'application/pdf', size: pdf.length },
      { index: 1, filename: 'данные.bin', contentType: 'application/octet-stream', size: 256 },
    ]);
    const full = await get(h, t.id);
    expect(full.attachmentsData.map((a) => a.filename)).toEqual(['Карточка предприятия.pdf', 'данные.bin']);
    expect(Buffer.from(full.attachmentsData[1].dataBase64, 'base64').equals(bin)).toBe(true);
    expect(Buffer.from(full.attachmentsData[0].dataBase64, 'base64').toString()).toBe('%PDF-1.4 Карточка предприятия');

    // Text edited without sending the files again: they stay.
    await save(h, { id: t.id, name: 'Комплект документов', text: 'Новый текст.' });
    expect((await get(h, t.id)).attachmentsData).toHaveLength(2);
    // The first dropped, a new one added: renumbered 0, 1.
    const edited = await save(h, { id: t.id, name: 'Комплект документов', text: 'Новый текст.', keepAttachments: [1], attachments: [{ filename: 'Устав.txt', contentType: 'text/plain', dataBase64: b64('Устав ООО') }] });
    expect(edited.attachments.map((a) => [a.index, a.filename])).toEqual([[0, 'данные.bin'], [1, 'Устав.txt']]);
    const after = await get(h, t.id);
    expect(Buffer.from(after.attachmentsData[0].dataBase64, 'base64').equals(bin)).toBe(true);
    expect(Buffer.from(after.attachmentsData[1].dataBase64, 'base64').toString()).toBe('Устав ООО');
    expect((await list(h))[0].attachments.map((a) => a.size)).toEqual([256, Buffer.byteLength('Устав ООО')]);

    await h.mail.handle('mail:templates:delete', { id: t.id });
    expect(h.db.prepare('SELECT COUNT(*) AS n FROM mail_template_files').get()).toEqual({ n: 0 });
  });

  it('survives closing and reopening the database (the app restarted)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asgard-templates-'));
    const file = join(dir, 'app.db');
    try {
      const box = testSecretBox();
      const db1 = new Database(file);
      db1.pragma('journal_mode = WAL');
      const m1 = createMailService({ db: db1, secretBox: box, dataDir: dir, autoStart: false });
      const t = (await m1.handle('mail:templates:save', {
        name: 'Благодарность за заявку',
        subject: 'Спасибо, {имя}!',
        text: 'Заявка получена {дата}.',
        attachments: [{ filename: 'Прайс.csv', contentType: 'text/csv', dataBase64: b64('Позиция;Цена\nБетон;5200\n') }],
      })) as MailTemplateView;
      await m1.stop();
      db1.close();

      const db2 = new Database(file);
      const m2 = createMailService({ db: db2, secretBox: box, dataDir: dir, autoStart: false });
      const again = (await m2.handle('mail:templates:get', { id: t.id })) as Full;
      expect(again).toMatchObject({ name: 'Благодарность за заявку', subject: 'Спасибо, {имя}!', text: 'Заявка получена {дата}.' });
      expect(Buffer.from(again.attachmentsData[0].dataBase64, 'base64').toString()).toBe('Позиция;Цена\nБетон;5200\n');
      // The migration ran once: its version recorded, nothing applied twice.
      expect((db2.prepare("SELECT COUNT(*) AS n FROM mail_migrations WHERE name LIKE '%Шаблоны писем%'").get() as { n: number }).n).toBe(1);
      await m2.stop();
      db2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('template text in the compose form', () => {
  const date = new Date(2025, 2, 7, 23, 59);
  const SIG = 'С уважением,\nХана Ли\nАСГАРД-Сервис';
  const block = signatureBlock(SIG);

  it('fills {имя}, {дата}, {моё_имя}; a recipient without a name gives an empty name', () => {
    expect(formatDateDMY(date)).toBe('07.03.2025');
    const v = { recipientName: 'Алексей Морозов', myName: 'Хана Ли', date };
    expect(fillPlaceholders('Добрый день, {имя}! Сегодня {дата}.\n{моё_имя}', v)).toBe('Добрый день, Алексей Морозов! Сегодня 07.03.2025.\nХана Ли');
    // As people type them; unknown ones stay as written; every occurrence is filled.
    expect(fillPlaceholders('{Имя} { дата } {мое_имя} {МОЁ ИМЯ} {имя} {фамилия} {}', v)).toBe('Алексей Морозов 07.03.2025 Хана Ли Хана Ли Алексей Морозов {фамилия} {}');
    // A name holding «$&» or braces is put in as it is.
    expect(fillPlaceholders('Уважаемый {имя}', { ...v, recipientName: 'ООО «Рога & $& Копыта» {имя}' })).toBe('Уважаемый ООО «Рога & $& Копыта» {имя}');

    expect(firstRecipientName('Алексей Морозов <morozov@stroyinvest.ru>, Пётр <p@x.ru>')).toBe('Алексей Морозов');
    expect(firstRecipientName('"Петров, Иван" <ivan@x.ru>; b@y.ru')).toBe('Петров, Иван');
    expect(firstRecipientName('morozov@stroyinvest.ru, Пётр <p@x.ru>')).toBe('');
    expect(firstRecipientName('<morozov@stroyinvest.ru>')).toBe('');
    expect(firstRecipientName('morozov@stroyinvest.ru <morozov@stroyinvest.ru>')).toBe('');
    expect(firstRecipientName('')).toBe('');
    expect(fillPlaceholders('Добрый день, {имя}!', { ...v, recipientName: firstRecipientName('zakupki@example.ru') })).toBe('Добрый день, !');
  });

  it('puts the text at the caret, above the signature, or in place of an empty body', () => {
    // New mail: only the signature (as prefilled) — the template takes the empty place above it.
    expect(insertTemplateText(`\n\n${block}`, null, 'Шаблон', SIG)).toEqual({ text: `Шаблон\n\n${block}`, cursor: 6 });
    expect(insertTemplateText('', 3, 'Шаблон', SIG)).toEqual({ text: 'Шаблон', cursor: 6 });
    expect(insertTemplateText('  \n', null, 'Шаблон', '')).toEqual({ text: 'Шаблон', cursor: 6 });
    // A reply: above the signature, the quote under it untouched.
    const reply = `\n\n${block}\n\n7 марта 2025 г., Боб пишет:\n> Ждём ответа.\n`;
    expect(insertTemplateText(reply, null, 'Спасибо!', SIG).text).toBe(`Спасибо!\n\n${block}\n\n7 марта 2025 г., Боб пишет:\n> Ждём ответа.\n`);
    // Written text with the caret in the middle: there.
    const body = `Добрый день!\n\nДо встречи.\n\n${block}`;
    const mid = body.indexOf('До встречи');
    expect(insertTemplateText(body, mid, 'Прошу прислать документы.\n', SIG)).toEqual({
      text: `Добрый день!\n\nПрошу прислать документы.\nДо встречи.\n\n${block}`,
      cursor: mid + 'Прошу прислать документы.\n'.length,
    });
    // The caret in the signature or the quote: after the written text, above the signature.
    expect(insertTemplateText(body, body.length - 3, 'Текст', SIG).text).toBe(`Добрый день!\n\nДо встречи.\n\nТекст\n\n${block}`);
    expect(insertTemplateText(`Да.\n\n${reply.trimStart()}`, 200, 'Текст', SIG).text.startsWith(`Да.\n\nТекст\n\n${block}\n\n7 марта`)).toBe(true);
    // Right before the "-- " line: the signature keeps its own line.
    const at = body.indexOf('-- ');
    expect(insertTemplateText(body, at, 'Текст', SIG).text).toBe(`Добрый день!\n\nДо встречи.\n\nТекст\n\n${block}`);
    // Written text, caret never placed: at the top.
    expect(insertTemplateText(body, null, 'Текст', SIG).text).toBe(`Текст\n\n${body}`);
    // No signature on the account: a "-- " line in the text (a forwarded letter's) is not ours.
    expect(insertTemplateText('Привет\n-- \nчужая подпись', 100, 'Т', '').text).toBe('Привет\n-- \nчужая подписьТ');
  });

  it('leaves the signature out of a saved template and sets only an empty subject', () => {
    expect(withoutSignature(`\n\nДобрый день, {имя}!\nПросим прислать документы.\n\n${block}`, SIG)).toBe('Добрый день, {имя}!\nПросим прислать документы.');
    // The user edited the signature in the letter: still cut at its "-- " line.
    expect(withoutSignature(`Текст\n\n-- \nдругая подпись`, SIG)).toBe('Текст');
    expect(withoutSignature('Текст\n-- \nне подпись', '')).toBe('Текст\n-- \nне подпись');

    const tpl = { subject: 'Запрос документов для {имя}', text: 'Добрый день, {имя}!' };
    const form = { text: `\n\n${block}`, subject: '', cursor: null, to: 'Алексей Морозов <morozov@stroyinvest.ru>', signature: SIG, myName: 'Хана Ли', now: date };
    expect(applyTemplate(form, tpl)).toEqual({ subject: 'Запрос документов для Алексей Морозов', text: `Добрый день, Алексей Морозов!\n\n${block}`, cursor: 'Добрый день, Алексей Морозов!'.length });
    expect(applyTemplate({ ...form, subject: 'Re: Счёт на оплату' }, tpl).subject).toBe('Re: Счёт на оплату');
    expect(applyTemplate({ ...form, subject: '  ' }, { ...tpl, subject: '' }).subject).toBe('  ');
  });
});
