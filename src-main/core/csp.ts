/**
 * The Content-Security-Policy both shells send with the renderer (app:// in Electron, the
 * loopback http server in browser mode). Scripts only from our own bundle; no eval, no
 * inline script, no plugins, no <base>, no form posts, no framing by others. Inline styles
 * stay allowed: mail HTML shown in sandboxed srcdoc frames inherits this policy and needs them.
 */
export function contentSecurityPolicy(o: { connectSrc?: string[]; frameAncestors?: boolean } = {}): string {
  const directives = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' blob:",
    ["connect-src 'self'", ...(o.connectSrc ?? [])].join(' '),
    "frame-src 'self' blob:",
    "worker-src 'none'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ];
  // frame-ancestors is ignored in <meta> and meaningless for app://; sent as a header over http.
  if (o.frameAncestors !== false) directives.push("frame-ancestors 'none'");
  return directives.join('; ');
}
