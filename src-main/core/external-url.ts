/**
 * Which links may leave the app for the OS (browser, mail client, softphone): http(s) with a
 * host, mailto: and tel: — after parsing, so `javascript:`, `file:`, custom protocol handlers
 * and smuggled schemes never reach shell.openExternal.
 */
const MAX_URL = 2048;

export function safeExternalUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > MAX_URL) return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  switch (url.protocol) {
    case 'http:':
    case 'https:':
      if (!url.hostname || url.username || url.password) return null;
      return url.toString();
    case 'mailto:':
      return url.pathname || url.search ? url.toString() : null;
    case 'tel:':
      return /^[+\d\-().\s*#;=,a-z]+$/i.test(decodeURIComponent(url.pathname)) ? url.toString() : null;
    default:
      return null;
  }
}
