/**
 * Attachment previews in the reader, in Debian's Chromium under the app's CSP, with the real mail
 * service (real Dovecot) answering the renderer's `mail:*` requests. One message carries a PNG,
 * a GIF, an SVG labelled image/png (script inside) and a windows-1251 text file: thumbnails for
 * the two pictures only, the preview dialog (full picture, ←/→, Esc), the text shown as text.
 * And the layout at the app's default window (1100×740) and its minimum width (760): no pane
 * scrolls sideways, every reader and attachment action lies inside the reader, the toolbar and
 * the bulk bar keep to two rows.
 */
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { contentSecurityPolicy } from '../../src-main/core/csp';
import { buildRenderer, launchBrowser, screenshot, serveDir } from '../support/browser';
import { rawMessage, startDovecot, type Dovecot } from '../support/dovecot';
import { openMailPage } from './browser-page';
import { addAccount, folderId, makeService, waitSynced, type Harness } from './helpers';
import type { MailSummary } from '../../src-shared/ipc/mail';

const ira = { user: 'ira@example.test', pass: 'ira-app-password' };
let dc: Dovecot;
let h: Harness;
let browser: Browser;
let site: { url: string; close(): Promise<void> };
let messageHash = '';
let htmlHash = '';

const png = gradientPng(320, 200);
const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="top.__svgRan=1"><script>top.__svgRan=1</script></svg>');
const TEXT = 'Позиция;Цена\nБетон М300;5200\nАрматура А500;61000\n';

