/**
 * FeedClient against a scripted relay stand-in: the protocol edges a real relay rarely shows
 * (overlapping replays, malformed items, shutdown hints, unknown message types, 401 on upgrade).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { FeedClient } from '../../src-main/core/relay/feed-client';
import type { ConnectionState } from '../../src-shared/ipc/telephony';
import type { FeedItem } from '../../src-shared/wire';
import { makeCall, makeEmployee } from './fixtures';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

type Script = (ws: WebSocket, hello: { lastId: number }, n: number, protocols: string[]) => void;

async function fakeRelay(script: Script, opts: { rejectUpgrade?: { status: number; body: string } } = {}) {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('asgard.v1') ? 'asgard.v1' : false) });
  let n = 0;
  const hellos: number[] = [];
  const helloMessages: Record<string, unknown>[] = [];
  server.on('upgrade', (req, socket, head) => {
    if (opts.rejectUpgrade) {
      const { status, body } = opts.rejectUpgrade;
      socket.end(`HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    wss.handleUpgrade(req, socket, head, (ws) => {
      const k = ++n;
      ws.once('message', (d) => {
        const hello = JSON.parse(String(d));
        hellos.push(hello.lastId);
        helloMessages.push(hello);
        script(ws, hello, k, protocols);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hellos, helloMessages, connections: () => n };
}

const item = (id: number): FeedItem => ({ id, at: new Date().toISOString(), payload: { kind: 'call', call: makeCall(id), popup: false, contact: null, recentCalls: [] } });
const send = (ws: WebSocket, m: unknown) => ws.send(JSON.stringify(m));
const welcome = (ws: WebSocket) => send(ws, { type: 'welcome', employee: makeEmployee(1), serverTime: new Date().toISOString() });

function client(url: string, extra: Partial<ConstructorParameters<typeof FeedClient>[0]> = {}) {
  let lastId = 0;
  const applied: number[] = [];
  const states: ConnectionState[] = [];
  const authFailures: string[] = [];
  const skipped: number[] = [];
  const c = new FeedClient({
    relayUrl: url,
    token: 'tok-abc',
    lastId: () => lastId,
    rewind: (v) => (lastId = v),
    apply: (i) => {
      applied.push(i.id);
      lastId = i.id;
    },
    skip: (id) => {
      skipped.push(id);
      lastId = id;
    },
    onState: (s) => states.push(s),
    onAuthFailed: (code) => authFailures.push(code),
    backoff: { baseMs: 20, maxMs: 50 },
    ...extra,
  });
  cleanup.push(() => c.stop());
  return { c, applied, skipped, states, authFailures, setLastId: (v: number) => (lastId = v) };
}

describe('FeedClient', () => {
  it('sends the token as subprotocol and hello with the last id; applies overlapping replays once, in order', async () => {
    let seenProtocols: string[] = [];
    const relay = await fakeRelay((ws, hello, _n, protocols) => {
      seenProtocols = protocols;
      welcome(ws);
      // An overlapping replay (e.g. two instances): 3,4,4,3,5 then live 6.
      for (const id of [3, 4, 4, 3, 5]) if (id > hello.lastId - 10) send(ws, { type: 'item', item: item(id) });
      send(ws, { type: 'synced', lastId: 5 });
      send(ws, { type: 'item', item: item(6) });
    });
    const t = client(relay.url);
    t.setLastId(3);
    t.c.start();
    await vi.waitFor(() => expect(t.applied).toEqual([4, 5, 6]));
    expect(relay.hellos).toEqual([3]);
    expect(seenProtocols).toEqual(['asgard.v1', 'token.tok-abc']);
    expect(t.states.map((s) => s.state)).toEqual(['connecting', 'connected']);
  });

  it('takes the replay after a rewind (the relay restored its database) instead of dropping ids it has seen', async () => {
    const relay = await fakeRelay((ws, hello) => {
      welcome(ws);
      if (hello.lastId > 2) send(ws, { type: 'rewind', lastId: 0 });
      for (const id of [1, 2, 3]) send(ws, { type: 'item', item: item(id) });
      send(ws, { type: 'synced', lastId: 3 });
    });
    const t = client(relay.url);
    t.setLastId(40);
    t.c.start();
    await vi.waitFor(() => expect(t.applied).toEqual([1, 2, 3]));
    expect(relay.hellos).toEqual([40]);
  });

  it('says the `at` of its last item with the hello, so a restored relay can tell it apart (none at 0 or unknown)', async () => {
    const at = '2025-03-05T10:00:00.123Z';
    // The position before each connection: [lastId, lastAt].
    const positions: [number, string | null][] = [[7, at], [7, null], [0, at]];
    let k = 0;
    const relay = await fakeRelay((ws) => {
      welcome(ws);
      send(ws, { type: 'synced', lastId: 7 });
      if (++k < positions.length) ws.close();
    });
    const t = client(relay.url, { lastId: () => positions[k][0], lastAt: () => positions[k][1] });
    t.c.start();
    await vi.waitFor(() => expect(relay.helloMessages).toHaveLength(3));
    expect(relay.helloMessages).toEqual([
      { type: 'hello', lastId: 7, lastAt: at },
      { type: 'hello', lastId: 7 },
      { type: 'hello', lastId: 0 },
    ]);
  });

  it('ignores unknown message types but never skips a malformed item: it reconnects and gets it again', async () => {
    const relay = await fakeRelay((ws, hello, n) => {
      welcome(ws);
      send(ws, { type: 'future-thing', x: 1 });
      if (n === 1) send(ws, { type: 'item', item: { id: 1, at: 'x', payload: { kind: 'call' } } });
      else send(ws, { type: 'item', item: item(1) });
      send(ws, { type: 'item', item: item(2) });
      expect(hello.lastId).toBe(0);
    });
    const t = client(relay.url);
    t.c.start();
    await vi.waitFor(() => expect(t.applied).toEqual([1, 2]));
    expect(relay.connections()).toBe(2);
    expect(t.states.some((s) => s.state === 'reconnecting')).toBe(true);
  });

  it('passes over an item of a kind it does not know (a newer relay) without losing its place or the connection', async () => {
    const relay = await fakeRelay((ws, hello) => {
      welcome(ws);
      const all = [item(1), { id: 2, at: new Date().toISOString(), payload: { kind: 'from-the-future', x: 1 } }, item(3)];
      for (const it of all) if (it.id > hello.lastId) send(ws, { type: 'item', item: it });
      send(ws, { type: 'synced', lastId: 3 });
    });
    const t = client(relay.url);
    t.c.start();
    await vi.waitFor(() => expect(t.applied).toEqual([1, 3]));
    expect(t.skipped).toEqual([2]);
    expect(relay.connections()).toBe(1);
    expect(t.states.map((s) => s.state)).toEqual(['connecting', 'connected']);
  });

  it('reconnects after the hinted delay on shutdown, resuming from the last applied id', async () => {
    const relay = await fakeRelay((ws, hello, n) => {
      welcome(ws);
      if (n === 1) {
        send(ws, { type: 'item', item: item(1) });
        send(ws, { type: 'error', code: 'shutdown', message: 'restart', retryAfterMs: 100 });
        ws.close(1012);
      } else {
        send(ws, { type: 'item', item: item(hello.lastId + 1) });
      }
    });
    const t = client(relay.url);
    t.c.start();
    await vi.waitFor(() => expect(t.applied).toEqual([1, 2]));
    expect(relay.hellos).toEqual([0, 1]);
    expect(t.states).toContainEqual(expect.objectContaining({ state: 'reconnecting', retryInSec: 1 }));
  });

  it('stops for good on token-expired (message or 401 upgrade), in logged-out state', async () => {
    const a = await fakeRelay((ws) => send(ws, { type: 'error', code: 'token-expired', message: 'Сессия истекла, войдите снова' }));
    const t = client(a.url);
    t.c.start();
    await vi.waitFor(() => expect(t.authFailures).toEqual(['token-expired']));
    expect(t.states.at(-1)).toMatchObject({ state: 'logged-out' });
    await new Promise((r) => setTimeout(r, 150));
    expect(a.connections()).toBe(1);

    const b = await fakeRelay(() => {}, { rejectUpgrade: { status: 401, body: '{"error":"token-expired","message":"x"}' } });
    const u = client(b.url);
    u.c.start();
    await vi.waitFor(() => expect(u.authFailures).toEqual(['token-expired']));
  });

  it('backs off with jitter while the relay is unreachable, with a Russian reason', async () => {
    const t = client('http://127.0.0.1:1');
    t.c.start();
    await vi.waitFor(() => expect(t.states.filter((s) => s.state === 'reconnecting').length).toBeGreaterThanOrEqual(2));
    const r = t.states.find((s) => s.state === 'reconnecting') as Extract<ConnectionState, { state: 'reconnecting' }>;
    expect(r.error).toMatch(/^Сервер телефонии недоступен/);
  });

  it('reconnectNow (resume from sleep) drops the socket and says hello with the same last id', async () => {
    const relay = await fakeRelay((ws, hello) => {
      welcome(ws);
      if (hello.lastId === 0) send(ws, { type: 'item', item: item(7) });
    });
    const t = client(relay.url);
    t.c.start();
    await vi.waitFor(() => expect(t.applied).toEqual([7]));
    t.c.reconnectNow();
    await vi.waitFor(() => expect(relay.hellos).toEqual([0, 7]));
  });
});
