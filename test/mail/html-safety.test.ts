/**
 * Hostile mail HTML in a real browser (Debian chromium via playwright-core): the renderer's
 * DOMPurify pass removes scripts, handlers, forms and javascript: links; remote images stay
 * blocked (no request reaches the tracker) until allowed, then come in as data URLs; the
 * sandboxed srcdoc frame runs no script even when given the raw HTML. Saves a screenshot.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src-main/core/csp';

const CHROMIUM = '/usr/bin/chromium';
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let browser: Browser;
let page: Page;
let app: Server;
let tracker: Server;
let trackerUrl = '';
const hits: string[] = [];

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
}

const hostile = (t: string) => `
  <style>@import url("${t}/css-import"); body { background: url('${t}/bg.png') } .x { color: #c00 }</style>
  <h1 class="x">Счёт на оплату</h1>
  <p>Уважаемый клиент, <b>оплатите</b> счёт.</p>
  <script>fetch('${t}/script'); parent.document.title = 'pwned';</script>
  <img src="${t}/pixel.png" width="40" height="40" alt="трекер">
  <img src="x" onerror="fetch('${t}/onerror')">
  <img src="cid:logo@mail" alt="логотип">
  <a href="javascript:fetch('${t}/js-link')">Нажмите здесь</a>
  <a href="https://example.com/pay" onclick="fetch('${t}/onclick')">Оплатить на сайте</a>
  <form action="${t}/phish" method="post"><input name="password" type="password"><button>Войти</button></form>
  <iframe src="${t}/frame"></iframe>
  <object data="${t}/object"></object>
  <div style="background-image: url(${t}/style-bg.png)">Фон</div>
  <table background="${t}/table-bg.png"><tr><td>ячейка</td></tr></table>
  <svg><script>fetch('${t}/svg')</script></svg>
  <meta http-equiv="refresh" content="0;url=${t}/refresh">
  <base href="${t}/">
`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error('chromium is missing: run `npm run setup:test`');
  tracker = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
    res.end(PIXEL);
  });
  trackerUrl = `http://127.0.0.1:${await listen(tracker)}`;

  const bundle = await build({
    entryPoints: [join(import.meta.dirname, 'fixtures/sanitize-harness.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
  });
  const js = bundle.outputFiles[0].text;
  app = createServer((req, res) => {
    // Served like the app's renderer: same CSP as both shells send.
    const headers = { 'content-security-policy': contentSecurityPolicy({ frameAncestors: false }) };
    if (req.url === '/harness.js') {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript' });
      res.end(js);
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>mail</title><script src="/harness.js"></script></head><body style="margin:0"></body></html>');
  });
  const appUrl = `http://127.0.0.1:${await listen(app)}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  await page.goto(appUrl);
  await page.waitForFunction(() => Boolean((window as unknown as { mailSanitize?: unknown }).mailSanitize));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  app?.close();
  tracker?.close();
});

interface Result {
  html: string;
  remoteUrls: string[];
  blocked: number;
}

function sanitize(html: string, remoteImages: Record<string, string> | null): Promise<Result> {
  return page.evaluate(
    ({ html, remoteImages, logo }) => {
      const s = (window as unknown as { mailSanitize: { sanitizeMailHtml: (h: string, o: unknown) => Result } }).mailSanitize;
      return s.sanitizeMailHtml(html, { inlineImages: { 'logo@mail': logo }, remoteImages });
    },
    { html, remoteImages, logo: `data:image/png;base64,${PIXEL.toString('base64')}` },
  );
}

/** Renders into the sandboxed frame the reader uses; resolves once it loaded. */
async function render(cleanOrRaw: string, asIs = false): Promise<void> {
  await page.evaluate(
    ({ body, asIs }) =>
      new Promise<void>((resolve) => {
        const s = (window as unknown as { mailSanitize: { mailSrcdoc: (h: string) => string } }).mailSanitize;
        document.body.innerHTML = '';
        const f = document.createElement('iframe');
        f.setAttribute('sandbox', 'allow-popups allow-popups-to-escape-sandbox');
        f.setAttribute('referrerpolicy', 'no-referrer');
        f.style.cssText = 'width:780px;height:680px;border:1px solid #ccc';
        f.onload = () => resolve();
        f.srcdoc = asIs ? body : s.mailSrcdoc(body);
        document.body.appendChild(f);
      }),
    { body: cleanOrRaw, asIs },
  );
  await page.waitForTimeout(700);
}

describe('mail HTML safety (chromium)', () => {
  it('sanitizes: no scripts, handlers, forms, frames, javascript: links; remote images blocked', async () => {
    const r = await sanitize(hostile(trackerUrl), null);
    const h = r.html.toLowerCase();
    for (const bad of ['<script', 'onerror', 'onclick', '<form', '<input', '<button', '<iframe', '<object', 'javascript:', '<meta', '<base', '@import']) {
      expect(h, bad).not.toContain(bad);
    }
    expect(h).not.toContain(trackerUrl.toLowerCase());
    expect(r.html).toContain('Счёт на оплату');
    expect(r.html).toContain('href="https://example.com/pay"');
    expect(r.html).toContain('target="_blank"');
    expect(r.html).toContain('data:image/png;base64'); // the cid: logo
    expect(r.remoteUrls.sort()).toEqual(
      [`${trackerUrl}/bg.png`, `${trackerUrl}/pixel.png`, `${trackerUrl}/style-bg.png`, `${trackerUrl}/table-bg.png`].sort(),
    );
    expect(r.blocked).toBe(4);

    hits.length = 0;
    await render(r.html);
    expect(hits).toEqual([]);
    expect(await page.title()).toBe('mail');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/mail-html-blocked.png' });
    const frame = page.frames()[1];
    expect(await frame.locator('h1').textContent()).toBe('Счёт на оплату');
    expect(await frame.locator('form, input, script').count()).toBe(0);
  });

  it('the sandboxed frame runs no script and loads nothing even given the raw HTML', async () => {
    hits.length = 0;
    const raw = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"></head><body>${hostile(trackerUrl)}</body></html>`;
    await render(raw, true);
    expect(hits).toEqual([]);
    expect(await page.title()).toBe('mail');
  });

  it('allowed remote images arrive as data URLs from the core, never from the frame', async () => {
    const dataUrl = `data:image/png;base64,${PIXEL.toString('base64')}`;
    const allowed = Object.fromEntries([`${trackerUrl}/pixel.png`, `${trackerUrl}/style-bg.png`].map((u) => [u, dataUrl]));
    const r = await sanitize(hostile(trackerUrl), allowed);
    expect(r.blocked).toBe(2);
    expect(r.html).not.toContain(trackerUrl);
    expect(r.html.match(/data:image\/png;base64/g)?.length).toBeGreaterThanOrEqual(3);
    hits.length = 0;
    await render(r.html);
    expect(hits).toEqual([]);
    const frame = page.frames()[1];
    const natural = await frame.locator('img[alt="трекер"]').evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(natural).toBe(1);
    await page.screenshot({ path: 'test-results/mail-html-allowed.png' });
  });

  it('plain-text mails become escaped HTML with safe links', async () => {
    const html = await page.evaluate(() =>
      (window as unknown as { mailSanitize: { textToHtml: (t: string) => string } }).mailSanitize.textToHtml('<script>x</script>\nсм. https://example.com/a?b=1\n> цитата'),
    );
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">');
  });
});
