/**
 * Fetching a mail's remote images (after the user allowed them) against real HTTP servers on
 * loopback. The default policy refuses loopback itself, so the servers here stand in for
 * "the internet" through a policy that admits one port: the same code path, address checks
 * included, decides every connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { DEFAULT_IMAGE_LIMITS, fetchImages, notLocalMachine, type AddressPolicy } from '../../src-main/core/mail/images';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201ffa65c6e0000000049454e44ae426082', 'hex');

interface Server {
  url: string;
  port: number;
  paths: string[];
  /** Bytes of an endless body written before the client went away. */
  streamed: number;
  close(): Promise<void>;
}

async function serve(routes: (req: http.IncomingMessage, res: http.ServerResponse, s: Server) => void): Promise<Server> {
  const s = { paths: [] as string[], streamed: 0 } as Server;
  const server = http.createServer((req, res) => {
    s.paths.push(req.url ?? '');
    routes(req, res, s);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  s.port = (server.address() as AddressInfo).port;
  s.url = `http://127.0.0.1:${s.port}`;
  s.close = () => new Promise((res) => (server.closeAllConnections(), server.close(() => res())));
  return s;
}

let web: Server; // "the internet"
let internal: Server; // a service on this machine
let onlyWeb: AddressPolicy;
const limits = { ...DEFAULT_IMAGE_LIMITS, maxBytesEach: 64 * 1024, maxBytesTotal: 100 * 1024, timeoutMs: 5000 };

beforeAll(async () => {
  internal = await serve((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(PNG));
  web = await serve((req, res, s) => {
    const p = req.url ?? '';
    if (p === '/pixel.png') return res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG);
    if (p === '/hop') return res.writeHead(302, { location: '/pixel.png' }).end();
    if (p === '/to-internal') return res.writeHead(302, { location: `${internal.url}/admin.png` }).end();
    if (p === '/to-localhost') return res.writeHead(301, { location: `http://localhost:${internal.port}/x.png` }).end();
    if (p === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (p === '/svg') return res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg"/>');
    if (p === '/html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<p>');
    if (p === '/declared-huge') return res.writeHead(200, { 'content-type': 'image/png', 'content-length': 10 * 1024 * 1024 }).end();
    if (p.startsWith('/40k')) return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.alloc(40 * 1024, 1));
    if (p === '/endless') {
      // No length, never ends: the client must stop reading, not buffer it.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(16 * 1024, 7);
      const pump = () => {
        while (!res.destroyed && s.streamed < 200 * 1024 * 1024) {
          s.streamed += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => res.destroy());
      return pump();
    }
    res.writeHead(404).end();
  });
  onlyWeb = (address, port) => (address === '127.0.0.1' || address === '::ffff:127.0.0.1') && port === web.port;
});
afterAll(async () => {
  await web?.close();
  await internal?.close();
});
beforeEach(() => {
  web.paths.length = 0;
  internal.paths.length = 0;
});

it('returns allowed images as data URLs, following redirects', async () => {
  const got = await fetchImages([`${web.url}/pixel.png`, `${web.url}/hop`], limits, onlyWeb);
  expect(got[`${web.url}/pixel.png`]).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
  expect(got[`${web.url}/hop`]).toBe(got[`${web.url}/pixel.png`]);
});

it('refuses this machine by default: loopback by address or by name, unspecified, link-local metadata', async () => {
  const urls = [`${internal.url}/a.png`, `http://localhost:${internal.port}/b.png`, `http://[::1]:${internal.port}/c.png`, `http://0.0.0.0:${internal.port}/d.png`, 'http://169.254.169.254/latest/meta-data'];
  const t0 = performance.now();
  expect(await fetchImages(urls, limits)).toEqual({});
  expect(internal.paths).toEqual([]);
  // Refused before connecting (the metadata address would otherwise wait for the timeout).
  expect(performance.now() - t0).toBeLessThan(limits.timeoutMs);
  expect(notLocalMachine('10.1.2.3', 80)).toBe(true); // the office LAN stays reachable
  expect(notLocalMachine('192.168.0.10', 80)).toBe(true);
  expect(notLocalMachine('::ffff:127.0.0.1', 80)).toBe(false);
  expect(notLocalMachine('fe80::1', 80)).toBe(false);
});

it('checks every redirect: a permitted server cannot bounce the app to a refused one', async () => {
  expect(await fetchImages([`${web.url}/to-internal`, `${web.url}/to-localhost`, `${web.url}/loop`], limits, onlyWeb)).toEqual({});
  expect(internal.paths).toEqual([]);
  expect(web.paths.filter((p) => p === '/loop').length).toBe(limits.maxRedirects + 1);
});

it('keeps only raster images within the size limits, and never reads an endless body to its end', async () => {
  expect(await fetchImages([`${web.url}/svg`, `${web.url}/html`, `${web.url}/declared-huge`], limits, onlyWeb)).toEqual({});
  expect(await fetchImages([`${web.url}/endless`], limits, onlyWeb)).toEqual({});
  expect(web.streamed).toBeLessThan(16 * 1024 * 1024); // cut off, not read to its 200 MB
  // 40 KB each under a 100 KB total: two fit, the third does not.
  const three = await fetchImages([`${web.url}/40k-1`, `${web.url}/40k-2`, `${web.url}/40k-3`], limits, onlyWeb);
  expect(Object.keys(three).length).toBe(2);
});
