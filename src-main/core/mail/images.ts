/**
 * Remote images of a mail, fetched only after the user allowed them for that message or
 * sender, and handed to the renderer as data URLs: the main window's CSP admits no remote
 * images, so the sandboxed mail frame never talks to the network itself.
 *
 * A mail chooses these URLs, so the fetch is bounded: sizes are counted while the body streams
 * (a huge or endless image is cut off, never buffered whole), and addresses are checked on the
 * address actually connected to, for every redirect: a mail cannot make the app request this
 * machine's own services (loopback) or cloud metadata (link-local). The office LAN stays
 * reachable: internal newsletters link images from intranet servers.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface ImageFetchLimits {
  maxImages: number;
  maxBytesEach: number;
  maxBytesTotal: number;
  timeoutMs: number;
  maxRedirects: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageFetchLimits = {
  maxImages: 100,
  maxBytesEach: 5 * 1024 * 1024,
  maxBytesTotal: 20 * 1024 * 1024,
  timeoutMs: 10_000,
  maxRedirects: 5,
};

/** Whether the app may connect to `address` (an IP) on `port` to fetch a mail's image. */
export type AddressPolicy = (address: string, port: number) => boolean;

const NOT_FOR_MAIL = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['127.0.0.0', 8], ['169.254.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) NOT_FOR_MAIL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fe80::', 10], ['ff00::', 8]] as const) NOT_FOR_MAIL.addSubnet(net, bits, 'ipv6');

/** Default: anything but this machine, link-local (cloud metadata), multicast and reserved ranges. */
export const notLocalMachine: AddressPolicy = (address) => {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = v4mapped ?? address;
  return !NOT_FOR_MAIL.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
};

/** The URL appears in the HTML as written, or with `&` escaped as `&amp;`. */
export function urlInHtml(url: string, html: string): boolean {
  return html.includes(url) || html.includes(url.replace(/&/g, '&amp;'));
}

export async function fetchImages(urls: string[], limits: ImageFetchLimits = DEFAULT_IMAGE_LIMITS, allowed: AddressPolicy = notLocalMachine): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const budget = { left: limits.maxBytesTotal };
  const list = [...new Set(urls)].filter((u) => /^https?:\/\//i.test(u)).slice(0, limits.maxImages);
  await Promise.all(
    list.map(async (url) => {
      try {
        const img = await fetchImage(url, limits, budget, allowed, AbortSignal.timeout(limits.timeoutMs));
        if (img) out[url] = `data:${img.type};base64,${img.body.toString('base64')}`;
      } catch {
        /* an image that does not load stays blank */
      }
    }),
  );
  return out;
}

class Refused extends Error {}

async function fetchImage(url: string, limits: ImageFetchLimits, budget: { left: number }, allowed: AddressPolicy, signal: AbortSignal) {
  let target = new URL(url);
  for (let hop = 0; hop <= limits.maxRedirects; hop++) {
    const res = await get(target, allowed, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location) {
      res.destroy();
      target = new URL(location, target);
      if (!/^https?:$/.test(target.protocol)) return null;
      continue;
    }
    const type = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const declared = Number(res.headers['content-length'] ?? 0);
    if (status !== 200 || !type.startsWith('image/') || type.includes('svg') || declared > limits.maxBytesEach || declared > budget.left) {
      res.destroy();
      return null;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        size += chunk.length;
        budget.left -= chunk.length;
        if (size > limits.maxBytesEach || budget.left < 0) throw new Refused('image too large');
        chunks.push(chunk);
      }
    } catch (err) {
      res.destroy();
      budget.left += size; // an image not kept does not count against the others
      throw err;
    }
    return { type, body: Buffer.concat(chunks) };
  }
  return null;
}

/** One GET; the connection is refused before it is made when the resolved address is not allowed. */
function get(url: URL, allowed: AddressPolicy, signal: AbortSignal): Promise<http.IncomingMessage> {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const ok = addresses.filter((a) => allowed(a.address, port));
      if (!ok.length) return callback(new Refused(`${hostname} resolves to an address mail images may not use`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
      callback(null, ok[0].address, ok[0].family);
    });
  };
  // A literal IP in the URL skips lookup(): check it here.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) && !allowed(literal, port)) return Promise.reject(new Refused(`${literal} may not be used for mail images`));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { lookup, signal, headers: { accept: 'image/*' }, agent: false }, resolve);
    req.on('error', reject);
  });
}
