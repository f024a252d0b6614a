/**
 * The relay feed over `GET /api/ws`: authenticates with the token subprotocol, says
 * `hello {lastId, lastAt}`, then hands every replayed and live item to `apply` strictly in
 * order and at most once (ids ≤ the last applied are skipped; `apply` persists the new last id
 * in the same transaction as the item's effect, so a crash in between cannot lose or repeat one).
 * Reconnects with backoff and jitter, detects dead sockets by silence, and stops for good
 * when the relay says the token is no longer valid.
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import {
  FEED_KINDS,
  ServerMessageSchema,
  WS_PROTOCOL,
  WS_TOKEN_PREFIX,
  type ClientMessage,
  type Employee,
  type FeedItem,
  type ServerMessage,
} from '../../../src-shared/wire';
import type { ConnectionState } from '../../../src-shared/ipc/telephony';
import { Backoff, type BackoffOptions } from './backoff';
import { feedSocketUrl } from './http-client';
import { MSG, networkError } from './errors';

export interface FeedClientOptions {
  relayUrl: string;
  token: string;
  /** The last feed id applied (read from SQLite before each hello and each item). */
  lastId: () => number;
  /** The `at` of that item, sent with the hello so the relay can tell it was restored (null: unknown). */
  lastAt?: () => string | null;
  /** Applies one item and records its id, atomically. Throwing drops the connection (retried). */
  apply: (item: FeedItem, phase: 'replay' | 'live') => void;
  /**
   * An item of a kind this app does not know (a newer relay): nothing to apply, but its id is
   * passed, or it would stop the feed for good. Records the id as applied.
   */
  skip: (id: number, at: string) => void;
  onState: (state: ConnectionState) => void;
  onWelcome?: (me: Employee) => void;
  /** The relay went back in time (database restored): store `lastId` (0) as the applied position. */
  rewind: (lastId: number) => void;
  /** Replay finished: everything up to `lastId` is applied; live items follow. */
  onSynced?: (lastId: number) => void;
  /** The relay refused the token: the session is over, no more reconnects. */
  onAuthFailed: (code: 'token-expired' | 'unauthorized', message: string) => void;
  log?: (msg: string, err?: unknown) => void;
  backoff?: BackoffOptions;
  /** Silence longer than this means the socket is dead (the relay pings; we ping too). */
  heartbeatTimeoutMs?: number;
  pingIntervalMs?: number;
  handshakeTimeoutMs?: number;
}

