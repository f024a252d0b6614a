/**
 * Mail HTML is untrusted remote content. It is cleaned with DOMPurify (no scripts, event
 * handlers, forms, frames, objects, `javascript:` links, <base>/<meta>/<link>), remote images
 * are blocked (their URLs collected, so the user can allow them; allowed ones come back from the
 * core as data URLs), `cid:` images are resolved to the message's inline parts, and the result
 * is shown in a sandboxed srcdoc frame with its own Content-Security-Policy.
 */
import DOMPurify from 'dompurify';

export interface SanitizeOptions {
  /** `cid:` → data URL of the message's inline images. */
  inlineImages: Record<string, string>;
  /** Allowed remote images fetched by the core (URL → data URL); null while blocked. */
  remoteImages: Record<string, string> | null;
}

export interface SanitizeResult {
  html: string;
  /** Remote image URLs found (blocked unless in `remoteImages`). */
  remoteUrls: string[];
  /** How many remote images are not shown. */
  blocked: number;
}

const FORBID_TAGS = [
  'script', 'noscript', 'form', 'input', 'button', 'select', 'option', 'optgroup', 'textarea', 'datalist', 'output',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'param', 'base', 'meta', 'link', 'portal', 'template',
  'audio', 'video', 'source', 'track', 'dialog', 'math',
];
const FORBID_ATTR = ['action', 'formaction', 'form', 'ping', 'srcset', 'srcdoc', 'autofocus', 'contenteditable', 'tabindex', 'id'];
// url(...), or a bare string that is a remote/cid URL (image-set("…" 1x) loads those too).
const URL_IN_CSS = /url\(\s*(['"]?)(.*?)\1\s*\)|(['"])\s*((?:https?:)?\/\/[^\s'"/].*?|cid:.+?)\3/gi;
const REMOTE = /^(https?:)?\/\//i;

let purifier: ReturnType<typeof DOMPurify> | null = null;
function getPurifier(): ReturnType<typeof DOMPurify> {
  // A private instance, so our hooks never affect other DOMPurify users.
  if (!purifier) purifier = DOMPurify(window);
  return purifier;
}

/** Own keys only: `cid:__proto__` must not find Object.prototype. */
function lookup(map: Record<string, string> | null, key: string): string | undefined {
  return map && Object.hasOwn(map, key) ? map[key] : undefined;
}

function absolute(u: string): string {
  return u.startsWith('//') ? `https:${u}` : u;
}

/** Rewrites URLs in CSS: cid → inline, allowed remote → data URL, everything else dropped. */
function rewriteCss(css: string, o: SanitizeOptions, found: Set<string>, missed: { n: number }): string {
  return css
    // CSS escapes could spell url(, @import or http past the regexes below (u\72l(…)).
    .replace(/\\/g, '')
    .replace(/@import[^;]*;?/gi, '')
    .replace(/expression\s*\(/gi, 'x(')
    .replace(URL_IN_CSS, (_m, _q, inUrl: string | undefined, _sq, inString: string | undefined) => {
      const u = (inUrl ?? inString ?? '').trim();
      const out = (d: string) => (inString === undefined ? `url("${d}")` : `"${d}"`);
      if (/^cid:/i.test(u)) {
        const d = lookup(o.inlineImages, u.slice(4).replace(/^<|>$/g, ''));
        return d ? out(d) : 'none';
      }
      if (/^data:image\//i.test(u)) return out(u.replace(/"/g, ''));
      if (REMOTE.test(u)) {
        const abs = absolute(u);
        found.add(abs);
        const d = lookup(o.remoteImages, abs);
        if (d) return out(d);
        missed.n++;
      }
      return 'none';
    });
}

export function sanitizeMailHtml(html: string, o: SanitizeOptions): SanitizeResult {
  const p = getPurifier();
  const found = new Set<string>();
  const missed = { n: 0 };
  p.removeAllHooks();
  p.addHook('uponSanitizeElement', (node, data) => {
    if (data.tagName === 'style' && node.textContent) node.textContent = rewriteCss(node.textContent, o, found, missed);
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    if (!el.getAttribute) return;
    const tag = el.tagName.toLowerCase();
    if (tag === 'img') {
      const src = (el.getAttribute('src') ?? '').trim();
      if (/^cid:/i.test(src)) {
        const d = lookup(o.inlineImages, src.slice(4).replace(/^<|>$/g, ''));
        if (d) el.setAttribute('src', d);
        else el.removeAttribute('src');
      } else if (REMOTE.test(src)) {
        const abs = absolute(src);
        found.add(abs);
        const d = lookup(o.remoteImages, abs);
        if (d) el.setAttribute('src', d);
        else {
          missed.n++;
          el.removeAttribute('src');
          el.setAttribute('data-blocked', '1');
          if (!el.getAttribute('alt')) el.setAttribute('alt', '');
        }
      } else if (src && !/^data:image\/(png|gif|jpe?g|webp|bmp);/i.test(src)) {
        el.removeAttribute('src');
      }
    }
    const bg = el.getAttribute('background');
    if (bg !== null) {
      const abs = absolute(bg.trim());
      if (REMOTE.test(bg.trim())) found.add(abs);
      const d = REMOTE.test(bg.trim()) ? lookup(o.remoteImages, abs) : undefined;
      if (d) el.setAttribute('background', d);
      else {
        if (REMOTE.test(bg.trim())) missed.n++;
        el.removeAttribute('background');
      }
    }
    const style = el.getAttribute('style');
    if (style) el.setAttribute('style', rewriteCss(style, o, found, missed));
    // <area> is a link too: without this it navigates the frame itself (to app-relative URLs).
    if (tag === 'a' || tag === 'area') {
      const href = (el.getAttribute('href') ?? '').trim();
      if (href && !/^(https?:|mailto:|tel:|#)/i.test(href)) el.removeAttribute('href');
      el.setAttribute('target', '_blank');
      el.setAttribute('rel', 'noopener noreferrer');
    }
  });
  const clean = p.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS,
    FORBID_ATTR,
    ADD_ATTR: ['target'],
    ALLOW_DATA_ATTR: false,
    FORCE_BODY: true,
    WHOLE_DOCUMENT: false,
    RETURN_TRUSTED_TYPE: false,
  }) as string;
  p.removeAllHooks();
  return { html: clean, remoteUrls: [...found], blocked: missed.n };
}

/** The policy inside the mail frame: nothing but inline styles and data: images/fonts. */
export const MAIL_FRAME_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; script-src 'none'; " +
  "object-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'; connect-src 'none'; media-src 'none'";

/** A complete document for the frame's srcdoc. */
export function mailSrcdoc(cleanHtml: string): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${MAIL_FRAME_CSP}">` +
    '<meta name="referrer" content="no-referrer">' +
    '<style>html,body{margin:0;padding:0}body{padding:12px 16px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;' +
    'color:#1f2328;background:#fff;overflow-wrap:anywhere}img{max-width:100%;height:auto}img[data-blocked]{display:inline-block;' +
    'min-width:16px;min-height:16px;background:#eef1f4;outline:1px dashed #c3cad3}table{max-width:100%}' +
    'blockquote{margin:0 0 0 4px;padding-left:10px;border-left:3px solid #d0d7de;color:#57606a}pre{white-space:pre-wrap}</style>' +
    `</head><body>${cleanHtml}</body></html>`
  );
}

/** Escapes plain text for HTML (used for text-only mails shown in the same frame). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Plain text → safe HTML with clickable http(s) links and quoted lines marked. */
export function textToHtml(text: string): string {
  const lines = text.split('\n').map((line) => {
    const esc = escapeHtml(line).replace(/\bhttps?:\/\/[^\s<>&"']+/g, (u) => `<a href="${u}" target="_blank" rel="noopener noreferrer">${u}</a>`);
    return line.startsWith('>') ? `<span style="color:#57606a">${esc}</span>` : esc;
  });
  return `<div style="white-space:pre-wrap">${lines.join('\n')}</div>`;
}
