/**
 * Hostile mail HTML in a real browser (Debian chromium via playwright-core): the renderer's
 * DOMPurify pass removes scripts, handlers, forms and javascript: links; remote images stay
 * blocked (no request reaches the tracker) until allowed, then come in as data URLs; the
 * sandboxed srcdoc frame runs no script even when given the raw HTML. Known bypass vectors are
 * tried against each layer alone (sanitizer without the frame's sandbox and CSP, frame without
 * the sanitizer); links, image-map areas included, must open as popups (the shell's external-open
 * path), never navigate the frame. Saves a screenshot.
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
/** A page without CSP: renders sanitizer output with no other layer in the way. */
let bare: Page;
let app: Server;
let tracker: Server;
let trackerUrl = '';
const hits: string[] = [];
/** A site mail links point to: only popups (the external-open path) may reach it. */
let site: Server;
let siteUrl = '';
const siteHits: string[] = [];

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

/** Script in mail reports itself to the top page (postMessage is not stopped by any CSP). */
const JS = "top.postMessage('xss','*')";

/** Known ways to load remote content or run script past a mail sanitizer (T: the tracker). */
function vectors(t: string): string[] {
  const host = new URL(t).host;
  return [
    // CSS: escapes and string URLs the url()/@import regexes do not see.
    `<div style="background:u\\72l(${t}/css-attr-escape)">a</div>`,
    `<div style="background-image:image-set('${t}/css-attr-image-set' 1x)">a</div>`,
    `<div style="background-image:-webkit-image-set(&quot;\\68ttp://${host}/css-attr-string-escape&quot; 1x)">a</div>`,
    `<style>@\\69mport "${t}/css-import-escape";</style>`,
    `<style>.v1{background:\\75 rl(${t}/css-escape)}</style><div class="v1">a</div>`,
    `<style>.v2{background-image:image-set("${t}/css-image-set" 1x)}</style><div class="v2">a</div>`,
    `<style>@import url(${t}/css-import);@import "${t}/css-import-string";@imp@importort "${t}/css-import-split";</style>`,
    `<style>@font-face{font-family:v3;src:url(${t}/css-font)}.v3{font-family:v3}.v3::before{content:url(${t}/css-content)}</style><p class="v3">a</p>`,
    `<style>.v4{cursor:url(${t}/css-cursor),auto;list-style-image:url(${t}/css-list);border:9px solid;border-image:url(${t}/css-border) 9}</style><ul class="v4"><li>a</li></ul>`,
    `<div style="-webkit-mask-image:url(${t}/css-mask);background:url(\n${t}/css-newline\n)">a</div>`,
    // Elements and attributes that fetch.
    `<img srcset="${t}/srcset 1x"><picture><source srcset="${t}/picture"><img alt="p"></picture>`,
    `<video poster="${t}/poster" src="${t}/video" autoplay></video><audio src="${t}/audio" autoplay></audio>`,
    `<input type="image" src="${t}/input-image"><img dynsrc="${t}/dynsrc" lowsrc="${t}/lowsrc">`,
    `<link rel="stylesheet" href="${t}/link-css"><link rel="prefetch" href="${t}/prefetch"><link rel="preload" as="image" href="${t}/preload">`,
    `<meta http-equiv="refresh" content="0;url=${t}/refresh"><base href="${t}/base/"><img src="base.png">`,
    `<svg width="9" height="9"><image href="${t}/svg-image" width="9" height="9"/><use href="${t}/svg-use#x"/><filter id="f"><feImage href="${t}/feimage"/></filter><rect filter="url(#f)" width="5" height="5"/><image xlink:href="${t}/svg-xlink"/></svg>`,
    `<object data="${t}/object"></object><embed src="${t}/embed"><iframe srcdoc="<img src='${t}/srcdoc'>"></iframe><iframe src="${t}/iframe"></iframe>`,
    `<table background="${t}/table-bg"><tr><td background="${t}/td-bg">a</td></tr></table>`,
    `<img src="//${host}/protocol-relative"><img src="HTTP://${host}/upper"><img src=" ${t}/spaces "><img src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'><image href='${t}/data-svg'/></svg>">`,
    // Script.
    `<img src=x onerror="${JS}"><svg onload="${JS}"></svg><details open ontoggle="${JS}"><summary>s</summary></details>`,
    `<script>${JS}</script><iframe src="javascript:${JS}"></iframe><embed src="data:text/html,<script>${JS}</script>">`,
    `<svg><a><animate attributeName="href" to="javascript:${JS}"/><text y="20">a</text></a></svg>`,
    // mXSS (namespace confusion, raw-text elements, our own <style> rewrite).
    `<noscript><p title="</noscript><img src=x onerror=${JS}>"></noscript>`,
    `<svg></p><style><a title="</style><img src=1 onerror=${JS}>"></svg>`,
    `<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=${JS}&gt;">`,
    `<form><math><mtext></form><form><mglyph><style></math><img src onerror=${JS}>`,
    `<template><style></template><img src=x onerror=${JS}></style></template>`,
    `<svg><foreignobject><p><style><p title="</style><iframe onload&#x3d;${JS}>">`,
    `<style><@import;/style><img src=x onerror=${JS}></style>`,
    `<style><\\/style><\\img src=x onerror=${JS}></style>`,
  ];
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error('chromium is missing: run `npm run setup:test`');
  tracker = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
    res.end(PIXEL);
  });
  trackerUrl = `http://127.0.0.1:${await listen(tracker)}`;
  site = createServer((req, res) => {
    siteHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>site</title>site');
  });
  siteUrl = `http://127.0.0.1:${await listen(site)}`;

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
    const headers: Record<string, string> = req.url?.startsWith('/bare') ? {} : { 'content-security-policy': contentSecurityPolicy({ frameAncestors: false }) };
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
  bare = await browser.newPage({ viewport: { width: 800, height: 700 } });
  await bare.goto(`${appUrl}bare`);
  for (const p of [page, bare]) {
    await p.waitForFunction(() => Boolean((window as unknown as { mailSanitize?: unknown }).mailSanitize));
    await p.evaluate(() => {
      const w = window as unknown as { xss: number };
      w.xss = 0;
      window.addEventListener('message', (e) => {
        if (e.data === 'xss') w.xss++;
      });
    });
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  app?.close();
  tracker?.close();
  site?.close();
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

/**
 * Renders into the sandboxed frame the reader uses; resolves once it loaded. `on: bare` renders
 * the HTML as is into an unsandboxed frame of a page without CSP: the sanitizer's output alone.
 */
async function render(cleanOrRaw: string, asIs = false, on: Page = page, settleMs = 700): Promise<void> {
  await on.evaluate(
    ({ body, asIs, sandboxed }) =>
      new Promise<void>((resolve) => {
        const s = (window as unknown as { mailSanitize: { mailSrcdoc: (h: string) => string } }).mailSanitize;
        document.body.innerHTML = '';
        const f = document.createElement('iframe');
        if (sandboxed) f.setAttribute('sandbox', 'allow-popups allow-popups-to-escape-sandbox');
        f.setAttribute('referrerpolicy', 'no-referrer');
        f.style.cssText = 'width:780px;height:680px;border:1px solid #ccc';
        f.onload = () => resolve();
        f.srcdoc = asIs ? body : s.mailSrcdoc(body);
        document.body.appendChild(f);
      }),
    { body: cleanOrRaw, asIs, sandboxed: on === page },
  );
  await on.waitForTimeout(settleMs);
}

function mailFrame() {
  const f = page.frames().find((x) => x !== page.mainFrame());
  if (!f) throw new Error('no mail frame');
  return f;
}

const scriptRuns = (p: Page) => p.evaluate(() => (window as unknown as { xss: number }).xss);

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

  it('bypass vectors: the sanitizer alone (no sandbox, no CSP) loads nothing and runs nothing', async () => {
    const vs = vectors(trackerUrl);
    // Well-formed vectors together, mXSS ones (which may swallow what follows) one by one.
    const docs = [vs.slice(0, 22).join('\n'), ...vs.slice(22)];
    for (const doc of docs) {
      const r = await sanitize(doc, null);
      hits.length = 0;
      await bare.evaluate(() => ((window as unknown as { xss: number }).xss = 0));
      await render(r.html, true, bare, 400);
      expect(hits, doc.slice(0, 80)).toEqual([]);
      expect(await scriptRuns(bare), doc.slice(0, 80)).toBe(0);
    }
    // Remote CSS images hidden in image-set() strings are found (and counted) like url() ones.
    const r = await sanitize(vs.slice(0, 10).join('\n'), null);
    expect(r.remoteUrls).toEqual(expect.arrayContaining([`${trackerUrl}/css-attr-image-set`, `${trackerUrl}/css-image-set`]));
    // cid: lookups are own keys only (`cid:__proto__` must not become src="[object Object]").
    expect((await sanitize('<img src="cid:__proto__" alt="c">', null)).html).toBe('<img alt="c">');
    // …while strings that are not URLs stay (print CSS often has a[href^="http://"]).
    expect((await sanitize('<style>a[href^="http://"]{color:red}</style>', null)).blocked).toBe(0);
  }, 60_000);

  it('bypass vectors: sanitized, in the mail frame; and raw, in the frame alone: nothing loads or runs', async () => {
    for (const [doc, clean] of [[vectors(trackerUrl).join('\n'), true], ...vectors(trackerUrl).map((v) => [v, false] as const)] as const) {
      const body = clean ? (await sanitize(doc, null)).html : doc;
      hits.length = 0;
      await page.evaluate(() => ((window as unknown as { xss: number }).xss = 0));
      await render(body, false, page, 300);
      expect(hits, doc.slice(0, 80)).toEqual([]);
      expect(await scriptRuns(page), doc.slice(0, 80)).toBe(0);
      // Raw <meta refresh> may still navigate the frame (CSP has no say; the parent's frame-src
      // stops the load): keeping the frame in place is the sanitizer's part.
      if (clean) expect(mailFrame().url()).toBe('about:srcdoc');
    }
    expect(await page.title()).toBe('mail');
  }, 120_000);

  it('links and image-map areas open as noopener popups (the external-open path), never in the frame', async () => {
    const map = (href: string, target = '') =>
      `<img src="data:image/png;base64,${PIXEL.toString('base64')}" width="200" height="40" usemap="#m" alt="карта">` +
      `<map name="m"><area shape="rect" coords="0,0,200,40" href="${href}"${target}></map>`;
    const block = 'style="display:block;width:200px;height:40px"';
    const cases: [string, string, string | null][] = [
      [`<a href="${siteUrl}/a" ${block} ping="${trackerUrl}/ping">ссылка</a>`, 'a', `${siteUrl}/a`],
      [`<a href="${siteUrl}/a-self" target="_self" ${block}>ссылка</a>`, 'a', `${siteUrl}/a-self`],
      [`<a href=" JaVa&#x09;ScRipt:${JS}" ${block}>ссылка</a>`, 'a', null],
      [`<a href="data:text/html,<script>${JS}</script>" ${block}>ссылка</a>`, 'a', null],
      [map(`${siteUrl}/area`), 'img', `${siteUrl}/area`],
      [map(`${siteUrl}/area-top`, ' target="_top"'), 'img', `${siteUrl}/area-top`],
      // Relative to the srcdoc's base, i.e. the app's own origin.
      [map('/area-relative'), 'img', null],
    ];
    for (const [html, selector, opens] of cases) {
      await render((await sanitize(html, null)).html);
      hits.length = 0;
      siteHits.length = 0;
      const popups: Page[] = [];
      const onPopup = (p: Page) => popups.push(p);
      page.context().on('page', onPopup);
      await mailFrame().locator(selector).first().click({ position: { x: 10, y: 10 } });
      await page.waitForTimeout(700);
      page.context().off('page', onPopup);
      expect(mailFrame().url(), html).toBe('about:srcdoc');
      expect(page.url(), html).not.toContain('area');
      expect(popups.map((p) => p.url()), html).toEqual(opens ? [opens] : []);
      for (const p of popups) {
        expect(await p.evaluate(() => window.opener), html).toBeNull();
        await p.close();
      }
      expect(siteHits.filter((u) => u !== '/favicon.ico'), html).toEqual(opens ? [new URL(opens).pathname] : []);
      expect(hits, html).toEqual([]);
      expect(await scriptRuns(page), html).toBe(0);
    }
  }, 60_000);

  it('plain-text mails become escaped HTML with safe links', async () => {
    const html = await page.evaluate(() =>
      (window as unknown as { mailSanitize: { textToHtml: (t: string) => string } }).mailSanitize.textToHtml('<script>x</script>\nсм. https://example.com/a?b=1\n> цитата'),
    );
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">');
  });
});
