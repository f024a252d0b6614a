/**
 * Chromium for e2e tests: Debian's /usr/bin/chromium through playwright-core, headless, no
 * network chatter. Also builds the renderer with vite and serves a directory over http.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}. Run \`npm run setup:test\` first (it installs Debian's chromium).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Saves a full-page screenshot as test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? false });
  return file;
}

/** Collects console errors and uncaught page errors, to assert a page ran clean. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** What a renderer build is made of: its sources, the shared code it imports, the toolchain. */
function rendererInputsHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        h.update(path.relative(REPO_ROOT, p));
        h.update(fs.readFileSync(p));
      }
    }
  };
  walk(path.join(REPO_ROOT, 'src-renderer'));
  walk(path.join(REPO_ROOT, 'src-shared'));
  h.update(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json')));
  return h.digest('hex').slice(0, 16);
}

/**
 * The renderer built with vite, once per set of sources: the browser suites share one build
 * (read-only) instead of each spending ~10 s of CPU on its own. Built into a temporary
 * directory and renamed into node_modules/.cache, so parallel test files never see half a build
 * (two may build at once the first time; the first rename wins). `cleanup` is kept for the
 * callers and leaves the shared build alone.
 */
export async function buildRenderer(): Promise<{ dir: string; cleanup(): void }> {
  const cache = path.join(REPO_ROOT, 'node_modules/.cache/asgard-test-renderer');
  const dir = path.join(cache, rendererInputsHash());
  if (!existsSync(path.join(dir, 'index.html'))) {
    const { build } = await import('vite');
    mkdirSync(cache, { recursive: true });
    const tmp = mkdtempSync(path.join(cache, 'build-'));
    await build({
      configFile: path.join(REPO_ROOT, 'src-renderer/vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: tmp, emptyOutDir: true },
    });
    if (!existsSync(path.join(tmp, 'index.html'))) throw new Error('vite build produced no index.html');
    try {
      fs.renameSync(tmp, dir);
    } catch {
      // Another test file's build got there first: the same sources, the same build.
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { dir, cleanup: () => undefined };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
};

/** Serves `dir` on 127.0.0.1 (index.html for unknown paths), with optional extra headers. */
export async function serveDir(dir: string, headers: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    let rel = decodeURIComponent(u.pathname);
    if (rel === '/' || !path.extname(rel)) rel = '/index.html';
    const file = path.resolve(root, '.' + rel);
    if (!file.startsWith(root + path.sep) || !existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...headers });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

export interface RecordedNotice {
  title: string;
  body: string;
  tag?: string;
}

/**
 * Records the page's browser notifications (the real Notification still runs: the page must be
 * opened with the 'notifications' permission). Returns what was shown so far, and a click on
 * the n-th one (its onclick, as the browser would call it).
 */
export async function recordNotifications(page: Page): Promise<{ shown(): Promise<RecordedNotice[]>; click(n: number): Promise<void> }> {
  await page.addInitScript(() => {
    const Real = window.Notification;
    const w = window as unknown as { __notices: RecordedNotice[]; __noticeObjects: Notification[] };
    w.__notices = [];
    w.__noticeObjects = [];
    class Recorded extends Real {
      constructor(title: string, o?: NotificationOptions) {
        super(title, o);
        w.__notices.push({ title, body: o?.body ?? '', tag: o?.tag });
        w.__noticeObjects.push(this);
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    window.Notification = Recorded as typeof Notification;
  });
  type W = { __notices: RecordedNotice[]; __noticeObjects: { onclick: ((e: Event) => void) | null }[] };
  return {
    shown: () => page.evaluate(() => (window as unknown as W).__notices ?? []),
    click: (n) => page.evaluate((i) => (window as unknown as W).__noticeObjects[i].onclick?.(new Event('click')), n),
  };
}