/** A real picture (a colour gradient), big enough to see in the screenshot. */
function gradientPng(w: number, hgt: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(hgt, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const raw = Buffer.alloc((w * 3 + 1) * hgt);
  for (let y = 0; y < hgt; y++) {
    for (let x = 0; x < w; x++) raw.set([(x * 255) / w, (y * 255) / hgt, 160], y * (w * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** windows-1251 bytes of Russian text (the letters and ASCII are all it needs). */
function cp1251(s: string): Buffer {
  return Buffer.from([...s].map((c) => {
    const u = c.charCodeAt(0);
    if (u >= 0x410 && u <= 0x44f) return u - 0x410 + 0xc0;
    if (c === 'ё') return 0xb8;
    if (c === 'Ё') return 0xa8;
    return u;
  }));
}

function part(filename: string, contentType: string, content: Buffer): string {
  return (
    `--MIX\r\nContent-Type: ${contentType}; name="${filename}"\r\nContent-Disposition: attachment; filename="${filename}"\r\n` +
    `Content-Transfer-Encoding: base64\r\n\r\n${content.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`
  );
}

beforeAll(async () => {
  dc = await startDovecot({ users: [ira] });
  dc.seedMaildir(ira.user, [
    [
      'From: Алексей Морозов <morozov@stroyinvest.ru>',
      `To: ${ira.user}`,
      `Subject: =?UTF-8?B?${Buffer.from('Фото с объекта').toString('base64')}?=`,
      'Date: Mon, 03 Jun 2024 10:00:00 +0300',
      'Message-ID: <photos@stroyinvest.ru>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="MIX"',
      '',
      '--MIX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nФото и смета во вложении.\r\n' +
        part('photo.png', 'image/png', png) +
        part('diagram.gif', 'image/gif', gif) +
        part('logo.png', 'image/png', svg) +
        part('smeta.txt', 'text/plain', cp1251(TEXT)) +
        part('Смета на ремонт компрессорной станции КС-7.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', Buffer.from('PK docx')) +
        part('Счёт на оплату 2304.pdf', 'application/pdf', Buffer.from('%PDF-1.4')) +
        '--MIX--\r\n',
    ].join('\r\n'),
    rawMessage({
      from: 'Журнал «Нефтегазовое оборудование» <news@ngo-journal.example>',
      to: ira.user,
      subject: 'Дайджест отрасли: новые стандарты на компрессорное оборудование',
      text: 'Дайджест',
      html: '<h1>Дайджест</h1><img src="http://127.0.0.1:9/banner.png" alt="Баннер"><img src="http://127.0.0.1:9/b2.png">',
      date: new Date('2024-06-02T10:00:00+03:00'),
      messageId: '<digest@ngo-journal.example>',
    }),
  ]);
  h = makeService();
  const acc = await addAccount(h, dc, null, ira);
  await waitSynced(h, acc.id);
  const inbox = await folderId(h, acc.id, 'INBOX');
  const list = (await h.mail.handle('mail:messages:list', { folderId: inbox })) as { items: MailSummary[] };
  messageHash = `/mail/f/${inbox}/m/${list.items.find((m) => m.subject === 'Фото с объекта')!.id}`;
  htmlHash = `/mail/f/${inbox}/m/${list.items.find((m) => m.subject.startsWith('Дайджест'))!.id}`;
  const built = await buildRenderer();
  site = await serveDir(built.dir, { 'content-security-policy': contentSecurityPolicy() });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await h?.close();
  await dc?.stop();
});

/** The app with telephony from the renderer's fake and mail from the real service (as in ui.test.ts). */
const openApp = (hash: string, size = { width: 1280, height: 800 }) => openMailPage(browser, site.url, h.mail, hash, { ...size, timeoutMs: 20_000, totalCalls: 5 });

/**
 * What overflows in the mail layout: `main.content` and the reader scrolling sideways, controls
 * of the reader (or of `inside`) sticking out of it, and how many rows the reader's toolbar takes.
 */
function layoutReport(inside: string) {
  const box = (el: Element) => el.getBoundingClientRect();
  const out: string[] = [];
  for (const sel of ['main.content', '.mail-layout', '.mail-reader', '.mail-middle']) {
    const el = document.querySelector<HTMLElement>(sel);
    if (el && el.scrollWidth > el.clientWidth) out.push(`${sel} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  const outer = document.querySelector(inside);
  if (!outer) return { out: [`no ${inside}`], rows: 0 };
  const o = box(outer);
  const controls = outer.querySelectorAll('[data-testid="mail-actions"] > *, [data-testid="mail-actions"] button, .mail-att, .mail-att button, [data-testid="mail-images-blocked"] button, [data-testid="mail-bulk"] > *, [data-testid="mail-bulk"] button');
  for (const c of controls) {
    const r = box(c);
    if (r.width === 0) continue;
    if (r.left < o.left - 0.5 || r.right > o.right + 0.5 || r.top < o.top - 0.5) out.push(`${c.textContent?.trim() || c.getAttribute('data-testid')} outside ${inside}: ${Math.round(r.left)}–${Math.round(r.right)} of ${Math.round(o.left)}–${Math.round(o.right)}`);
  }
  // The blocked-images notice: its buttons inside its own box.
  const notice = outer.querySelector('[data-testid="mail-images-blocked"]');
  if (notice) {
    const n = box(notice);
    for (const b of notice.querySelectorAll('button')) if (box(b).right > n.right + 0.5) out.push(`${b.textContent} runs past the notice`);
  }
  // Rows: controls sorted by top, a new row where one starts below the previous row's bottom.
  const rowsOf = (bar: Element | null) => {
    let rows = 0;
    let bottom = -Infinity;
    for (const r of [...(bar?.children ?? [])].map(box).filter((r) => r.width > 0).sort((a, b) => a.top - b.top)) {
      if (r.top >= bottom - 2) {
        rows++;
        bottom = r.bottom;
      } else bottom = Math.max(bottom, r.bottom);
    }
    return rows;
  };
  return { out, rows: rowsOf(outer.querySelector('[data-testid="mail-actions"]') ?? outer.querySelector('[data-testid="mail-bulk"]')) };
}

describe('attachment preview (chromium, real mail service)', () => {
  it('thumbnails real pictures only; the dialog shows them full size, ←/→ and Esc; text shows as text', async () => {
    const { page, errors } = await openApp(messageHash);
    try {
      await page.getByTestId('mail-reader').waitFor();
      const thumbs = page.getByTestId('mail-thumb');
      await thumbs.nth(1).waitFor();
      // The SVG labelled image/png is fetched, sniffed and refused: two thumbnails, not three.
      await expect(thumbs.locator('img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).alt))).resolves.toEqual(['photo.png', 'diagram.gif']);
      await expect(thumbs.locator('img').first().getAttribute('src')).resolves.toMatch(/^blob:/);
      const chip = (name: string) => page.locator('.mail-att', { has: page.locator('.mail-att-name', { hasText: name }) });
      await expect(chip('logo.png').getByTestId('mail-att-preview').count()).resolves.toBe(0);
      await expect(chip('photo.png').getByTestId('mail-att-preview').count()).resolves.toBe(1);

      const dialog = page.getByRole('dialog');
      const shown = async () => {
        await page.waitForFunction(() => {
          const img = document.querySelector<HTMLImageElement>('[data-testid="mail-preview-img"]');
          return img !== null && img.complete && img.naturalWidth > 0;
        });
        return dialog.getAttribute('aria-label');
      };
      await thumbs.first().click();
      await expect(shown()).resolves.toBe('photo.png');
      await expect(page.getByTestId('mail-preview-img').evaluate((i) => (i as HTMLImageElement).naturalWidth)).resolves.toBe(320);
      await expect(page.getByTestId('mail-preview-pos').textContent()).resolves.toContain('1 из 2');
      await screenshot(page, 'mail-attachment-preview');
      await page.keyboard.press('ArrowRight');
      await expect(shown()).resolves.toBe('diagram.gif');
      await page.keyboard.press('ArrowRight'); // wraps around
      await expect(shown()).resolves.toBe('photo.png');
      await page.keyboard.press('ArrowLeft');
      await expect(shown()).resolves.toBe('diagram.gif');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });

      // The text file: windows-1251 bytes shown as the Russian text they are.
      await chip('smeta.txt').getByTestId('mail-att-preview').click();
      await expect(page.getByTestId('mail-preview-text').textContent()).resolves.toBe(TEXT);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      // The preview asks for the beginning only: `maxBytes` cuts what crosses IPC.
      const id = Number(messageHash.split('/').at(-1));
      const txt = (await h.mail.handle('mail:messages:get', { id })) as { attachments: { index: number; filename: string }[] };
      const head = (await h.mail.handle('mail:attachments:get', { messageId: id, index: txt.attachments.find((a) => a.filename === 'smeta.txt')!.index, maxBytes: 7 })) as { dataBase64: string };
      expect(Buffer.from(head.dataBase64, 'base64').equals(cp1251(TEXT).subarray(0, 7))).toBe(true);

      // No CSP refusal, no page error, and the SVG's script never ran.
      expect(errors).toEqual([]);
      await expect(page.evaluate(() => (window as unknown as { __svgRan?: number }).__svgRan ?? 0)).resolves.toBe(0);

      // Leaving the message revokes its pictures' blob: URLs.
      const url = (await thumbs.first().locator('img').getAttribute('src'))!;
      await page.evaluate(() => (location.hash = '#/mail'));
      await page.getByTestId('mail-reader').waitFor({ state: 'detached' });
      const loads = await page.evaluate(
        (u) => new Promise<boolean>((resolve) => {
          const img = new Image();
          img.onload = () => resolve(true);
          img.onerror = () => resolve(false);
          img.src = u;
        }),
        url,
      );
      expect(loads).toBe(false);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('at 1100×740 and 760×700 nothing sticks out: no sideways scroll, actions inside the reader, two-row bars', async () => {
    for (const size of [{ width: 1100, height: 740 }, { width: 760, height: 700 }]) {
      const at = `${size.width}×${size.height}`;
      const { page, errors } = await openApp(htmlHash, size);
      try {
        // HTML mail with its pictures blocked: the notice's buttons fit in it.
        await page.getByTestId('mail-images-blocked').waitFor();
        const html = await page.evaluate(layoutReport, '.mail-reader');
        expect(html.out, at).toEqual([]);
        if (size.width === 1100) expect(html.rows, `${at}: toolbar rows`).toBeLessThanOrEqual(2);
        await screenshot(page, `mail-layout-${size.width}-html`);

        // Six attachments: every «Скачать» / «Открыть» / «Просмотр» reachable, in the reader.
        await page.evaluate((hash) => (location.hash = `#${hash}`), messageHash);
        await page.getByTestId('mail-thumb').nth(1).waitFor();
        await expect(page.locator('.mail-att').count()).resolves.toBe(6);
        const att = await page.evaluate(layoutReport, '.mail-reader');
        expect(att.out, at).toEqual([]);
        if (size.width === 1100) expect(att.rows, `${at}: toolbar rows`).toBeLessThanOrEqual(2);
        // Focusing the last button scrolls nothing but the reader: the panes stay put.
        await page.getByTestId('mail-att-preview').last().focus();
        await expect(page.evaluate(() => [document.querySelector('main.content')!.scrollLeft, document.querySelector('main.content')!.scrollTop, document.querySelector('.mail-layout')!.scrollLeft])).resolves.toEqual([0, 0, 0]);
        await screenshot(page, `mail-layout-${size.width}-attachments`);
        // Narrow, the secondary actions are in «Ещё ▾».
        await page.getByTestId('mail-more').click();
        await page.getByTestId('mail-toggle-flag').waitFor();
        await page.keyboard.press('Escape');

        // Both checked: the bulk bar's controls stay in the list, on at most two rows.
        await page.evaluate(() => (location.hash = location.hash.replace(/\/m\/\d+.*$/, '')));
        await page.getByTestId('mail-reader').waitFor({ state: 'detached' });
        await page.getByTestId('mail-row-check').nth(0).click();
        await page.getByTestId('mail-row-check').nth(1).click();
        await page.getByTestId('mail-selected-count').filter({ hasText: /^Выбрано: 2$/ }).waitFor();
        const bulk = await page.evaluate(layoutReport, '.mail-middle');
        expect(bulk.out, at).toEqual([]);
        expect(bulk.rows, `${at}: bulk bar rows`).toBeLessThanOrEqual(2);
        await screenshot(page, `mail-layout-${size.width}-bulk`);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    }
  }, 60_000);
});