/** Characters RFC 6455 allows in a subprotocol token; other tokens go in an `auth` message. */
const SUBPROTOCOL_SAFE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export class FeedClient {
  private ws: WebSocket | null = null;
  private stopped = true;
  private synced = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private lastSeen = 0;
  private readonly backoff: Backoff;
  private readonly heartbeatTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private state: ConnectionState = { state: 'connecting' };

  constructor(private readonly o: FeedClientOptions) {
    this.backoff = new Backoff(o.backoff);
    this.heartbeatTimeoutMs = o.heartbeatTimeoutMs ?? 45_000;
    this.pingIntervalMs = o.pingIntervalMs ?? Math.min(15_000, Math.floor(this.heartbeatTimeoutMs / 3));
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'bye');
      else ws.terminate();
    }
  }

  /** After sleep/resume or a network change: drop whatever socket we have and connect at once. */
  reconnectNow(): void {
    if (this.stopped) return;
    this.backoff.reset();
    this.dropSocket();
    this.connect();
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    this.o.onState(s);
  }

  private connect(): void {
    if (this.stopped) return;
    this.clearTimers();
    this.synced = false;
    this.setState({ state: 'connecting' });
    const viaProtocol = SUBPROTOCOL_SAFE.test(this.o.token);
    const protocols = viaProtocol ? [WS_PROTOCOL, WS_TOKEN_PREFIX + this.o.token] : [WS_PROTOCOL];
    let ws: WebSocket;
    try {
      ws = new WebSocket(feedSocketUrl(this.o.relayUrl), protocols, {
        handshakeTimeout: this.o.handshakeTimeoutMs ?? 15_000,
        perMessageDeflate: false,
      });
    } catch (e) {
      this.scheduleReconnect(networkError(e).message);
      return;
    }
    this.ws = ws;
    let authFailed = false;
    let lastError: string | null = null;

    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      // The relay refused the upgrade: 401 means the token is dead, anything else is transient.
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 401 || res.statusCode === 403) {
          authFailed = true;
          let code: 'token-expired' | 'unauthorized' = 'unauthorized';
          try {
            if (JSON.parse(Buffer.concat(chunks).toString('utf8')).error === 'token-expired') code = 'token-expired';
          } catch {
            /* no JSON body */
          }
          this.authFailed(code, MSG.sessionExpired);
        } else {
          lastError = `Сервер телефонии отклонил подключение (HTTP ${res.statusCode})`;
          ws.terminate();
        }
      });
      res.on('error', () => ws.terminate());
    });
    ws.on('open', () => {
      this.touch();
      if (!viaProtocol) ws.send(JSON.stringify({ type: 'auth', token: this.o.token }));
      const lastId = this.o.lastId();
      const lastAt = lastId > 0 ? (this.o.lastAt?.() ?? undefined) : undefined;
      ws.send(JSON.stringify({ type: 'hello', lastId, lastAt } satisfies ClientMessage));
      this.startHeartbeat(ws);
    });
    ws.on('ping', () => this.touch());
    ws.on('pong', () => this.touch());
    ws.on('message', (data, isBinary) => {
      this.touch();
      if (isBinary) return;
      this.onMessage(ws, data.toString());
    });
    ws.on('error', (err) => {
      lastError = networkError(err).message;
      this.o.log?.('feed socket error', err);
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return; // a socket we already replaced
      this.ws = null;
      this.clearTimers();
      if (this.stopped || authFailed) return;
      const why = lastError ?? (reason.length ? reason.toString() : `соединение закрыто (${code})`);
      this.scheduleReconnect(why);
    });
  }

  private onMessage(ws: WebSocket, text: string): void {
    let msg: ServerMessage;
    try {
      const raw = JSON.parse(text) as unknown;
      const parsed = ServerMessageSchema.safeParse(raw);
      if (!parsed.success) {
        // Unknown message types are a newer relay talking: ignore them. A malformed known type
        // (an item above all) must not be skipped, or the feed would silently lose it.
        const type = (raw as { type?: unknown } | null)?.type;
        if (!['welcome', 'item', 'synced', 'rewind', 'error'].includes(String(type))) return;
        const unknown = unknownKindItem(raw);
        if (unknown) {
          if (unknown.id > this.o.lastId()) this.o.skip(unknown.id, unknown.at);
          return;
        }
        throw new Error(`malformed ${String(type)} message: ${parsed.error.message}`);
      }
      msg = parsed.data;
    } catch (e) {
      this.o.log?.('feed: bad message from relay', e);
      this.fail(ws, MSG.badResponse);
      return;
    }
    switch (msg.type) {
      case 'welcome':
        this.backoff.reset();
        this.setState({ state: 'connected', since: new Date().toISOString() });
        this.o.onWelcome?.(msg.employee);
        return;
      case 'item': {
        if (msg.item.id <= this.o.lastId()) return; // already applied (replay overlap)
        try {
          this.o.apply(msg.item, this.synced ? 'live' : 'replay');
        } catch (e) {
          this.o.log?.(`feed: applying item ${msg.item.id} failed`, e);
          this.fail(ws, 'Не удалось сохранить событие ленты');
        }
        return;
      }
      case 'rewind':
        this.o.log?.(`feed: the relay rewound the feed to ${msg.lastId} (its database was restored)`);
        this.o.rewind(msg.lastId);
        return;
      case 'synced':
        this.synced = true;
        if (this.state.state !== 'connected') this.setState({ state: 'connected', since: new Date().toISOString() });
        this.o.onSynced?.(msg.lastId);
        return;
      case 'error':
        if (msg.code === 'token-expired' || msg.code === 'unauthorized') {
          this.authFailed(msg.code, msg.message || MSG.sessionExpired);
        } else if (msg.code === 'shutdown') {
          // Another relay instance will serve us: come back after the hinted delay, not a backoff step.
          this.dropSocket();
          this.scheduleReconnect(msg.message || 'Сервер телефонии перезапускается', msg.retryAfterMs ?? 1000);
        } else {
          this.o.log?.(`feed: relay reported ${msg.code}: ${msg.message}`);
          this.fail(ws, msg.message);
        }
        return;
    }
  }

  private authFailed(code: 'token-expired' | 'unauthorized', message: string): void {
    this.stop();
    this.setState({ state: 'logged-out', reason: message });
    this.o.onAuthFailed(code, message);
  }

  /** Drops this socket and retries with backoff, keeping `why` for the state line. */
  private fail(ws: WebSocket, why: string): void {
    if (this.ws !== ws) return;
    this.dropSocket();
    this.scheduleReconnect(why);
  }

  private dropSocket(): void {
    const ws = this.ws;
    this.ws = null;
    this.clearTimers();
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
    }
  }

  private scheduleReconnect(error: string, delayMs?: number): void {
    if (this.stopped) return;
    const delay = delayMs ?? this.backoff.next();
    this.setState({ state: 'reconnecting', retryInSec: Math.max(1, Math.ceil(delay / 1000)), error });
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private touch(): void {
    this.lastSeen = Date.now();
  }

  private startHeartbeat(ws: WebSocket): void {
    const check = Math.max(50, Math.min(5000, Math.floor(this.heartbeatTimeoutMs / 4)));
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastSeen > this.heartbeatTimeoutMs) {
        this.o.log?.('feed: relay silent, reconnecting');
        this.fail(ws, 'Нет ответа от сервера телефонии');
      }
    }, check);
    // Our own pings make the relay's pongs count as life even if it never pings first.
    this.pingTimer = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, this.pingIntervalMs);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = this.heartbeatTimer = this.pingTimer = null;
  }
}

/** An `item` message well formed but for its payload's kind, which this app does not know. */
function unknownKindItem(raw: unknown): { id: number; at: string } | null {
  const item = (raw as { item?: { id?: unknown; at?: unknown; payload?: { kind?: unknown } } }).item;
  const kind = item?.payload?.kind;
  if (!item || !Number.isSafeInteger(item.id) || typeof item.at !== 'string' || typeof kind !== 'string' || FEED_KINDS.includes(kind)) return null;
  return { id: item.id as number, at: item.at };
}
