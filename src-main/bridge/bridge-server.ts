/**
 * Browser mode: the app core's IPC contract on a loopback WebSocket, and the built renderer
 * over http, both on 127.0.0.1 only. A random token per start guards the socket (see
 * src-shared/ipc/bridge-client.ts for the URL convention); Host and Origin are checked so a
 * web page in the same browser (DNS rebinding included) can neither load the UI with our
 * origin nor talk to the socket.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppCore } from '../core/app-core';
import { contentSecurityPolicy } from '../core/csp';
import { toIpcError } from '../core/errors';
import { consoleLogger, type Logger } from '../core/log';
import {
  BRIDGE_PAGE_PARAM,
  BRIDGE_WS_PATH,
  BRIDGE_WS_TOKEN_PARAM,
  type BridgeServerMessage,
} from '../../src-shared/ipc/bridge-client';
import { NOT_BUILT_PAGE, contentType, resolveStaticFile } from './static-files';

export interface BridgeOptions {
  /** Anything with the core's `handle` and `onAny` (the core itself, or a test double). */
  core: Pick<AppCore, 'handle' | 'onAny'> & Partial<Pick<AppCore, 'fetchRecording' | 'setRecordingUrl'>>;
  /** The built renderer (dist/renderer); a placeholder page is served when it is missing. */
  rendererDir?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token (tests); default: 32 random bytes, base64url. */
  token?: string;
  log?: Logger;
}

export interface Bridge {
  /** `http://127.0.0.1:<port>/?bridge=<token>#/`: what to open in the browser. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

// A contacts import (contacts:import) is the largest request: a CSV of up to 5 M characters.
const MAX_MESSAGE_BYTES = 16 << 20;
const HOST = '127.0.0.1';

const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=()',
} as const;

function tokensEqual(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export async function startBridge(o: BridgeOptions): Promise<Bridge> {
  const log = o.log ?? consoleLogger;
  const token = o.token ?? crypto.randomBytes(32).toString('base64url');
  let port = 0;
  const allowedHosts = () => new Set([`${HOST}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${HOST}:${port}`, `http://localhost:${port}`]);
  const csp = () => contentSecurityPolicy({ connectSrc: [`ws://${HOST}:${port}`, `ws://localhost:${port}`] });

  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { ...BASE_HEADERS, 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (!allowedHosts().has(String(req.headers.host))) return send(403, 'Forbidden host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method not allowed');
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);

    if (url.pathname.startsWith('/recordings/')) return void serveRecording(url, res, send);

    const file = o.rendererDir ? resolveStaticFile(o.rendererDir, url.pathname) : null;
    const headers = { ...BASE_HEADERS, 'content-security-policy': csp() };
    if (!file) {
      if (url.pathname === '/' || !/\.[a-z0-9]+$/i.test(url.pathname)) {
        res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        return res.end(NOT_BUILT_PAGE);
      }
      return send(404, 'Not found');
    }
    const isHtml = file.endsWith('.html');
    res.writeHead(200, {
      ...headers,
      'content-type': contentType(file),
      // Hashed assets may be cached; the page itself never, so a rebuild shows at once.
      'cache-control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });

  async function serveRecording(url: URL, res: http.ServerResponse, send: (s: number, b: string) => void): Promise<void> {
    if (!tokensEqual(url.searchParams.get(BRIDGE_PAGE_PARAM), token)) return send(401, 'Unauthorized');
    if (!o.core.fetchRecording) return send(404, 'Not found');
    const id = decodeURIComponent(url.pathname.slice('/recordings/'.length));
    try {
      const upstream = await o.core.fetchRecording(id);
      res.writeHead(200, {
        ...BASE_HEADERS,
        'content-type': upstream.headers.get('content-type') ?? 'audio/mpeg',
        'cache-control': 'private, no-store',
        ...(upstream.headers.get('content-length') ? { 'content-length': upstream.headers.get('content-length')! } : {}),
      });
      if (!upstream.body) return void res.end();
      Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream).on('error', () => res.destroy()).pipe(res);
    } catch (e) {
      const err = toIpcError(e);
      send(err.code === 'not-found' ? 404 : 502, err.message);
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    if (url.pathname !== BRIDGE_WS_PATH) return refuse(404, 'Not Found');
    if (!allowedHosts().has(String(req.headers.host))) return refuse(403, 'Forbidden');
    // Browsers always send Origin; a page of another site must not reach the app.
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return refuse(403, 'Forbidden');
    if (!tokensEqual(url.searchParams.get(BRIDGE_WS_TOKEN_PARAM), token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return reply(ws, null, { code: 'bad-request', message: 'Неверное сообщение' });
      let msg: { id?: unknown; name?: unknown; args?: unknown };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        return reply(ws, null, { code: 'bad-request', message: 'Неверное сообщение' });
      }
      const id = typeof msg?.id === 'number' && Number.isSafeInteger(msg.id) ? msg.id : null;
      if (id == null) return reply(ws, null, { code: 'bad-request', message: 'Сообщение без id' });
      void o.core.handle(msg.name, msg.args).then(
        (result) => sendJson(ws, { id, result }),
        (e) => reply(ws, id, toIpcError(e)),
      );
    });
  });

  function sendJson(ws: WebSocket, m: BridgeServerMessage): void {
    if (ws.readyState !== ws.OPEN) return;
    try {
      ws.send(JSON.stringify(m));
    } catch (e) {
      log.warn('bridge: send failed', e);
    }
  }
  function reply(ws: WebSocket, id: number | null, error: { code: string; message: string }): void {
    sendJson(ws, { id, result: { ok: false, error } });
  }

  const offEvents = o.core.onAny((event, payload) => {
    if (!clients.size) return;
    const text = JSON.stringify({ event, payload } satisfies BridgeServerMessage);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;
  o.core.setRecordingUrl?.((id) => `${origin}/recordings/${encodeURIComponent(id)}?${BRIDGE_PAGE_PARAM}=${encodeURIComponent(token)}`);

  return {
    url: `${origin}/?${BRIDGE_PAGE_PARAM}=${encodeURIComponent(token)}#/`,
    origin,
    port,
    token,
    close: async () => {
      offEvents();
      o.core.setRecordingUrl?.(null);
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
