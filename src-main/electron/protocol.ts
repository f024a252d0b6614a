/**
 * `app://asgard/…`: the renderer served from dist/renderer with our CSP, instead of file://
 * (which would give every local file the page's origin). `app://asgard/recordings/<id>` is
 * proxied to the relay with the session token, so <audio> can play recordings without the
 * token ever reaching the renderer.
 */
import fs from 'node:fs/promises';
import { protocol } from 'electron';
import type { AppCore } from '../core/app-core';
import { contentSecurityPolicy } from '../core/csp';
import { APP_HOST, APP_ORIGIN, APP_SCHEME } from '../core/ipc-guard';
import { contentType, NOT_BUILT_PAGE, resolveStaticFile } from '../bridge/static-files';

/** Must run before `app.ready`. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

const HEADERS = {
  'content-security-policy': contentSecurityPolicy(),
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
} as const;

export function serveAppScheme(rendererDir: string, core: AppCore): void {
  core.setRecordingUrl((id) => `${APP_ORIGIN}/recordings/${encodeURIComponent(id)}`);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('Not found', { status: 404 });
    if (url.pathname.startsWith('/recordings/')) {
      try {
        const upstream = await core.fetchRecording(decodeURIComponent(url.pathname.slice('/recordings/'.length)));
        return new Response(upstream.body, {
          headers: { ...HEADERS, 'content-type': upstream.headers.get('content-type') ?? 'audio/mpeg' },
        });
      } catch {
        return new Response('Recording unavailable', { status: 502 });
      }
    }
    const file = resolveStaticFile(rendererDir, url.pathname);
    if (!file) {
      if (url.pathname === '/' || url.pathname === '/index.html')
        return new Response(NOT_BUILT_PAGE, { headers: { ...HEADERS, 'content-type': 'text/html; charset=utf-8' } });
      return new Response('Not found', { status: 404 });
    }
    return new Response(await fs.readFile(file), { headers: { ...HEADERS, 'content-type': contentType(file) } });
  });
}
