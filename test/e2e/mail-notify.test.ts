/**
 * New-mail notifications and the attention badge, nothing faked: the app core with its real mail
 * service on Dovecot behind the loopback bridge, logged in to a real relay, the built renderer
 * in Chromium (browser mode: the page raises the browser's own notification).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startBrowserApp, type BrowserApp } from '../../src-main/bridge/browser-app';
import { silentLogger } from '../../src-main/core/log';
import type { MailAccountView } from '../../src-shared/ipc/mail';
import { buildRenderer, collectPageErrors, launchBrowser, recordNotifications, screenshot } from '../support/browser';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { startTestRelay, type TestRelay } from '../support/relay';
import { accountInput, testMessages, waitFor } from '../mail/helpers';

const PASSWORD = 'mail-notify-password';
const mailUser = { user: 'notify@example.test', pass: 'notify-pass' };
let r: TestRelay;
let dc: Dovecot;
let browser: Browser;
let built: { dir: string; cleanup(): void };
let app: BrowserApp;
let dir: string;

beforeAll(async () => {
  r = await startTestRelay();
  await r.createEmployee({ login: 'mn-to', role: 'to', extension: '141', password: PASSWORD });
  dc = await startDovecot({ users: [mailUser] });
  dc.seedMaildir(mailUser.user, testMessages(mailUser.user, 'Старое', 3));
  built = await buildRenderer();
  browser = await launchBrowser();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asgard-mail-notify-'));
  app = await startBrowserApp({ userDataDir: dir, rendererDir: built.dir, relayUrl: r.url, log: silentLogger });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await browser?.close();
  built?.cleanup();
  await dc?.stop();
  await r?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('new mail in browser mode', () => {
  it('notifies new inbox mail, opens it on a click, counts unread on «Почта», and stays quiet once switched off', async () => {
    const core = app.core;
    await core.api.invoke('session:login', { relayUrl: r.url, login: 'mn-to', password: PASSWORD });
    const acc = (await core.api.invoke('mail:accounts:save', accountInput(dc, mailUser, { smtpPort: 1 }))) as MailAccountView;
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow', permissions: ['notifications'] });
    const errors = collectPageErrors(page);
    const notices = await recordNotifications(page);
    try {
      await page.goto(app.bridge.url);
      // The three old unread messages: the badge, no notification (they were there before).
      await waitFor(async () => (await page.getByTestId('nav-mail-count').textContent().catch(() => null)) === '3', 'unread badge 3', 30_000);
      await page.getByTestId('nav-mail').click();
      await page.getByTestId('mail-row').first().waitFor();

      await dc.deliver(mailUser.user, rawMessage({ from: 'Пётр Ивлев <ivlev@example.org>', subject: 'Срочно: акт по объекту 7', text: 'Подпишите акт сегодня.', messageId: '<notify-1@example.org>' }));
      await core.api.invoke('mail:accounts:syncNow', { id: acc.id });
      await waitFor(async () => (await notices.shown()).length === 1, 'a notification');
      expect(await notices.shown()).toEqual([{ title: 'Новое письмо от Пётр Ивлев', body: 'Срочно: акт по объекту 7\nПодпишите акт сегодня.', tag: `mail-${acc.id}` }]);
      await waitFor(async () => (await page.getByTestId('nav-mail-count').textContent()) === '4', 'unread badge 4');
      await screenshot(page, 'mail-notified');

      // A click on it opens the message; reading it takes it off the count.
      await notices.click(0);
      await page.getByTestId('mail-subject').filter({ hasText: 'Срочно: акт по объекту 7' }).waitFor();
      await waitFor(async () => (await page.getByTestId('nav-mail-count').textContent()) === '3', 'unread badge back to 3');

      // Switched off in the settings: the next new mail raises nothing.
      await page.getByTestId('nav-settings').click();
      await page.getByTestId('mail-notifications').click();
      await waitFor(() => core.getSettings().mailNotifications === false, 'setting saved in the core');
      await dc.deliver(mailUser.user, rawMessage({ from: 'Пётр Ивлев <ivlev@example.org>', subject: 'Ещё один акт', text: 'И этот.', messageId: '<notify-2@example.org>' }));
      await core.api.invoke('mail:accounts:syncNow', { id: acc.id });
      await waitFor(async () => (await page.getByTestId('nav-mail-count').textContent()) === '4', 'the second mail counted');
      await new Promise((res) => setTimeout(res, 300));
      expect(await notices.shown()).toHaveLength(1);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
