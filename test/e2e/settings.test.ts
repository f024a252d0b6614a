/**
 * The app's settings end to end: a real relay (embedded PGlite), the app core + loopback
 * bridge, the built renderer in Debian's Chromium. Popup corner, display duration and sound
 * are changed on #/settings, survive a reload with the page's storage wiped (so they live in
 * the core, not in localStorage), and change what a real incoming call does. "О программе"
 * shows the package version and says honestly that there is no Electron here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startBrowserApp, type BrowserApp } from '../../src-main/bridge/browser-app';
import { silentLogger } from '../../src-main/core/log';
import { buildRenderer, collectPageErrors, launchBrowser, screenshot } from '../support/browser';
import { answerConfirm } from '../support/confirm';
import { startTestRelay, type TestRelay } from '../support/relay';
import pkg from '../../package.json';
import { CompanyLine } from './company-line';

const PASSWORD = 'settings-e2e-password';

let r: TestRelay;
let browser: Browser;
let built: { dir: string; cleanup(): void };
let app: BrowserApp;
let page: Page;
let errors: string[];
let dir: string;

/** Counts ring tones: every AudioContext the page creates (the tone is generated, no file). */
const COUNT_TONES = `(() => {
  const Real = window.AudioContext;
  if (!Real) return;
  window.__tones = 0;
  window.AudioContext = class extends Real { constructor(...a) { super(...a); window.__tones++; } };
})();`;

const line = new CompanyLine(() => r.webhookBase);
const ivrEvent = line.ivrEvent.bind(line);
const post = line.post.bind(line);

const tones = () => page.evaluate(() => (window as unknown as { __tones: number }).__tones);
const sound = () => page.getByTestId('popup-sound');

