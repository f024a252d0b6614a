/**
 * «Комментарий к звонку» end to end: a real relay (fresh Postgres database), signed Mango
 * events, one app core + loopback bridge per employee, the built renderer in Debian's Chromium.
 * The popup of a call one answered offers «Добавить комментарий» when it ends; the history shows
 * the comment and edits it in place (Ctrl+Enter saves, Escape cancels); a colleague's history
 * shows it live; the next call from that number lists it in the popup; the contact card too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startBrowserApp, type BrowserApp } from '../../src-main/bridge/browser-app';
import { silentLogger } from '../../src-main/core/log';
import { buildScenario, deliver } from '../../tools/mango-sim';
import type { Call } from '../../src-shared/wire';
import { buildRenderer, collectPageErrors, launchBrowser, screenshot } from '../support/browser';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { CompanyLine } from './company-line';

const PASSWORD = 'e2e-comments';
const CALLER = '79167770011';
const SHOWN = '+7 (916) 777-00-11';

let r: TestRelay;
let browser: Browser;
let built: { dir: string; cleanup(): void };
const cleanups: (() => Promise<unknown> | unknown)[] = [];

interface Desk {
  app: BrowserApp;
  page: Page;
  errors: string[];
}

async function openDesk(login: string): Promise<Desk> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-e2e-comments-'));
  const app = await startBrowserApp({
    userDataDir: dir,
    rendererDir: built.dir,
    relayUrl: r.url,
    log: silentLogger,
    feed: { backoff: { baseMs: 100, maxMs: 500 }, heartbeatTimeoutMs: 3000, pingIntervalMs: 1000, handshakeTimeoutMs: 3000 },
  });
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
  const errors = collectPageErrors(page);
  cleanups.push(async () => {
    await page.close().catch(() => {});
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await page.goto(app.bridge.url);
  await page.getByTestId('login-form').waitFor();
  await page.getByLabel('Логин').fill(login);
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForFunction(() => (document.querySelector('[data-testid="connection-state"]')?.textContent ?? '').includes('Подключено'), null, { timeout: 15_000 });
  return { app, page, errors };
}

const line = new CompanyLine(() => r.webhookBase);
const popupFor = (page: Page) => page.locator('[data-testid="call-popup"]', { has: page.locator('[data-testid="popup-number"]', { hasText: SHOWN }) });
const historyRow = (page: Page, callId: number) => page.locator(`[data-testid="history-row"][data-call-id="${callId}"]`);
const relayComment = async (id: number) => (await r.api<Call>('GET', `/api/calls/${id}`, r.adminToken)).body.comment;

beforeAll(async () => {
  [built, r] = await Promise.all([buildRenderer(), startTestRelay()]);
  browser = await launchBrowser();
  await r.createEmployee({ login: 'cm-to1', name: 'Иванов Иван', role: 'to', extension: '101', password: PASSWORD });
  await r.createEmployee({ login: 'cm-to2', name: 'Петров Пётр', role: 'to', extension: '102', password: PASSWORD });
  // Not accepting calls: sees the company line's calls in the history, takes no part in them.
  await r.createEmployee({ login: 'cm-pm', name: 'Волков Андрей', role: 'pm', extension: '201', password: PASSWORD });
}, 180_000);

afterAll(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
  await browser?.close();
  await r?.close();
  built?.cleanup();
});

describe('call comments end to end (relay + bridge + renderer)', () => {
  let to1: Desk;
  let to2: Desk;
  let pm: Desk | undefined;
  let callId: number;

  it('the popup of a call one answered offers «Добавить комментарий» when it ends, and saves it there', async () => {
    [to1, to2] = await Promise.all([openDesk('cm-to1'), openDesk('cm-to2')]);
    // The colleague watches the history: what comes later must show without a reload.
    await to2.page.goto(to2.app.bridge.origin + '/#/calls');
    await to2.page.getByTestId('history-count').waitFor();

    // The company line rings both; to1 answers and hangs up.
    const events = buildScenario('incomingAnswered', { entryId: 'E2E-CM1', extension: '101', caller: CALLER, start: line.nextStart(300) });
    expect((await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, concurrency: 1 })).failed).toBe(0);
    await r.settle();
    callId = (await r.api<{ calls: Call[] }>('GET', '/api/calls', r.adminToken)).body.calls.find((c) => c.entryId === 'E2E-CM1')!.id;

    // The card stays after the conversation, the call ended (the relay has its summary: «Принят»).
    const popup = popupFor(to1.page);
    const add = popup.getByTestId('comment-edit');
    // Offered while talking too (notes during the call); here the call has ended.
    await popup.locator('.badge', { hasText: 'Принят' }).waitFor({ timeout: 5000 });
    await add.waitFor({ timeout: 5000 });
    expect(await add.textContent()).toBe('Добавить комментарий');
    // Ended: «Перезвонить» is offered now.
    await popup.getByTestId('popup-call-back').waitFor();
    await add.click();
    await popup.getByTestId('comment-text').fill('Перезвонить после обеда');
    await screenshot(to1.page, 'e2e-comment-popup');
    await popup.getByTestId('comment-save').click();
    await popup.waitFor({ state: 'detached', timeout: 5000 });
    expect(await relayComment(callId)).toMatchObject({ text: 'Перезвонить после обеда', by: { name: 'Иванов Иван' } });
  }, 90_000);

  it('the history shows it and edits it in place: Ctrl+Enter saves, Escape cancels; a colleague’s history shows it live', async () => {
    const page = to1.page;
    await page.goto(to1.app.bridge.origin + '/#/calls');
    const row = historyRow(page, callId);
    await row.getByTestId('call-comment').filter({ hasText: 'Перезвонить после обеда' }).waitFor({ timeout: 10_000 });
    // The colleague's list got the call and then its comment, live.
    await historyRow(to2.page, callId).getByTestId('call-comment').filter({ hasText: 'Перезвонить после обеда' }).waitFor({ timeout: 5000 });

    // A comment is there: «✎ Изменить», not «+ Комментарий».
    expect(await row.getByTestId('comment-edit').textContent()).toBe('Изменить');
    expect(await row.getByTestId('comment-edit').getAttribute('data-has-comment')).toBe('true');
    await row.getByTestId('comment-edit').click();
    const editor = page.getByTestId('comment-editor');
    expect(await editor.getByTestId('comment-text').inputValue()).toBe('Перезвонить после обеда');
    await editor.getByTestId('comment-text').fill('Договорились выслать КП до пятницы');
    await screenshot(page, 'e2e-comment-history-editor');
    await editor.getByTestId('comment-text').press('Control+Enter');
    await editor.waitFor({ state: 'detached', timeout: 5000 });
    const shown = row.getByTestId('call-comment');
    await shown.filter({ hasText: 'Договорились выслать КП до пятницы' }).waitFor({ timeout: 5000 });
    expect(await shown.getAttribute('title')).toMatch(/^Договорились выслать КП до пятницы\n— Иванов Иван, /);
    await historyRow(to2.page, callId).getByTestId('call-comment').filter({ hasText: 'Договорились выслать КП до пятницы' }).waitFor({ timeout: 5000 });
    await screenshot(to2.page, 'e2e-comment-history');

    // Escape: nothing saved. Too long: refused before sending, in Russian.
    await row.getByTestId('comment-edit').click();
    await editor.getByTestId('comment-text').fill('я'.repeat(2001));
    expect((await editor.getByRole('alert').textContent())!.replace(/\s/g, ' ')).toBe('Не длиннее 2 000 символов (сейчас 2 001)');
    expect(await editor.getByTestId('comment-save').isDisabled()).toBe(true);
    await editor.getByTestId('comment-text').press('Escape');
    await editor.waitFor({ state: 'detached', timeout: 5000 });
    expect((await relayComment(callId))?.text).toBe('Договорились выслать КП до пятницы');
  }, 60_000);

  it('the next call from that number shows the comment in the popup’s «Последние звонки»', async () => {
    await line.post(line.ivrEvent('E2E-CM2', CALLER, 'Appeared', 1));
    const recent = popupFor(to2.page).locator(`[data-testid="popup-recent-call"][data-call-id="${callId}"]`);
    await recent.getByTestId('call-comment').filter({ hasText: 'Договорились выслать КП до пятницы' }).waitFor({ timeout: 5000 });
    await screenshot(to2.page, 'e2e-comment-next-popup');
    await line.post(line.ivrEvent('E2E-CM2', CALLER, 'Disconnected', 2));
    await popupFor(to2.page).waitFor({ state: 'detached', timeout: 5000 });
  }, 30_000);

  it('the contact card’s timeline shows the comment and edits it with the same editor', async () => {
    const contact = await r.api<{ id: number }>('POST', '/api/contacts', r.adminToken, { name: 'ООО «Ромашка»', phones: ['+' + CALLER] });
    const page = to2.page;
    await page.goto(to2.app.bridge.origin + `/#/contacts/${contact.body.id}`);
    const item = page.getByTestId('contact-timeline').locator(`[data-testid="call-line"][data-call-id="${callId}"]`);
    await item.getByTestId('call-comment').filter({ hasText: 'Договорились выслать КП до пятницы' }).waitFor({ timeout: 10_000 });
    await item.getByTestId('comment-edit').click();
    await item.getByTestId('comment-text').fill('КП отправлено, ждём ответа');
    await item.getByTestId('comment-save').click();
    await item.getByTestId('call-comment').filter({ hasText: 'КП отправлено, ждём ответа' }).waitFor({ timeout: 5000 });
    expect(await relayComment(callId)).toMatchObject({ text: 'КП отправлено, ждём ответа', by: { name: 'Петров Пётр' } });
  }, 30_000);

  it('the history offers «Комментарий» only where the relay would save it: not on a call one took no part in', async () => {
    pm = await openDesk('cm-pm');
    await pm.page.goto(pm.app.bridge.origin + '/#/calls');
    const row = historyRow(pm.page, callId);
    // The comment shows; the action to write one does not.
    await row.getByTestId('call-comment').filter({ hasText: 'КП отправлено, ждём ответа' }).waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('comment-edit').count()).toBe(0);
    // The same call in the history of one who was offered it: the action is there.
    await to2.page.goto(to2.app.bridge.origin + '/#/calls');
    await historyRow(to2.page, callId).getByTestId('comment-edit').waitFor({ timeout: 10_000 });
    // And on a live call the pm is offered (rung directly), the action comes with the feed's copy.
    const own = buildScenario('incomingAnswered', { entryId: 'E2E-CM3', extension: '201', caller: '79167770022', start: line.nextStart(300) });
    expect((await deliver(r.webhookBase, own, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, concurrency: 1 })).failed).toBe(0);
    await r.settle();
    const ownId = (await r.api<{ calls: Call[] }>('GET', '/api/calls', r.adminToken)).body.calls.find((c) => c.entryId === 'E2E-CM3')!.id;
    await historyRow(pm.page, ownId).getByTestId('comment-edit').waitFor({ timeout: 10_000 });
    expect(await historyRow(pm.page, ownId).getByTestId('comment-edit').textContent()).toBe('+ Комментарий');
    expect(await row.getByTestId('comment-edit').count()).toBe(0);
    await screenshot(pm.page, 'e2e-comment-history-not-involved');
  }, 60_000);

  it('no page logged an error', () => {
    for (const d of [to1, to2, ...(pm ? [pm] : [])]) expect(d.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
