/**
 * The renderer in Chromium with telephony answered by the renderer's fake and mail by a real
 * mail service (its requests through a page binding, its events pushed into the page): what the
 * mail browser tests open.
 */
import type { Browser, Page } from 'playwright-core';
import type { MailService } from '../../src-main/core/mail/service';
import { collectPageErrors } from '../support/browser';
import { installFakeAsgard } from '../e2e/fake-asgard';

export async function openMailPage(
  browser: Browser,
  siteUrl: string,
  mail: MailService,
  hash: string,
  o: { width: number; height: number; timeoutMs: number; totalCalls: number },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: o.width, height: o.height }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
  const errors = collectPageErrors(page);
  page.setDefaultTimeout(o.timeoutMs);
  await page.exposeBinding('__mailInvoke', async (_src, name: string, args: unknown) => {
    try {
      return { ok: true, value: JSON.parse(JSON.stringify((await mail.handle(name, args ?? undefined)) ?? null)) };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      return { ok: false, error: { code: err.code ?? 'internal', message: err.message ?? String(e) } };
    }
  });
  const off = mail.onAny((name, payload) => {
    void page.evaluate(([n, p]) => (window as unknown as { __mailEmit?: (n: string, p: unknown) => void }).__mailEmit?.(n, p), [name, payload] as const).catch(() => undefined);
  });
  page.on('close', off);
  const fake = { loggedIn: true, role: 'to' as const, totalCalls: o.totalCalls, now: Date.now() };
  await page.addInitScript({
    content:
      `globalThis.__name = globalThis.__name || ((f) => f);\n(${installFakeAsgard.toString()})(${JSON.stringify(fake)});\n` +
      `(() => {
        const base = window.asgard; const ls = new Map();
        window.__mailEmit = (n, p) => (ls.get(n) || []).forEach((l) => l(p));
        window.asgard = {
          invoke(name, args) {
            if (!String(name).startsWith('mail:')) return base.invoke(name, args);
            return window.__mailInvoke(name, args === undefined ? null : args).then((r) => { if (r.ok) return r.value === null ? undefined : r.value; throw r.error; });
          },
          on(name, l) {
            if (!String(name).startsWith('mail:')) return base.on(name, l);
            const s = ls.get(name) || []; s.push(l); ls.set(name, s);
            return () => ls.set(name, (ls.get(name) || []).filter((x) => x !== l));
          },
        };
      })();`,
  });
  await page.goto(`${siteUrl}/#${hash}`);
  return { page, errors };
}
