/**
 * The mail UI end to end in Debian's Chromium: the built renderer, telephony from the renderer's
 * fake core, and every `mail:*` request and event going to the real mail service in this test
 * process (real Dovecot + SMTP). Adds an account on `#/mail/settings` (check before saving,
 * Russian errors), reads a hostile HTML mail (sandboxed, images blocked), searches, replies,
 * sees mails on a contact's card. Screenshots go to test-results/.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { contentSecurityPolicy } from '../../src-main/core/csp';
import { buildRenderer, launchBrowser, screenshot, serveDir } from '../support/browser';
import { answerConfirm } from '../support/confirm';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { openMailPage } from './browser-page';
import { folderId, imapClient, makeService, waitFor, type Harness } from './helpers';

const hana = { user: 'hana@example.test', pass: 'hana-app-password' };
let dc: Dovecot;
let smtp: TestSmtp;
let h: Harness;
let browser: Browser;
let site: { url: string; close(): Promise<void> };
let built: { dir: string; cleanup(): void };
let tracker: Server;
let trackerUrl = '';
const trackerHits: string[] = [];
/** «Отмена отправки» as the core reads it: off, except in the test of the undo toast. */
let undoSendMs = 0;

beforeAll(async () => {
  tracker = createServer((req, res) => {
    trackerHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));
  });
  await new Promise<void>((r) => tracker.listen(0, '127.0.0.1', () => r()));
  trackerUrl = `http://127.0.0.1:${(tracker.address() as { port: number }).port}`;

  dc = await startDovecot({ users: [hana, { user: 'morozov@stroyinvest.ru', pass: 'x' }] });
  smtp = await startSmtp({ dovecot: dc });
  const base = Date.UTC(2024, 5, 1, 9);
  dc.seedMaildir(hana.user, [
    ...Array.from({ length: 1500 }, (_, i) =>
      rawMessage({ from: `Рассылка <news${i % 7}@example.org>`, subject: `Новости склада №${i}`, text: `Остатки на складе, выпуск ${i}`, date: new Date(base + i * 60_000), messageId: `<n${i}@example.org>` }),
    ),
    rawMessage({
      from: 'Алексей Морозов <morozov@stroyinvest.ru>',
      subject: 'Счёт на оплату по договору 17',
      html: `<h2>Счёт на оплату</h2><p>Добрый день! Во вложении счёт.</p><img src="${trackerUrl}/pixel.png" alt="трекер"><script>fetch('${trackerUrl}/script')</script><form action="${trackerUrl}/phish"><input name="p"></form><a href="javascript:alert(1)">ссылка</a>`,
      text: 'Счёт на оплату',
      date: new Date(base + 2000 * 60_000),
      messageId: '<invoice17@stroyinvest.ru>',
    }),
  ]);
  // The tracker stands in for a site on the internet: the only loopback port images may come from.
  const trackerPort = (tracker.address() as { port: number }).port;
  h = makeService({ sync: { initialBackoffMs: 200, maxBackoffMs: 1000, pollMs: 60_000 }, undoSendMs: () => undoSendMs, imageAddresses: (address, port) => port === trackerPort && /^(::ffff:)?127\.0\.0\.1$/.test(address) });
  built = await buildRenderer();
  site = await serveDir(built.dir, { 'content-security-policy': contentSecurityPolicy() });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  built?.cleanup();
  await h?.close();
  await smtp?.close();
  await dc?.stop();
  tracker?.close();
});

/** Opens the app: telephony answered by the renderer's fake, mail by the real service. */
// Two shared cores and other suites running: give the real servers time.
const openApp = (hash: string) => openMailPage(browser, site.url, h.mail, hash, { width: 1400, height: 880, timeoutMs: 60_000, totalCalls: 50 });