beforeAll(async () => {
  [built, r] = await Promise.all([buildRenderer(), startTestRelay({ pglite: true })]);
  browser = await launchBrowser();
  await r.createEmployee({ login: 'set-to1', name: 'Кузнецов Олег', role: 'to', extension: '121', password: PASSWORD });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-e2e-settings-'));
  app = await startBrowserApp({
    userDataDir: dir,
    rendererDir: built.dir,
    relayUrl: r.url,
    log: silentLogger,
    mailFactory: null,
    feed: { backoff: { baseMs: 100, maxMs: 500 }, heartbeatTimeoutMs: 3000, pingIntervalMs: 1000, handshakeTimeoutMs: 3000 },
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
  errors = collectPageErrors(page);
  await page.addInitScript({ content: COUNT_TONES });
  await page.goto(app.bridge.url);
  await page.getByTestId('login-form').waitFor();
  await page.getByLabel('Логин').fill('set-to1');
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('accept-card').waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => (document.querySelector('[data-testid="connection-state"]')?.textContent ?? '').includes('Подключено'), null, { timeout: 15_000 });
}, 180_000);

afterAll(async () => {
  await page?.close().catch(() => {});
  await app?.close();
  await browser?.close();
  await r?.close();
  built?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('settings page (browser bridge, real core and relay)', () => {
  it('defaults come from the core; a ringing call rings and pops up bottom-right', async () => {
    await page.evaluate(() => (location.hash = '#/settings'));
    await page.getByTestId('settings-page').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="popup-sound"]')?.getAttribute('aria-checked') === 'true');
    expect(await page.getByTestId('popup-position').inputValue()).toBe('bottom-right');
    expect(await page.getByTestId('popup-duration').inputValue()).toBe('0');
    expect(await page.getByTestId('settings-language').textContent()).toBe('Русский');

    await post(ivrEvent('SET-POP1', '79161112233', 'Appeared', 1));
    await page.getByTestId('call-popup').waitFor({ timeout: 5000 });
    expect(await page.getByTestId('popup-stack').getAttribute('class')).toContain('pos-bottom-right');
    await expect.poll(tones).toBe(1);
    await post(ivrEvent('SET-POP1', '79161112233', 'Disconnected', 2));
    await page.getByTestId('call-popup').waitFor({ state: 'detached', timeout: 5000 });
  }, 30_000);

  it('position, duration and sound are saved through the core and survive a reload with the page storage wiped', async () => {
    await page.getByTestId('popup-position').selectOption('top-left');
    await page.getByTestId('popup-duration').fill('3');
    await page.getByTestId('popup-duration').press('Tab');
    await sound().click();
    await page.waitForFunction(() => document.querySelector('[data-testid="popup-sound"]')?.getAttribute('aria-checked') === 'false');
    // The core has them (on disk in its kv table), the page keeps no copy.
    await expect.poll(() => app.core.getSettings().popup).toMatchObject({ position: 'top-left', durationSec: 3, sound: false });
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('settings')))).toEqual([]);

    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await page.evaluate(() => (location.hash = '#/settings'));
    await page.getByTestId('settings-page').waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid="popup-position"]') as HTMLSelectElement | null)?.value === 'top-left');
    expect(await page.getByTestId('popup-duration').inputValue()).toBe('3');
    expect(await sound().getAttribute('aria-checked')).toBe('false');
  }, 30_000);

  it('the new settings change what a call does: top-left, no tone, hidden after 3 s while still ringing', async () => {
    await page.waitForFunction(() => (document.querySelector('[data-testid="connection-state"]')?.textContent ?? '').includes('Подключено'), null, { timeout: 15_000 });
    await post(ivrEvent('SET-POP2', '79034445566', 'Appeared', 1));
    const popup = page.getByTestId('call-popup');
    await popup.waitFor({ timeout: 5000 });
    // The delay counts from when the phones ring, not while the caller is in the voice menu.
    await page.waitForTimeout(3500);
    await expect(popup.count()).resolves.toBe(1);
    await post(ivrEvent('SET-POP2', '79034445566', 'Disconnected', 2));
    await post(line.ringEvent('SET-POP2', '79034445566', '121', 'Appeared', 1));
    await page.locator('[data-testid="call-popup"].phase-ringing').waitFor({ timeout: 5000 });
    const shownAt = Date.now();
    expect(await page.getByTestId('popup-stack').getAttribute('class')).toContain('pos-top-left');
    await screenshot(page, 'e2e-settings-popup-top-left');
    await popup.waitFor({ state: 'detached', timeout: 8000 });
    const hiddenAfter = Date.now() - shownAt;
    expect(hiddenAfter).toBeGreaterThan(2000);
    // The call is still ringing on the relay: the popup went because of the duration, not the call.
    expect((await r.api<{ calls: { status: string }[] }>('GET', '/api/calls?limit=5', r.adminToken)).body.calls.some((c) => c.status === 'active')).toBe(true);
    expect(await tones()).toBe(0); // a fresh page after the reload, sound off: no tone
    await post(line.ringEvent('SET-POP2', '79034445566', '121', 'Disconnected', 2));
  }, 30_000);

  it('"о программе" shows the package version, no Electron under the bridge, the browser and the OS', async () => {
    await page.getByTestId('about-version').waitFor();
    expect(await page.getByTestId('about-version').textContent()).toBe(pkg.version);
    expect(await page.getByTestId('about-name').textContent()).toBe('АСГАРД Телефония');
    expect(await page.getByTestId('about-electron').textContent()).toBe('нет — открыто в браузере');
    expect(await page.getByTestId('about-browser').textContent()).toMatch(/^(Chrome|Chromium|HeadlessChrome) \d+/);
    expect(await page.getByTestId('about').textContent()).toContain(process.versions.node);
    // Updates are the installed app's business; the page says so instead of offering a button that fails.
    expect(await page.getByTestId('update-state').textContent()).toMatch(/^Недоступно: /);
    expect(await page.getByTestId('update-check').isDisabled()).toBe(true);
    await screenshot(page, 'e2e-settings');
  }, 20_000);

  it('a bad update server address is refused with the core’s Russian message and not saved', async () => {
    await page.getByTestId('update-url').fill('http://updates.example.ru/');
    await page.getByTestId('update-url').press('Enter');
    await page.getByTestId('settings-error').waitFor();
    expect(await page.getByTestId('settings-error').textContent()).toContain('https://');
    expect(app.core.getSettings().updateUrl).toBe('');
  }, 20_000);

  it('changing the relay address logs out and shows the login form with the new address', async () => {
    await page.getByTestId('relay-change').click();
    await page.getByTestId('relay-input').fill('https://new-relay.example.ru');
    await page.getByTestId('relay-save').click();
    await page.getByTestId('login-form').waitFor({ timeout: 10_000 });
    expect(await page.getByLabel('Адрес сервера').inputValue()).toBe('https://new-relay.example.ru');
    expect(app.core.getSettings().relayUrl).toBe('https://new-relay.example.ru');
  }, 20_000);

  it('#/mango: an admin adds an employee (inline errors), sets a password, switches them off — the relay follows', async () => {
    // The admin's own app next to the employee's: a second core + bridge on its own data dir.
    const adminDir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-e2e-settings-admin-'));
    const adminApp = await startBrowserApp({ userDataDir: adminDir, rendererDir: built.dir, relayUrl: r.url, log: silentLogger, mailFactory: null });
    const ap = await browser.newPage({ viewport: { width: 1360, height: 900 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
    const adminErrors = collectPageErrors(ap);
    try {
      await ap.goto(adminApp.bridge.url);
      await ap.getByTestId('login-form').waitFor();
      await ap.getByLabel('Логин').fill('admin');
      await ap.getByLabel('Пароль').fill('admin-password');
      await ap.getByTestId('login-submit').click();
      await ap.getByTestId('login-form').waitFor({ state: 'detached', timeout: 15_000 });
      await ap.evaluate(() => (location.hash = '#/mango'));
      await ap.locator('[data-testid="employee-row"][data-login="admin"]').waitFor({ timeout: 15_000 });

      // «Добавить сотрудника»: a short password and a taken login are refused inside the dialog.
      await ap.getByTestId('add-employee').click();
      const form = ap.getByTestId('add-employee-form');
      await form.getByLabel('ФИО').fill('Смирнова Анна');
      await form.getByLabel('Логин').fill('set-to1');
      await form.getByTestId('new-employee-role').selectOption('pm');
      await form.getByLabel('Внутренний номер').fill('131');
      await form.getByTestId('new-employee-password').fill('123');
      await form.getByTestId('new-employee-password').press('Enter');
      await expect.poll(() => form.getByTestId('field-error').allTextContents()).toEqual(['Пароль не короче 6 символов']);
      await form.getByTestId('new-employee-password-generate').click();
      const password = await form.getByTestId('new-employee-password').inputValue();
      expect(password).toMatch(/^[A-Za-z2-9]{10}$/);
      expect(await form.getByTestId('new-employee-password').getAttribute('type')).toBe('text'); // shown once generated
      await form.getByTestId('dialog-submit').click();
      await expect.poll(() => form.getByTestId('field-error').allTextContents()).toEqual(['Сотрудник с таким логином уже есть']);
      await screenshot(ap, 'e2e-mango-add-employee');
      await form.getByLabel('Логин').fill('set-new1');
      expect(await form.getByTestId('field-error').count()).toBe(0);
      await form.getByLabel('Логин').press('Enter');
      await form.waitFor({ state: 'detached' });
      await ap.getByTestId('toast-ok').filter({ hasText: 'Сотрудник добавлен: Смирнова Анна. Передайте сотруднику логин и пароль.' }).waitFor();
      const row = ap.locator('[data-testid="employee-row"][data-login="set-new1"]');
      await row.waitFor();
      expect(await row.getByTestId('employee-role').inputValue()).toBe('pm');
      expect(await row.getByTestId('employee-extension').inputValue()).toBe('131');
      expect((await r.api('POST', '/api/auth/login', null, { login: 'set-new1', password })).status).toBe(200);

      // «Задать пароль…»: the new one works, the old one no longer does.
      await row.getByTestId('employee-menu').click();
      await row.getByTestId('employee-set-password').click();
      const pwForm = ap.getByTestId('password-form');
      expect(await pwForm.getByTestId('password-sessions').textContent()).toContain('на всех компьютерах');
      await pwForm.getByTestId('set-password').fill('novyi-parol-7');
      await pwForm.getByTestId('set-password').press('Enter');
      await pwForm.waitFor({ state: 'detached' });
      await ap.getByTestId('toast-ok').filter({ hasText: 'Пароль изменён: Смирнова Анна' }).waitFor();
      expect((await r.api('POST', '/api/auth/login', null, { login: 'set-new1', password: 'novyi-parol-7' })).status).toBe(200);
      expect((await r.api('POST', '/api/auth/login', null, { login: 'set-new1', password })).status).toBe(401);

      // The admin's own row offers no way to switch themselves off.
      const mine = ap.locator('[data-testid="employee-row"][data-login="admin"]');
      await mine.getByTestId('employee-menu').click();
      expect(await mine.getByTestId('employee-deactivate').getAttribute('aria-disabled')).toBe('true');
      await screenshot(ap, 'e2e-mango-employee-menu');
      await ap.keyboard.press('Escape');

      // «Отключить» after a confirmation: the row is dimmed, the relay refuses the login.
      await row.getByTestId('employee-menu').click();
      await row.getByTestId('employee-deactivate').click();
      expect((await answerConfirm(ap, true)).confirm).toBe('Отключить');
      await ap.getByTestId('toast-ok').filter({ hasText: 'Сотрудник отключён: Смирнова Анна' }).waitFor();
      expect(await row.getAttribute('class')).toContain('inactive');
      const refused = await r.api<{ message: string }>('POST', '/api/auth/login', null, { login: 'set-new1', password: 'novyi-parol-7' });
      expect(refused.status).toBe(401);
      expect(refused.body.message).toBe('Неверный логин или пароль');
      await screenshot(ap, 'e2e-mango-employees');
      expect(adminErrors).toEqual([]);
    } finally {
      await ap.close().catch(() => {});
      await adminApp.close();
      fs.rmSync(adminDir, { recursive: true, force: true });
    }
  }, 40_000);

  it('no page errors', () => {
    expect(errors).toEqual([]);
  });
});
