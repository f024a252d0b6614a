/**
 * Remote images of a mail, fetched only after the user allowed them for that message or
 * sender, and handed to the renderer as data URLs: the main window's CSP admits no remote
 * images, so the sandboxed mail frame never talks to the network itself.
 */
export interface ImageFetchLimits {
  maxImages: number;
  maxBytesEach: number;
  maxBytesTotal: number;
  timeoutMs: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageFetchLimits = {
  maxImages: 100,
  maxBytesEach: 5 * 1024 * 1024,
  maxBytesTotal: 20 * 1024 * 1024,
  timeoutMs: 10_000,
};

/** The URL appears in the HTML as written, or with `&` escaped as `&amp;`. */
export function urlInHtml(url: string, html: string): boolean {
  return html.includes(url) || html.includes(url.replace(/&/g, '&amp;'));
}

export async function fetchImages(urls: string[], limits: ImageFetchLimits = DEFAULT_IMAGE_LIMITS): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let total = 0;
  const list = [...new Set(urls)].filter((u) => /^https?:\/\//i.test(u)).slice(0, limits.maxImages);
  await Promise.all(
    list.map(async (url) => {
      try {
        const res = await fetch(url, {
          redirect: 'follow',
          signal: AbortSignal.timeout(limits.timeoutMs),
          headers: { accept: 'image/*' },
          referrerPolicy: 'no-referrer',
        });
        const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
        if (!res.ok || !type.startsWith('image/') || type.includes('svg')) return;
        const buf = Buffer.from(await res.arrayBuffer());
        if (buf.length > limits.maxBytesEach || total + buf.length > limits.maxBytesTotal) return;
        total += buf.length;
        out[url] = `data:${type};base64,${buf.toString('base64')}`;
      } catch {
        /* an image that does not load stays blank */
      }
    }),
  );
  return out;
}