describe('mail UI (chromium, real mail service)', () => {
  it('adds an account: preset, app-password hint, check before saving with Russian errors, save', async () => {
    const { page, errors } = await openApp('/mail');
    await page.getByTestId('mail-connect').click();
    await page.getByTestId('mail-account-form').waitFor();
    await expect(page.getByTestId('mail-settings-back').textContent()).resolves.toBe('← К письмам');
    // Presets fill the servers; the password field says to use an app password.
    await page.getByTestId('mail-preset').selectOption('yandex');
    await expect(page.getByLabel('IMAP сервер').inputValue()).resolves.toBe('imap.yandex.ru');
    await expect(page.getByLabel('SMTP порт').inputValue()).resolves.toBe('465');
    await expect(page.getByText('Пароль приложения, а не основной пароль от почты.', { exact: false }).first().isVisible()).resolves.toBe(true);
    await screenshot(page, 'mail-settings-yandex');

    await page.getByTestId('mail-preset').selectOption('custom');
    await page.getByTestId('mail-email').fill(hana.user);
    await page.getByLabel('IMAP сервер').fill('127.0.0.1');
    await page.getByLabel('IMAP порт').fill(String(dc.port));
    await page.getByLabel('Шифрование').first().selectOption('none');
    await page.getByLabel('SMTP сервер').fill('127.0.0.1');
    await page.getByLabel('SMTP порт').fill(String(smtp.port));
    await page.getByLabel('Шифрование').nth(1).selectOption('none');
    // «Без шифрования» is shown whole, not cut to «Без шифрован».
    const fits = await page.getByLabel('Шифрование').first().evaluate((el: HTMLSelectElement) => {
      const probe = document.createElement('span');
      probe.style.cssText = `position:absolute;visibility:hidden;white-space:nowrap;font:${getComputedStyle(el).font}`;
      probe.textContent = el.selectedOptions[0].textContent;
      document.body.append(probe);
      const need = probe.getBoundingClientRect().width;
      probe.remove();
      return need + 24 <= el.clientWidth;
    });
    expect(fits).toBe(true);
    await page.getByTestId('mail-password').fill('wrong-password');
    await page.getByTestId('mail-check').click();
    const result = page.getByTestId('mail-check-result');
    await result.waitFor();
    await expect(result.textContent()).resolves.toContain('IMAP-сервер не принял логин или пароль.');
    await expect(result.textContent()).resolves.toContain('Используйте пароль приложения, а не основной пароль от почты');
    await screenshot(page, 'mail-settings-check-failed');

    await page.getByTestId('mail-password').fill(hana.pass);
    await page.getByLabel('Подпись').fill('С уважением,\nХана Ли\nАСГАРД-Сервис');
    await page.getByTestId('mail-check').click();
    await page.getByText('Вход по IMAP выполнен', { exact: false }).waitFor();
    await page.getByText('SMTP-сервер принял вход', { exact: false }).waitFor();
    await page.getByTestId('mail-save').click();
    await page.getByText('Ящик сохранён').waitFor();
    await page.getByTestId('mail-send-test').click();
    await page.getByText('Письмо пришло во «Входящие»', { exact: false }).waitFor({ timeout: 100_000 });
    await screenshot(page, 'mail-settings-saved');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('lists mail virtualized with unread in bold, reads hostile HTML safely, searches, replies', async () => {
    const acc = (await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[];
    await waitFor(() => h.mail.internals.syncs.get(acc[0].id)?.state.state === 'synced', 'synced', 60_000);
    const { page, errors } = await openApp('/mail');
    const rows = page.getByTestId('mail-row');
    await rows.first().waitFor();
    await expect(page.getByTestId('mail-subject').count()).resolves.toBe(0);
    // 1500+ messages, only the visible rows are in the DOM.
    expect(await rows.count()).toBeLessThan(60);
    // A row holds its three lines whole (the virtualizer's row height and the CSS agree).
    const fit = await rows.first().evaluate((row) => {
      const box = row.getBoundingClientRect();
      const wrap = row.parentElement!.getBoundingClientRect();
      const lines = ['.mail-row-top', '.mail-row-subject', '.mail-row-snippet'].map((c) => row.querySelector(c)!.getBoundingClientRect());
      return { row: box.height, wrap: wrap.height, overflow: row.scrollHeight - row.clientHeight, lastBottom: lines[2].bottom, rowBottom: box.bottom - 1 };
    });
    expect(fit.row).toBe(fit.wrap);
    expect(fit.overflow).toBeLessThanOrEqual(0);
    expect(fit.lastBottom).toBeLessThanOrEqual(fit.rowBottom);
    const first = rows.filter({ hasText: 'Счёт на оплату по договору 17' });
    await expect(first.count()).resolves.toBe(1);
    await expect(first.getAttribute('class')).resolves.toContain('unread');
    const weight = await first.locator('.mail-row-subject').evaluate((el) => getComputedStyle(el).fontWeight);
    expect(Number(weight)).toBeGreaterThanOrEqual(700);

    trackerHits.length = 0;
    await first.click();
    await page.getByTestId('mail-reader').waitFor();
    await page.getByTestId('mail-images-blocked').waitFor();
    const frame = page.frameLocator('[data-testid="mail-frame"]');
    await expect(frame.locator('h2').textContent()).resolves.toBe('Счёт на оплату');
    await expect(frame.locator('script, form, input').count()).resolves.toBe(0);
    await expect(page.getByTestId('mail-frame').getAttribute('sandbox')).resolves.toBe('allow-popups allow-popups-to-escape-sandbox');
    await page.waitForTimeout(500);
    expect(trackerHits).toEqual([]);
    await screenshot(page, 'mail-reader-images-blocked');
    // Opening marked it read.
    await expect(first.getAttribute('class')).resolves.not.toContain('unread');

    await page.getByTestId('mail-images-allow').click();
    await waitFor(() => trackerHits.includes('/pixel.png'), 'the core fetched the allowed image');
    await expect(frame.locator('img[alt="трекер"]').evaluate((img: HTMLImageElement) => img.src.startsWith('data:image/png'))).resolves.toBe(true);
    expect(trackerHits).not.toContain('/script');
    await screenshot(page, 'mail-reader-images-allowed');

    // Another unread message, opened while one is shown: the reader shows it, and keeps showing
    // it once the marking read has changed the folder. Answers come late here, as from a busy
    // core: the folder's change arrives first, and the quiet refresh it starts for the previous
    // message answers after the new one, which it must not replace.
    await page.evaluate(() => {
      const api = (window as unknown as { asgard: { invoke(n: string, a: { markSeen?: boolean }): Promise<unknown> } }).asgard;
      const invoke = api.invoke.bind(api);
      const late = (ms: number) => (v: unknown) => new Promise((r) => setTimeout(() => r(v), ms));
      api.invoke = (n, a) => (n === 'mail:messages:get' ? invoke(n, a).then(late(a.markSeen ? 400 : 800)) : invoke(n, a));
    });
    const next = rows.filter({ has: page.locator('.mail-row-subject') }).and(page.locator('.unread')).first();
    const nextSubject = ((await next.locator('.mail-row-subject').textContent()) ?? '').trim();
    await next.click();
    await waitFor(async () => (await page.getByTestId('mail-subject').textContent()) === nextSubject, 'the next message in the reader');
    await page.waitForTimeout(1500);
    await expect(page.getByTestId('mail-subject').textContent()).resolves.toBe(nextSubject);
    await first.click();
    await waitFor(async () => (await page.getByTestId('mail-subject').textContent()) === 'Счёт на оплату по договору 17', 'back to the first message');

    // A folder's own list names no folder; a search (across the account's folders) does, per row.
    await expect(page.getByTestId('mail-row-folder').count()).resolves.toBe(0);
    await page.getByTestId('mail-search').fill('выпуск 1499');
    await waitFor(async () => (await rows.count()) === 1 && (await rows.first().textContent())?.includes('Новости склада №1499'), 'search result');
    await expect(rows.first().getByTestId('mail-row-folder').textContent()).resolves.toBe('Входящие');
    await screenshot(page, 'mail-search-folder-chip');
    await page.getByTestId('mail-search').fill('');

    await page.getByTestId('mail-reply').click();
    await page.getByTestId('mail-compose-page').waitFor();
    await waitFor(async () => (await page.getByTestId('compose-subject').inputValue()) === 'Re: Счёт на оплату по договору 17', 'prefilled subject');
    await expect(page.getByTestId('compose-to').inputValue()).resolves.toBe('Алексей Морозов <morozov@stroyinvest.ru>');
    // The signature saved with the account stands above the quote.
    const prefilled = await page.getByTestId('compose-text').inputValue();
    expect(prefilled.startsWith('\n\n-- \nС уважением,\nХана Ли\nАСГАРД-Сервис\n\n')).toBe(true);
    // The text has the focus with the caret at its start, above the signature and the quote.
    await waitFor(
      () => page.getByTestId('compose-text').evaluate((ta: HTMLTextAreaElement) => document.activeElement === ta && ta.selectionStart === 0 && ta.selectionEnd === 0 && ta.scrollTop === 0),
      'the caret at the start of the reply',
    );
    await page.getByTestId('compose-text').type('Спасибо, оплатим сегодня.');
    await screenshot(page, 'mail-compose-reply');
    await page.getByTestId('compose-send').click();
    await page.getByText('Письмо отправлено', { exact: true }).waitFor();
    const sent = smtp.received.find((m) => m.to.includes('morozov@stroyinvest.ru'));
    expect(sent?.raw.toString()).toContain('In-Reply-To: <invoice17@stroyinvest.ru>');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('shows the mails on a contact card and writes from there', async () => {
    const { page, errors } = await openApp('/contacts/1');
    const box = page.getByTestId('contact-mails');
    await box.waitFor();
    await waitFor(async () => (await box.textContent())?.includes('Счёт на оплату по договору 17'), 'contact mails');
    await screenshot(page, 'mail-contact-card');
    await page.getByTestId('contact-write-mail').click();
    await page.getByTestId('mail-compose-page').waitFor();
    await waitFor(async () => (await page.getByTestId('compose-to').inputValue()) === 'morozov@stroyinvest.ru', 'to prefilled');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('suggests recipients as they are typed: people written to first, CRM contacts, keyboard and mouse', async () => {
    const [acc] = (await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[];
    // Hana wrote to Иван Сидоров; Пётр Ивлев only wrote to her.
    await dc.deliver(hana.user, rawMessage({ from: `Хана <${hana.user}>`, to: 'Иван Сидоров <ivan.sidorov@example.org>', subject: 'Поставка', date: new Date(Date.UTC(2024, 4, 1)) }), 'Sent');
    await dc.deliver(hana.user, rawMessage({ from: 'Пётр Ивлев <ivlev@example.org>', to: hana.user, subject: 'Вопрос', date: new Date(Date.UTC(2024, 4, 2)) }));
    await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
    await waitFor(async () => ((await h.mail.handle('mail:recipients:suggest', { query: 'ив' })) as { email: string }[]).length === 2, 'both synced');

    const { page, errors } = await openApp('/mail');
    await page.getByTestId('mail-compose').click();
    await page.getByTestId('mail-compose-page').waitFor();
    // The prefill (empty for a new mail) must land before typing, or it would clear the field.
    await waitFor(() => page.getByTestId('compose-send').isEnabled(), 'compose ready');
    const to = page.getByTestId('compose-to');
    await expect(to.getAttribute('role')).resolves.toBe('combobox');
    await to.click();
    await to.pressSequentially('ив');
    const list = page.getByTestId('compose-to-suggestions');
    await list.waitFor();
    await expect(list.getAttribute('role')).resolves.toBe('listbox');
    await expect(to.getAttribute('aria-expanded')).resolves.toBe('true');
    const options = list.getByRole('option');
    await expect(options.allTextContents()).resolves.toEqual(['Иван Сидоровivan.sidorov@example.org', 'Пётр Ивлевivlev@example.org']);
    await screenshot(page, 'mail-compose-suggestions');
    await to.press('ArrowDown');
    await expect(options.first().getAttribute('aria-selected')).resolves.toBe('true');
    await expect(to.getAttribute('aria-activedescendant')).resolves.toBe(await options.first().getAttribute('id'));
    await to.press('Enter');
    // Enter picked the address instead of sending the form.
    await expect(to.inputValue()).resolves.toBe('Иван Сидоров <ivan.sidorov@example.org>, ');
    await list.waitFor({ state: 'hidden' });
    await expect(page.getByTestId('mail-compose-page').isVisible()).resolves.toBe(true);

    // Copy: a CRM contact matching by name comes first, once even though the mail knows him too.
    await page.getByText('Копия и скрытая копия').click();
    const cc = page.getByTestId('compose-cc');
    await cc.pressSequentially('мор');
    const ccList = page.getByTestId('compose-cc-suggestions');
    await ccList.waitFor();
    await expect(ccList.getByRole('option').first().textContent()).resolves.toBe('Алексей Морозовmorozov@stroyinvest.ruконтакт');
    await expect(ccList.getByRole('option').filter({ hasText: 'morozov@stroyinvest.ru' }).count()).resolves.toBe(1);
    await cc.press('ArrowDown');
    await screenshot(page, 'mail-compose-suggestions-contact');
    await cc.press('Escape');
    await ccList.waitFor({ state: 'hidden' });
    await expect(cc.inputValue()).resolves.toBe('мор');
    await cc.fill('');
    await cc.pressSequentially('нов');
    await ccList.getByRole('option', { name: /novikov@mail\.ru/ }).waitFor();
    await cc.press('ArrowDown');
    await cc.press('Tab');
    await expect(cc.inputValue()).resolves.toBe('Игорь Новиков <novikov@mail.ru>, ');
    // Blind copy: a click picks.
    const bcc = page.getByTestId('compose-bcc');
    await bcc.pressSequentially('ivl');
    await page.getByTestId('compose-bcc-suggestions').getByRole('option', { name: /ivlev@example\.org/ }).click();
    await expect(bcc.inputValue()).resolves.toBe('Пётр Ивлев <ivlev@example.org>, ');

    await page.getByTestId('compose-subject').fill('Проверка подсказок адресов');
    await page.getByTestId('compose-text').fill('Добрый день!');
    await page.getByTestId('compose-send').click();
    await page.getByText('Письмо отправлено', { exact: true }).waitFor();
    const sent = smtp.received.find((m) => m.to.includes('ivan.sidorov@example.org'));
    expect(sent?.to.sort()).toEqual(['ivan.sidorov@example.org', 'ivlev@example.org', 'novikov@mail.ru']);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('moves the open message to a nested project folder from the reader', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    const other = await imapClient(dc, hana);
    await other.mailboxCreate('Проекты');
    await other.mailboxCreate('Проекты/Объект 7');
    await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
    const target = await folderId(h, acc.id, 'Проекты/Объект 7');
    const inbox = await folderId(h, acc.id, 'INBOX');
    const { page, errors } = await openApp(`/mail/f/${inbox}`);
    try {
      const rows = page.getByTestId('mail-row');
      await page.getByTestId('mail-search').fill('выпуск 1498');
      await waitFor(async () => (await rows.count()) === 1 && (await rows.first().textContent())?.includes('Новости склада №1498'), 'search result');
      await rows.first().click();
      await page.getByTestId('mail-reader').waitFor();
      const option = page.locator('[data-testid="mail-move"] option[data-path="Проекты/Объект 7"]');
      // Nested one level: indented under «Проекты».
      await expect(option.textContent()).resolves.toBe('\u00a0\u00a0\u00a0Объект 7');
      await expect(page.locator('[data-testid="mail-move"] option[data-path="INBOX"]').count()).resolves.toBe(0);
      await page.getByTestId('mail-move').selectOption(String(target));
      await page.getByText('Письмо перемещено в папку «Объект 7».').waitFor();
      await page.getByTestId('mail-reader').waitFor({ state: 'hidden' });
      const left = h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id = ? AND subject = ?').get(inbox, 'Новости склада №1498') as { n: number };
      expect(left.n).toBe(0);
      await waitFor(async () => {
        const t = (await h.mail.handle('mail:messages:list', { folderId: target, offset: 0, limit: 10 })) as { items: { subject: string }[] };
        return t.items.length === 1 && t.items[0].subject === 'Новости склада №1498';
      }, 'moved on the server and synced into the target', 30_000);
      await other.mailboxOpen('Проекты/Объект 7');
      expect((await other.fetchAll('1:*', { envelope: true })).map((m) => m.envelope?.subject)).toEqual(['Новости склада №1498']);
      await screenshot(page, 'mail-reader-moved');
      expect(errors).toEqual([]);
    } finally {
      await other.logout().catch(() => undefined);
      await page.close();
    }
  }, 120_000);

  it('checks messages in the list: Shift/Ctrl ranges, bulk read, move and delete, Ctrl+A, mark the folder read', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    const other = await imapClient(dc, hana);
    await other.mailboxCreate('Архив рассылок');
    await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
    const archive = await folderId(h, acc.id, 'Архив рассылок');
    const inbox = await folderId(h, acc.id, 'INBOX');
    const unseen = (ids: number[]) => (h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE seen = 0 AND id IN (SELECT value FROM json_each(?))').get(JSON.stringify(ids)) as { n: number }).n;
    const inboxTotal = () => (h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id = ?').get(inbox) as { n: number }).n;
    await h.mail.handle('mail:messages:setFlags', { ids: (h.db.prepare('SELECT id FROM mail_messages WHERE folder_id = ? ORDER BY id DESC LIMIT 10').all(inbox) as { id: number }[]).map((r) => r.id), seen: false });
    const { page, errors } = await openApp(`/mail/f/${inbox}`);
    try {
      const rows = page.getByTestId('mail-row');
      const boxes = page.getByTestId('mail-row-check');
      await rows.nth(8).waitFor();
      const idAt = async (i: number) => Number(await rows.nth(i).getAttribute('data-id'));
      const picked = [0, 1, 2, 3, 4, 7];
      const ids = await Promise.all(picked.map(idAt));
      // Box of the first, Shift+box of the fifth (a range), Ctrl+click on the eighth row.
      await boxes.nth(0).click();
      await boxes.nth(4).click({ modifiers: ['Shift'] });
      await rows.nth(7).click({ modifiers: ['Control'] });
      // The Shift range is read from the list asynchronously: wait for the count to settle.
      await page.getByTestId('mail-selected-count').filter({ hasText: /^Выбрано: 6$/ }).waitFor();
      // Ctrl+click checks without opening the message.
      await expect(page.getByTestId('mail-reader').count()).resolves.toBe(0);
      await screenshot(page, 'mail-list-checked');
      // Every button keeps its label on one line; the stars say what they do.
      const heights = async (sel: string) => page.locator(sel).evaluateAll((els) => els.map((el) => (el as HTMLElement).offsetHeight));
      expect(new Set(await heights('[data-testid="mail-filter"]')).size).toBe(1);
      expect(new Set(await heights('[data-testid="mail-bulk"] button.btn')).size).toBe(1);
      await expect(page.getByTestId('mail-bulk-flag').getAttribute('title')).resolves.toBe('Пометить звёздочкой');
      // The rarer actions wait in the bar's «Ещё ▾».
      await page.getByTestId('mail-bulk-more').click();
      await expect(page.getByTestId('mail-bulk-unflag').textContent()).resolves.toBe('☆ Снять пометку');
      await expect(page.getByTestId('mail-bulk-read').textContent()).resolves.toBe('Отметить прочитанным');

      await page.getByTestId('mail-bulk-read').click();
      await waitFor(() => unseen(ids) === 0, 'checked mail marked read');
      expect(unseen([await idAt(5), await idAt(6)])).toBe(2);

      const before = inboxTotal();
      await page.getByTestId('mail-bulk-move').selectOption(String(archive));
      await page.getByText('Перемещено в папку «Архив рассылок»: 6 писем.').waitFor();
      await expect(page.getByTestId('mail-selected-count').count()).resolves.toBe(0);
      expect(inboxTotal()).toBe(before - 6);
      await waitFor(async () => ((await h.mail.handle('mail:messages:list', { folderId: archive, offset: 0, limit: 10 })) as { total: number }).total === 6, 'moved and synced into the archive', 30_000);
      await other.mailboxOpen('Архив рассылок');
      expect((await other.fetchAll('1:*', { flags: true })).every((m) => m.flags?.has('\\Seen'))).toBe(true);

      // Dragged onto a folder in the pane: the checked messages when the row is one of them, else the row alone.
      const archiveLink = page.locator('[data-testid="mail-folder"][data-path="Архив рассылок"]');
      const archiveTotal = async () => ((await h.mail.handle('mail:messages:list', { folderId: archive, offset: 0, limit: 1 })) as { total: number }).total;
      const pair = [await idAt(0), await idAt(1)];
      await boxes.nth(0).click();
      await boxes.nth(1).click();
      await rows.nth(1).dragTo(archiveLink);
      await page.getByText('Перемещено в папку «Архив рассылок»: 2 письма.').waitFor();
      await expect(page.getByTestId('mail-selected-count').count()).resolves.toBe(0);
      const single = await idAt(3);
      await rows.nth(3).dragTo(archiveLink);
      // One message: the reader's wording.
      await page.getByText('Письмо перемещено в папку «Архив рассылок».').waitFor();
      const left = h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id = ? AND id IN (?, ?, ?)').get(inbox, ...pair, single) as { n: number };
      expect(left.n).toBe(0);
      await waitFor(async () => (await archiveTotal()) === 9, 'dragged mail in the archive', 30_000);
      // Not onto the folder it is in.
      await rows.nth(0).dragTo(page.locator('[data-testid="mail-folder"][data-path="INBOX"]'));
      expect(inboxTotal()).toBe(before - 9);

      // Ctrl+A checks the whole folder; Esc lets go.
      await rows.first().focus();
      await page.keyboard.press('Control+A');
      // The ids come from the core: wait for them.
      await page.getByTestId('mail-selected-count').filter({ hasText: `Выбрано: ${inboxTotal().toLocaleString('ru-RU')}` }).waitFor();
      await expect(page.getByTestId('mail-select-all').isChecked()).resolves.toBe(true);
      await page.keyboard.press('Escape');
      await expect(page.getByTestId('mail-selected-count').count()).resolves.toBe(0);

      // Checked, then deleted by another client: it leaves the selection when the sync sees it go.
      const lost = await idAt(1);
      await boxes.nth(0).click();
      await boxes.nth(1).click();
      await page.getByTestId('mail-selected-count').filter({ hasText: /^Выбрано: 2$/ }).waitFor();
      const { uid: lostUid } = h.db.prepare('SELECT uid FROM mail_messages WHERE id = ?').get(lost) as { uid: number };
      await other.mailboxOpen('INBOX');
      await other.messageDelete(String(lostUid), { uid: true });
      await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
      await waitFor(() => !h.db.prepare('SELECT 1 FROM mail_messages WHERE id = ?').get(lost), 'the deletion synced', 30_000);
      await page.getByTestId('mail-selected-count').filter({ hasText: /^Выбрано: 1$/ }).waitFor();
      await boxes.nth(0).click();
      await expect(page.getByTestId('mail-selected-count').count()).resolves.toBe(0);

      // Delete on two checked: to Trash.
      const trash = await folderId(h, acc.id, 'Trash');
      const trashBefore = ((await h.mail.handle('mail:messages:list', { folderId: trash, offset: 0, limit: 1 })) as { total: number }).total;
      const gone = [await idAt(0), await idAt(1)];
      await boxes.nth(0).click();
      await boxes.nth(1).click();
      await page.keyboard.press('Delete');
      await page.getByText('Удалено: 2 письма.').waitFor();
      expect(h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE id IN (?, ?)').get(...gone)).toEqual({ n: 0 });
      await waitFor(async () => ((await h.mail.handle('mail:messages:list', { folderId: trash, offset: 0, limit: 1 })) as { total: number }).total === trashBefore + 2, 'deleted mail in Trash', 30_000);

      // Delete with nothing checked: the open message goes, and the reader with it.
      const open = await idAt(0);
      await rows.nth(0).click();
      await page.getByTestId('mail-reader').waitFor();
      await rows.nth(0).focus();
      await page.keyboard.press('Delete');
      await page.getByText('Удалено: 1 письмо.').waitFor();
      await page.getByTestId('mail-reader').waitFor({ state: 'detached' });
      expect(h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE id = ?').get(open)).toEqual({ n: 0 });

      // «Отменить» in that toast: the message is back in the list, once.
      await page.locator('.toast', { hasText: 'Удалено: 1 письмо.' }).getByTestId('mail-undo').click();
      await page.getByText('Возвращено: 1 письмо.').waitFor();
      await page.locator(`[data-testid="mail-row"][data-id="${open}"]`).waitFor();
      expect(h.db.prepare('SELECT folder_id FROM mail_messages WHERE id = ?').all(open)).toEqual([{ folder_id: inbox }]);

      // «Отметить все как прочитанные»: the folder's badge goes, nothing unread is left.
      await page.getByTestId('mail-mark-all-read').click();
      await page.getByText(/^Отмечено прочитанными: /).waitFor();
      expect((h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id = ? AND seen = 0').get(inbox) as { n: number }).n).toBe(0);
      await page.locator(`[data-testid="mail-folder"][data-path="INBOX"] .count-badge`).waitFor({ state: 'detached' });
      await expect(page.getByTestId('mail-mark-all-read').count()).resolves.toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await other.logout().catch(() => undefined);
      await page.close();
    }
  }, 180_000);

  it('moves through the list with ↑/↓; attaches files dropped on or pasted into the compose form', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    const inbox = await folderId(h, acc.id, 'INBOX');
    const { page, errors } = await openApp(`/mail/f/${inbox}`);
    try {
      const rows = page.getByTestId('mail-row');
      await rows.nth(3).waitFor();
      const ids = await Promise.all([0, 1, 2].map(async (i) => Number(await rows.nth(i).getAttribute('data-id'))));
      await rows.nth(0).click();
      await page.getByTestId('mail-reader').waitFor();
      const openId = () => page.evaluate(() => Number(/\/m\/(\d+)/.exec(location.hash)?.[1] ?? 0));
      await page.keyboard.press('ArrowDown');
      await waitFor(async () => (await openId()) === ids[1], 'the second message open');
      await page.keyboard.press('ArrowDown');
      await waitFor(async () => (await openId()) === ids[2], 'the third message open');
      await page.keyboard.press('ArrowUp');
      await waitFor(async () => (await openId()) === ids[1], 'back to the second');
      // Focus follows the open message (a frame after it renders).
      await waitFor(async () => (await page.evaluate(() => document.activeElement?.getAttribute('data-id'))) === String(ids[1]), 'focus on the second row');

      await page.getByTestId('mail-compose').click();
      await page.getByTestId('compose-to').fill('ivlev@example.org');
      await page.getByTestId('compose-subject').fill('Смета и скриншот');
      await page.getByTestId('compose-text').fill('Во вложении.');
      // A file dropped on the form, as the desktop's file manager drops it.
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['Позиция;Цена\nБетон М300;5200\n'], 'Смета объект 7.csv', { type: 'text/csv' }));
        const form = document.querySelector('[data-testid="mail-compose-page"] form')!;
        form.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        form.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      // A screenshot pasted into the text.
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0))], 'image.png', { type: 'image/png' }));
        document.querySelector('[data-testid="compose-text"]')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      });
      await page.locator('.mail-att-name', { hasText: 'Смета объект 7.csv' }).waitFor();
      await page.locator('.mail-att-name', { hasText: 'image.png' }).waitFor();
      await expect(page.getByTestId('compose-text').inputValue()).resolves.toContain('Во вложении.');
      await page.getByTestId('compose-send').click();
      await page.getByText('Письмо отправлено', { exact: true }).waitFor();
      const parsed = await simpleParser(smtp.received.filter((m) => m.to.includes('ivlev@example.org')).at(-1)!.raw);
      expect(parsed.subject).toBe('Смета и скриншот');
      expect(parsed.attachments.map((a) => [a.filename, a.contentType]).sort()).toEqual([['image.png', 'image/png'], ['Смета объект 7.csv', 'text/csv']]);
      expect(parsed.attachments.find((a) => a.filename === 'Смета объект 7.csv')!.content.toString()).toContain('Бетон М300;5200');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('files mail as spam (checked ones, and the open one), takes it back, and empties Spam after asking', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    const inbox = await folderId(h, acc.id, 'INBOX');
    const junk = await folderId(h, acc.id, 'Junk');
    const count = (folder: number) => (h.db.prepare('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id = ?').get(folder) as { n: number }).n;
    const { page, errors } = await openApp(`/mail/f/${inbox}`);
    try {
      const rows = page.getByTestId('mail-row');
      await rows.nth(3).waitFor();
      const spam = [Number(await rows.nth(0).getAttribute('data-id')), Number(await rows.nth(1).getAttribute('data-id'))];
      const opened = Number(await rows.nth(2).getAttribute('data-id'));
      await page.getByTestId('mail-row-check').nth(0).click();
      await page.getByTestId('mail-row-check').nth(1).click();
      await page.getByTestId('mail-bulk-more').click();
      await page.getByTestId('mail-bulk-spam').click();
      await page.getByText('Перемещено в папку «Спам»: 2 письма.').waitFor();
      await page.locator(`[data-testid="mail-row"][data-id="${opened}"]`).click();
      await page.getByTestId('mail-spam').click();
      await page.getByText('Письмо перемещено в папку «Спам».').waitFor();
      await waitFor(async () => ((await h.mail.handle('mail:messages:list', { folderId: junk, offset: 0, limit: 10 })) as { total: number }).total === 3, 'three in Spam', 30_000);
      expect(h.db.prepare(`SELECT COUNT(*) AS n FROM mail_messages WHERE id IN (${[...spam, opened].join(',')})`).get()).toEqual({ n: 0 });

      // In Spam: «Не спам» takes one back to the inbox; «Очистить спам» asks, then deletes the rest for good.
      await page.locator('[data-testid="mail-folder"][data-path="Junk"]').click();
      await rows.nth(2).waitFor();
      const inboxBefore = count(inbox);
      await page.getByTestId('mail-row-check').nth(0).click();
      await page.getByTestId('mail-bulk-more').click();
      await page.getByTestId('mail-bulk-not-spam').click();
      await page.getByText('Письмо перемещено в папку «Входящие».').waitFor();
      await waitFor(() => count(inbox) === inboxBefore + 1, 'back in the inbox', 30_000);
      await page.getByTestId('mail-empty-folder').click();
      expect(await answerConfirm(page, true)).toEqual({ question: 'Удалить навсегда 2 письма из этой папки? Восстановить их будет нельзя.', confirm: 'Удалить навсегда' });
      await page.getByText('Удалено: 2 письма.').waitFor();
      expect(count(junk)).toBe(0);
      await waitFor(async () => {
        const c = await imapClient(dc, hana);
        try {
          return (await c.mailboxOpen('Junk')).exists === 0;
        } finally {
          await c.logout().catch(() => undefined);
        }
      }, 'Spam empty on the server', 30_000);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('«Отменить» in the toast after «Отправить» reopens the compose form with the text, and nothing is sent', async () => {
    undoSendMs = 20_000;
    const before = smtp.received.length;
    const { page, errors } = await openApp('/mail');
    try {
      await page.getByTestId('mail-compose').click();
      await page.getByTestId('mail-compose-page').waitFor();
      await waitFor(() => page.getByTestId('compose-send').isEnabled(), 'compose ready');
      await page.getByTestId('compose-to').fill('ivlev@example.org');
      await page.getByTestId('compose-subject').fill('Передумал отправлять');
      await page.getByTestId('compose-text').fill('Черновик сметы, ещё не готов.');
      await page.getByTestId('compose-send').click();
      await page.getByText('Письмо отправляется…', { exact: true }).waitFor();
      await page.getByTestId('undo-send').click();
      await page.getByTestId('mail-compose-page').waitFor();
      await waitFor(async () => (await page.getByTestId('compose-subject').inputValue()) === 'Передумал отправлять', 'the compose form back');
      await expect(page.getByTestId('compose-text').inputValue()).resolves.toContain('Черновик сметы, ещё не готов.');
      await expect(page.getByTestId('compose-to').inputValue()).resolves.toBe('ivlev@example.org');
      await screenshot(page, 'mail-undo-send');
      expect((await h.mail.handle('mail:outbox:list', {})) as unknown[]).toHaveLength(0);
      expect(smtp.received.length).toBe(before);

      // «Отмена» on a changed letter asks; «Продолжить писать» keeps it, «Сохранить в черновики» keeps it locally.
      await page.getByTestId('compose-text').press('End');
      await page.getByTestId('compose-text').type(' Дополню завтра.');
      await page.getByTestId('compose-cancel').click();
      const leave = page.getByTestId('compose-leave-dialog');
      await leave.waitFor();
      await expect(page.getByRole('dialog').getAttribute('aria-label')).resolves.toBe('Сохранить письмо в черновики?');
      await page.getByTestId('compose-leave-stay').click();
      await leave.waitFor({ state: 'detached' });
      await expect(page.getByTestId('compose-text').inputValue()).resolves.toContain('Дополню завтра.');
      await page.getByTestId('compose-cancel').click();
      await page.getByTestId('compose-leave-save').click();
      await page.getByTestId('mail-compose-page').waitFor({ state: 'detached' });
      const drafts = (await h.mail.handle('mail:drafts:list', {})) as { subject: string; text: string }[];
      expect(drafts.filter((d) => d.subject === 'Передумал отправлять').map((d) => d.text.includes('Дополню завтра.'))).toEqual([true]);

      // The local drafts, named apart from the server's «Черновики»; «Удалить» asks first.
      await page.evaluate(() => (location.hash = '#/mail/drafts'));
      await page.getByTestId('mail-drafts').locator('h1', { hasText: 'Черновики на этом компьютере' }).waitFor();
      const item = page.getByTestId('draft-item').filter({ hasText: 'Передумал отправлять' });
      await item.getByTestId('draft-remove').click();
      expect((await answerConfirm(page, false)).question).toBe('Удалить черновик «Передумал отправлять»? Восстановить его будет нельзя.');
      await expect(item.count()).resolves.toBe(1);
      await item.getByTestId('draft-remove').click();
      await answerConfirm(page, true);
      await page.getByText('Черновик удалён.').waitFor();
      await item.waitFor({ state: 'detached' });

      // Autosave. A form opened and left untouched makes no draft.
      const listDrafts = async () => ((await h.mail.handle('mail:drafts:list', {})) as { id: number; subject: string; text: string }[]);
      const draftsBefore = (await listDrafts()).length;
      const compose = async () => {
        await page.evaluate(() => (location.hash = '#/mail/compose?mode=new'));
        await waitFor(() => page.getByTestId('compose-send').isEnabled(), 'compose ready');
      };
      await compose();
      await page.getByTestId('nav-calls').click();
      await page.getByTestId('mail-compose-page').waitFor({ state: 'detached' });
      // Typing paused: saved a moment later, said quietly in the footer.
      await compose();
      await page.getByTestId('compose-to').fill('ivlev@example.org');
      await page.getByTestId('compose-subject').fill('Пишу не спеша');
      await page.getByTestId('compose-text').fill('Первая строка.');
      await waitFor(async () => /^Черновик сохранён в \d\d:\d\d$/.test((await page.getByTestId('compose-autosave').textContent()) ?? ''), 'autosaved');
      await screenshot(page, 'mail-compose-autosaved');
      // More typed, then the sidebar at once: the letter is saved as the form closes, in the same draft.
      await page.getByTestId('compose-text').press('End');
      await page.getByTestId('compose-text').type(' Вторая строка.');
      await page.getByTestId('nav-calls').click();
      await page.getByTestId('mail-compose-page').waitFor({ state: 'detached' });
      await page.evaluate(() => (location.hash = '#/mail/drafts'));
      const kept = page.getByTestId('draft-item').filter({ hasText: 'Пишу не спеша' });
      await kept.waitFor();
      await expect(kept.count()).resolves.toBe(1);
      expect((await listDrafts()).length).toBe(draftsBefore + 1);
      await kept.locator('a').click();
      await waitFor(async () => (await page.getByTestId('compose-text').inputValue()) === 'Первая строка. Вторая строка.', 'the draft reopened');
      await waitFor(() => page.getByTestId('compose-send').isEnabled(), 'draft ready');
      // Autosaved, then changed again: «Отмена» asks, and «Не сохранять» puts the draft back as it was opened.
      await page.getByTestId('compose-text').press('End');
      await page.getByTestId('compose-text').type(' Лишнее.');
      await waitFor(async () => (await listDrafts()).some((d) => d.text.endsWith('Лишнее.')), 'autosaved in place');
      await page.getByTestId('compose-text').type(' Ещё.');
      await page.getByTestId('compose-cancel').click();
      await page.getByTestId('compose-leave-discard').click();
      await page.getByTestId('mail-compose-page').waitFor({ state: 'detached' });
      await waitFor(async () => (await listDrafts()).filter((d) => d.subject === 'Пишу не спеша').map((d) => d.text).join() === 'Первая строка. Вторая строка.', 'the draft as it was');
      expect((await listDrafts()).length).toBe(draftsBefore + 1);
      // Sent from the draft: no draft is left.
      const id = (await listDrafts()).find((d) => d.subject === 'Пишу не спеша')!.id;
      await page.evaluate((n) => (location.hash = `#/mail/compose?draft=${n}`), id);
      await waitFor(async () => (await page.getByTestId('compose-text').inputValue()) === 'Первая строка. Вторая строка.', 'the draft reopened to send');
      await page.getByTestId('compose-text').type('!');
      undoSendMs = 0;
      await page.getByTestId('compose-send').click();
      await page.getByTestId('mail-compose-page').waitFor({ state: 'detached' });
      await waitFor(async () => (await listDrafts()).length === draftsBefore, 'the draft gone with the letter');
      expect(errors).toEqual([]);
    } finally {
      undoSendMs = 0;
      await page.close();
    }
  }, 120_000);

  it('creates a folder from the pane and opens it, renames it from its «⋯» menu, deletes it after asking', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    const inbox = await folderId(h, acc.id, 'INBOX');
    const { page, errors } = await openApp(`/mail/f/${inbox}`);
    const serverHas = async (path: string) => {
      const c = await imapClient(dc, hana);
      try {
        return (await c.list()).some((l) => l.path === path);
      } finally {
        await c.logout().catch(() => undefined);
      }
    };
    try {
      await page.getByTestId('mail-folder-new').click();
      await page.getByTestId('mail-folder-name').fill('Тендеры 2025');
      await page.getByTestId('mail-folder-save').click();
      await page.getByText('Папка «Тендеры 2025» создана.').waitFor();
      const created = await folderId(h, acc.id, 'Тендеры 2025');
      const link = page.locator(`[data-testid="mail-folder"][data-path="Тендеры 2025"]`);
      await waitFor(async () => page.url().endsWith(`#/mail/f/${created}`) && (await link.getAttribute('class'))?.includes('active'), 'the new folder open');
      expect(await serverHas('Тендеры 2025')).toBe(true);

      // «⋯» → «Переименовать…»: a name the server cannot take is explained in the dialog.
      await page.locator('li.mail-folder-item', { has: link }).getByTestId('mail-folder-more').click();
      await page.getByTestId('mail-folder-menu-rename').click();
      await expect(page.getByTestId('mail-folder-name').inputValue()).resolves.toBe('Тендеры 2025');
      await page.getByTestId('mail-folder-name').fill('Тендеры/2025');
      await page.getByTestId('mail-folder-save').click();
      await expect(page.getByTestId('mail-folder-error').textContent()).resolves.toContain('Имя папки не может содержать «/»');
      await page.getByTestId('mail-folder-name').fill('Тендеры (архив)');
      await page.getByTestId('mail-folder-save').click();
      await page.getByText('Папка переименована в «Тендеры (архив)».').waitFor();
      const renamed = page.locator(`[data-testid="mail-folder"][data-path="Тендеры (архив)"]`);
      await renamed.waitFor();
      expect(await renamed.getAttribute('class')).toContain('active');
      expect(page.url()).toContain(`#/mail/f/${created}`);
      expect(await serverHas('Тендеры (архив)')).toBe(true);
      expect(await serverHas('Тендеры 2025')).toBe(false);
      await screenshot(page, 'mail-folder-renamed');

      // Right-click → «Удалить папку»: asked with the count, then the inbox opens.
      await renamed.click({ button: 'right' });
      await page.getByTestId('mail-folder-menu-delete').click();
      expect(await answerConfirm(page, true)).toEqual({ question: 'Удалить папку «Тендеры (архив)»? В ней нет писем.', confirm: 'Удалить папку' });
      await page.getByText('Папка «Тендеры (архив)» удалена.').waitFor();
      await waitFor(() => page.url().endsWith(`#/mail/f/${inbox}`), 'the inbox open');
      await renamed.waitFor({ state: 'detached' });
      expect(await serverHas('Тендеры (архив)')).toBe(false);
      // INBOX's menu offers only a subfolder.
      await page.locator(`[data-testid="mail-folder"][data-path="INBOX"]`).click({ button: 'right' });
      await page.getByTestId('mail-folder-menu-create').waitFor();
      expect(await page.getByTestId('mail-folder-menu-rename').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a failed send is told once with the way to the outbox, worded as waiting; its delivery is told; the checklist, the rules and the «Черновики» folder', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    // The account has sent before (the walkthrough's case): an outage, not a setting to fix.
    await h.mail.handle('mail:send', { accountId: acc.id, to: ['morozov@stroyinvest.ru'], subject: 'Разминка', text: 'Ушло.' });
    const { page, errors } = await openApp('/mail');
    try {
      await smtp.stop();
      await page.getByTestId('mail-compose').click();
      await page.getByTestId('mail-compose-page').waitFor();
      await waitFor(() => page.getByTestId('compose-send').isEnabled(), 'compose ready');
      await page.getByTestId('compose-to').fill('morozov@stroyinvest.ru');
      await page.getByTestId('compose-subject').fill('Расчёты по ТН-118');
      await page.getByTestId('compose-text').fill('Расчёты во вложении.');
      await page.getByTestId('compose-send').click();
      const failed = page.getByTestId('toast-error').filter({ hasText: 'Не удалось отправить «Расчёты по ТН-118»' });
      await failed.waitFor();
      const text = (await failed.textContent()) ?? '';
      expect(text).toMatch(/Не удалось отправить «Расчёты по ТН-118»: Сервер исходящей почты \(SMTP\) 127\.0\.0\.1:\d+ не принимает подключения\. Письмо в «Исходящих», отправим автоматически\./);
      expect(text).not.toMatch(/993|imap/i);
      await screenshot(page, 'mail-send-failed-toast');
      // Retries stay quiet: still one toast after a few of them.
      const item = () => ((h.mail.handle('mail:outbox:list', {}) as Promise<{ id: number; subject: string; attempts: number }[]>).then((l) => l.find((x) => x.subject === 'Расчёты по ТН-118')));
      await waitFor(async () => ((await item())?.attempts ?? 0) >= 3, 'retries', 20_000);
      await expect(failed.count()).resolves.toBe(1);

      // The toast's button opens the outbox, where the message waits for its retry (not «Не отправлено»).
      await failed.getByTestId('toast-open-outbox').click();
      const row = page.getByTestId('outbox-item').filter({ hasText: 'Расчёты по ТН-118' });
      await row.waitFor();
      await waitFor(async () => (await row.getByTestId('outbox-status').textContent()) === 'Ждёт повторной попытки', 'waiting badge');
      await expect(row.getByTestId('outbox-error').textContent()).resolves.toMatch(/не принимает подключения\. Почтовый сервер сейчас недоступен — повторим автоматически\./);
      await screenshot(page, 'mail-outbox-waiting');

      await smtp.start();
      await page.getByTestId('toast-ok').filter({ hasText: 'Письмо «Расчёты по ТН-118» отправлено.' }).waitFor({ timeout: 30_000 });

      // The checklist counts a real send; each account shows its «Правила сортировки».
      await page.evaluate(() => (location.hash = '#/mail/settings'));
      await page.getByTestId('mail-settings').locator('li', { hasText: '✓ Проверена отправка тестового письма' }).waitFor();
      await page.getByTestId('mail-account-rules').first().click();
      await page.getByTestId('mail-rules').locator('h2', { hasText: 'Правила сортировки' }).waitFor();
      await expect(page.getByTestId('mail-account-form').count()).resolves.toBe(0);
      await screenshot(page, 'mail-settings-rules-entry');

      // A saved draft also goes to the mailbox's «Черновики»: no notice about local drafts then,
      // and its copy there opens back in the compose form («Продолжить редактирование»).
      const d = (await h.mail.handle('mail:drafts:save', { accountId: acc.id, to: ['morozov@stroyinvest.ru'], subject: 'Недописанное КП', text: 'Текст КП' })) as { id: number };
      const drafts = await folderId(h, acc.id, 'Drafts');
      await h.mail.handle('mail:folders:sync', { folderId: drafts });
      await waitFor(
        async () => ((await h.mail.handle('mail:drafts:list', { accountId: acc.id })) as { onServer: boolean }[]).every((x) => x.onServer),
        'the drafts copied to the server',
      );
      await waitFor(
        async () => ((await h.mail.handle('mail:messages:list', { folderId: drafts })) as { items: { subject: string }[] }).items.some((m) => m.subject === 'Недописанное КП'),
        'the copy synced into «Черновики»',
      );
      await page.evaluate((to) => (location.hash = to), `#/mail/f/${drafts}`);
      const copyRow = page.getByTestId('mail-row').filter({ hasText: 'Недописанное КП' });
      await copyRow.waitFor();
      await expect(page.getByTestId('drafts-folder-notice').count()).resolves.toBe(0);
      await copyRow.click();
      await page.getByTestId('mail-continue-draft').waitFor();
      await expect(page.getByTestId('mail-continue-draft').textContent()).resolves.toBe('Продолжить редактирование');
      await screenshot(page, 'mail-drafts-folder-continue');
      await page.getByTestId('mail-continue-draft').click();
      await waitFor(async () => (await page.getByTestId('compose-subject').inputValue()) === 'Недописанное КП', 'the draft opened from its server copy');
      await expect(page.getByTestId('compose-text').inputValue()).resolves.toBe('Текст КП');
      expect(((await h.mail.handle('mail:drafts:list', { accountId: acc.id })) as unknown[]).length).toBe(1);
      await h.mail.handle('mail:drafts:delete', { id: d.id });
      expect(errors).toEqual([]);
    } finally {
      await smtp.start().catch(() => undefined);
      await page.close();
    }
  }, 120_000);

  it('«Правила»: a rule made in the settings (as «Создать правило…» opens it) files matching new mail into its folder, read', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    const other = await imapClient(dc, hana);
    await other.mailboxCreate('Закупки');
    await other.logout();
    await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
    const target = await folderId(h, acc.id, 'Закупки');
    const { page, errors } = await openApp(`/mail/settings?account=${acc.id}&rule-from=${encodeURIComponent('robot@zakupki.gov.ru')}`);
    try {
      await page.getByTestId('mail-rule-form').waitFor();
      await expect(page.getByTestId('mail-rule-value').inputValue()).resolves.toBe('robot@zakupki.gov.ru');
      await page.getByTestId('mail-rule-name').fill('Закупки');
      await page.getByTestId('mail-rule-op').selectOption('domain');
      await page.getByTestId('mail-rule-value').fill('zakupki.gov.ru');
      await page.getByTestId('mail-rule-target').selectOption(String(target));
      await page.getByTestId('mail-rule-read').check();
      await screenshot(page, 'mail-rule-form');
      await page.getByTestId('mail-rule-save').click();
      await page.getByText('Правило сохранено.').waitFor();
      const summary = page.getByTestId('mail-rule-row').locator('.mail-rule-summary');
      await expect(summary.textContent()).resolves.toBe('От кого домен «zakupki.gov.ru» → в «Закупки», прочитано');
      await screenshot(page, 'mail-rules');

      await dc.deliver(hana.user, rawMessage({ from: 'ЕИС <notice@zakupki.gov.ru>', subject: 'Извещение о закупке 0373', text: 'Опубликовано извещение.' }));
      await page.evaluate((to) => (window.location.hash = to), `#/mail/f/${target}`);
      await page.getByTestId('mail-row').filter({ hasText: 'Извещение о закупке 0373' }).waitFor({ timeout: 30_000 });
      expect(h.db.prepare('SELECT folder_id, seen FROM mail_messages WHERE subject = ?').all('Извещение о закупке 0373')).toEqual([{ folder_id: target, seen: 1 }]);
      // Filed and read by the rule: no new-mail notification.
      expect(h.events.some((e) => e.name === 'mail:new' && JSON.stringify(e.payload).includes('Извещение о закупке 0373'))).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('«Ещё»: shows the source as text (a <script> too), saves it as .eml, prints only the message', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    const inbox = await folderId(h, acc.id, 'INBOX');
    // The HTML in 8 bits, so the source holds its <script> as written.
    await dc.deliver(
      hana.user,
      [
        `From: =?UTF-8?B?${Buffer.from('Служба поддержки').toString('base64')}?= <support@example.org>`,
        `To: ${hana.user}`,
        `Subject: =?UTF-8?B?${Buffer.from('Исходник: акт/счёт').toString('base64')}?=`,
        'Message-ID: <source-view@example.org>',
        'Date: Mon, 03 Jun 2024 10:00:00 +0300',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        `<p>Проверка печати</p><script>window.__sourceRan = 1; fetch('${trackerUrl}/source-script')</script>`,
        '',
      ].join('\r\n'),
    );
    await h.mail.handle('mail:accounts:syncNow', { id: acc.id });
    const id = await waitFor(() => (h.db.prepare('SELECT id FROM mail_messages WHERE subject = ?').get('Исходник: акт/счёт') as { id: number } | undefined)?.id, 'the mail synced');
    const { page, errors } = await openApp(`/mail/f/${inbox}/m/${id}`);
    try {
      await page.getByTestId('mail-reader').waitFor();
      await page.getByTestId('mail-more').click();
      await page.getByTestId('mail-show-source').click();
      const text = page.getByTestId('mail-source-text');
      await text.waitFor();
      const shown = (await text.textContent()) ?? '';
      expect(shown).toContain('Message-ID: <source-view@example.org>');
      expect(shown).toContain(`<script>window.__sourceRan = 1; fetch('${trackerUrl}/source-script')</script>`);
      // Text, not markup: no element made of it, nothing ran.
      await expect(page.locator('[data-testid="mail-source"] script, [data-testid="mail-source"] p').count()).resolves.toBe(0);
      await expect(page.evaluate(() => (window as unknown as { __sourceRan?: number }).__sourceRan)).resolves.toBeUndefined();
      expect(trackerHits).not.toContain('/source-script');
      await screenshot(page, 'mail-source');
      await page.keyboard.press('Escape');
      await text.waitFor({ state: 'detached' });

      await page.getByTestId('mail-more').click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('mail-save-eml').click()]);
      expect(download.suggestedFilename()).toBe('Исходник_ акт_счёт.eml');
      const saved: Buffer[] = [];
      for await (const chunk of await download.createReadStream()) saved.push(chunk as Buffer);
      const onServer = (await h.mail.handle('mail:messages:source', { id })) as { dataBase64: string };
      expect(Buffer.concat(saved).equals(Buffer.from(onServer.dataBase64, 'base64'))).toBe(true);

      // «Печать»: the dialog itself is the browser's; what goes on paper is the print stylesheet's.
      await page.evaluate(() => {
        window.print = () => ((window as unknown as { __printed?: number }).__printed = 1);
      });
      await page.getByTestId('mail-more').click();
      await page.getByTestId('mail-print').click();
      await expect(page.evaluate(() => (window as unknown as { __printed?: number }).__printed)).resolves.toBe(1);
      await page.emulateMedia({ media: 'print' });
      for (const chrome of ['.sidebar', '.mail-folders', '.mail-middle', '.mail-actions', '[data-testid="mail-frame"]']) {
        await expect(page.locator(chrome).first().isVisible(), chrome).resolves.toBe(false);
      }
      await expect(page.getByTestId('mail-subject').isVisible()).resolves.toBe(true);
      await expect(page.locator('.mail-meta').getByText('Служба поддержки <support@example.org>').isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('mail-print-body').getByText('Проверка печати').isVisible()).resolves.toBe(true);
      await screenshot(page, 'mail-print');
      await page.emulateMedia({ media: 'screen' });
      await expect(page.getByTestId('mail-print-body').isVisible()).resolves.toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('«Сохранить как шаблон…», then «Шаблон ▾» in a new letter: {имя} and {дата} filled above the signature, sent', async () => {
    const { page, errors } = await openApp('/mail/compose?mode=new');
    try {
      const text = page.getByTestId('compose-text');
      await waitFor(() => page.getByTestId('compose-send').isEnabled(), 'compose ready');
      const sig = await text.inputValue();
      expect(sig).toBe('\n\n-- \nС уважением,\nХана Ли\nАСГАРД-Сервис');
      await page.getByTestId('compose-subject').fill('Запрос документов');
      await text.fill(`Добрый день, {имя}!\nПросим прислать документы до {дата}.${sig}`);
      await page.getByTestId('compose-files').setInputFiles({ name: 'Перечень документов.txt', mimeType: 'text/plain', buffer: Buffer.from('1. Устав\n2. Выписка из ЕГРЮЛ\n') });
      await page.locator('.mail-att-name', { hasText: 'Перечень документов.txt' }).waitFor();
      await page.getByTestId('compose-save-template').click();
      await expect(page.getByTestId('template-name').inputValue()).resolves.toBe('Запрос документов');
      // Enter in the name field saves the template, it does not send the letter.
      await page.getByTestId('template-name').press('Enter');
      await page.getByText('Шаблон «Запрос документов» сохранён.').waitFor();
      const saved = (await h.mail.handle('mail:templates:list', undefined)) as { name: string; subject: string; text: string; attachments: { filename: string }[] }[];
      expect(saved).toHaveLength(1);
      // The signature is not part of the template.
      expect(saved[0]).toMatchObject({ name: 'Запрос документов', subject: 'Запрос документов', text: 'Добрый день, {имя}!\nПросим прислать документы до {дата}.', attachments: [{ filename: 'Перечень документов.txt' }] });

      await page.evaluate((to) => (location.hash = `#/mail/compose?mode=new&to=${encodeURIComponent(to)}`), 'Алексей Морозов <morozov@stroyinvest.ru>');
      await waitFor(async () => (await page.getByTestId('compose-to').inputValue()) === 'Алексей Морозов <morozov@stroyinvest.ru>', 'a new letter');
      await waitFor(() => page.getByTestId('compose-send').isEnabled(), 'compose ready');
      await expect(page.getByTestId('compose-subject').inputValue()).resolves.toBe('');
      await page.getByTestId('compose-template').click();
      await page.getByTestId('compose-template-item').filter({ hasText: 'Запрос документов' }).click();
      await waitFor(async () => (await page.getByTestId('compose-subject').inputValue()) === 'Запрос документов', 'the subject from the template');
      // The page runs on Moscow time.
      const today = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Europe/Moscow', day: '2-digit', month: '2-digit', year: 'numeric' }).format(new Date());
      await expect(text.inputValue()).resolves.toBe(`Добрый день, Алексей Морозов!\nПросим прислать документы до ${today}.${sig}`);
      await page.locator('.mail-att-name', { hasText: 'Перечень документов.txt' }).waitFor();
      await screenshot(page, 'mail-compose-template');
      await page.getByTestId('compose-send').click();
      await page.getByText('Письмо отправлено', { exact: true }).waitFor();
      const raw = smtp.received.filter((m) => m.to.includes('morozov@stroyinvest.ru')).at(-1)!.raw;
      const got = await simpleParser(raw);
      expect(got.subject).toBe('Запрос документов');
      expect(got.text?.trim()).toBe(`Добрый день, Алексей Морозов!\nПросим прислать документы до ${today}.\n\n-- \nС уважением,\nХана Ли\nАСГАРД-Сервис`);
      expect(got.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['Перечень документов.txt', '1. Устав\n2. Выписка из ЕГРЮЛ\n']]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('«Непрочитанные» shows only unread mail, counted as the core counts it; Ctrl+A checks only those; back to «Все»', async () => {
    const acc = ((await h.mail.handle('mail:accounts:list', undefined)) as { id: number }[])[0];
    const inbox = await folderId(h, acc.id, 'INBOX');
    // Earlier tests leave the inbox as they will: make sure a few are unread, then ask the core how many.
    const some = (h.db.prepare('SELECT id FROM mail_messages WHERE folder_id = ? ORDER BY id DESC LIMIT 3 OFFSET 2').all(inbox) as { id: number }[]).map((r) => r.id);
    await h.mail.handle('mail:messages:setFlags', { ids: some, seen: false });
    const total = async (filter?: string) => ((await h.mail.handle('mail:messages:list', { folderId: inbox, limit: 1, filter })) as { total: number }).total;
    const unread = await total('unread');
    const all = await total();
    expect(unread).toBeGreaterThanOrEqual(3);
    const { page, errors } = await openApp(`/mail/f/${inbox}`);
    try {
      const rows = page.getByTestId('mail-row');
      const count = page.getByTestId('mail-list-total');
      const filter = (f: string) => page.locator(`[data-testid="mail-filter"][data-filter="${f}"]`);
      const counted = (n: number) => count.filter({ hasText: new RegExp(`^${n.toLocaleString('ru-RU')} пис`) }).waitFor();
      await counted(all);
      await filter('unread').click();
      await counted(unread);
      await expect(filter('unread').getAttribute('aria-pressed')).resolves.toBe('true');
      await rows.first().waitFor();
      // Every row shown is unread, and all of them are there while they fit on the screen.
      await waitFor(async () => (await page.locator('[data-testid="mail-row"]:not(.unread)').count()) === 0 && (await rows.count()) > 0, 'only unread rows');
      if (unread <= 8) expect(await rows.count()).toBe(unread);
      await screenshot(page, 'mail-filter-unread');
      // A long folder name stays on one line («…» if it does not fit), the whole of it in the title.
      const archiveName = page.locator('[data-testid="mail-folder"][data-path="Архив рассылок"] .grow');
      await expect(archiveName.getAttribute('title')).resolves.toBe('Архив рассылок');
      await expect(archiveName.evaluate((el) => el.getClientRects().length === 1 && (el as HTMLElement).offsetHeight < 25)).resolves.toBe(true);

      await rows.first().focus();
      await page.keyboard.press('Control+A');
      await page.getByTestId('mail-selected-count').filter({ hasText: `Выбрано: ${unread.toLocaleString('ru-RU')}` }).waitFor();
      await expect(page.getByTestId('mail-select-all').isChecked()).resolves.toBe(true);
      await page.keyboard.press('Escape');

      // The search operators are explained next to the box.
      await page.getByTestId('mail-search-help').locator('summary').click();
      await page.getByText('есть:вложения', { exact: true }).waitFor();
      await screenshot(page, 'mail-search-help');
      await page.keyboard.press('Escape');
      await page.getByText('есть:вложения', { exact: true }).waitFor({ state: 'hidden' });

      // Opened (so read), a row stays listed, shown read, and counted, until the view changes; ↓
      // steps on from it. Pressing the filter again drops what was read.
      const [firstId, secondId] = await Promise.all([rows.nth(0).getAttribute('data-id'), rows.nth(1).getAttribute('data-id')]);
      const readRow = (id: string | null) => page.locator(`[data-testid="mail-row"][data-id="${id}"]:not(.unread)`);
      await rows.nth(0).click();
      await page.getByTestId('mail-reader').waitFor();
      await waitFor(async () => (await readRow(firstId).count()) === 1, 'the opened row stays, shown read');
      await counted(unread);
      await readRow(firstId).focus();
      await page.keyboard.press('ArrowDown');
      await waitFor(async () => page.url().includes(`/m/${secondId}`) && (await readRow(secondId).count()) === 1, '↓ opened the next row, which stays too');
      await readRow(firstId).waitFor();
      await filter('unread').click();
      await counted(unread - 2);
      await waitFor(async () => (await readRow(firstId).count()) + (await readRow(secondId).count()) === 0, 'read rows gone on a fresh view');

      await filter('all').click();
      await counted(await total());
      // Read mail is back (when the folder has any).
      if (all > unread) await page.locator('[data-testid="mail-row"]:not(.unread)').first().waitFor();
      await expect(filter('all').getAttribute('aria-pressed')).resolves.toBe('true');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
