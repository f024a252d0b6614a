/** Serving the built renderer (dist/renderer) from disk, never a path outside it. */
import fs from 'node:fs';
import path from 'node:path';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Resolves a URL path to a file inside `root`, or null. `/` and extension-less paths are the
 * single-page app's index.html; traversal (`..`, encoded or not) and symlinks out are refused.
 */
export function resolveStaticFile(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = decoded === '/' || !path.posix.extname(decoded) ? 'index.html' : decoded.replace(/^\/+/, '');
  const rootReal = safeRealpath(root);
  if (!rootReal) return null;
  const candidate = path.resolve(rootReal, rel);
  if (candidate !== rootReal && !candidate.startsWith(rootReal + path.sep)) return null;
  const real = safeRealpath(candidate);
  if (!real || (real !== rootReal && !real.startsWith(rootReal + path.sep))) return null;
  try {
    return fs.statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

function safeRealpath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** What the bridge serves when the renderer has not been built yet. */
export const NOT_BUILT_PAGE = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>АСГАРД Телефония</title></head>
<body style="font-family:sans-serif;margin:3em"><h1>Интерфейс не собран</h1>
<p>Выполните <code>npm run build</code> и обновите страницу.</p></body></html>`;
