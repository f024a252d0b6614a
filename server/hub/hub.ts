import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Db } from '../db/db';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { ClientMessageSchema, WS_PROTOCOL, WS_TOKEN_PREFIX, type ServerMessage } from '../../src-shared/wire';
import { checkSession, validTokens } from '../people/sessions';
import { toEmployee, type EmployeeRow } from '../people/employees';
import { appendToAdminsAnd, FEED_CHANNEL, readFeed, type FeedNotice, type StoredFeedItem } from './feed-store';

interface Conn {
  ws: WebSocket;
  employee: EmployeeRow;
  token: string;
  /** Last feed id sent; null until the client said hello. */
  lastSent: number | null;
  pumping: boolean;
  again: boolean;
  alive: boolean;
}

const HEARTBEAT_MS = 15_000;
/** How long after its own notice a socket may still lack an item this instance committed. */
const OWN_NOTICE_CHECK_MS = 1000;
const AUTH_TIMEOUT_MS = 10_000;

/**
 * The live feed over WebSocket. A client authenticates (subprotocol token or first message),
 * says hello {lastId, lastAt}, gets every item after it in order, then live items. Other
 * instances' inserts arrive through Postgres NOTIFY and every socket is pumped from the feed
 * table, so nothing is skipped or sent twice. Items this instance committed are handed straight
 * to the sockets that already hold the employee's previous item (the fast path for popups); any
 * other socket reads them from the table in order.
 */
export class Hub {
  readonly instanceId = randomUUID();
  private wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  private conns = new Set<Conn>();
  /** The same sockets by employee: a feed item concerns one employee, not every socket. */
  private byEmployee = new Map<number, Set<Conn>>();
  private timers: NodeJS.Timeout[] = [];
  private closing = false;
  /** Heads from this instance's own notices (and when each came), checked once deliver() has had time to send them. */
  private ownHeads = new Map<number, { head: number; at: number }>();
  private ownCheck: NodeJS.Timeout | null = null;

  constructor(
    private db: Db,
    private log: Logger,
    private metrics: Metrics,
  ) {}

  async start(): Promise<void> {
    await this.db.listen(FEED_CHANNEL, (payload) => this.onNotify(payload));
    this.timers.push(setInterval(() => this.heartbeat(), HEARTBEAT_MS));
    this.timers.push(setInterval(() => void this.refreshPresence(), 30_000));
    for (const t of this.timers) t.unref();
  }

  /** Handles `upgrade` for /api/ws; returns false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/ws') return false;
    if (this.closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return true;
    }
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    const tokenProto = protocols.find((p) => p.startsWith(WS_TOKEN_PREFIX));
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.onSocket(ws, tokenProto ? tokenProto.slice(WS_TOKEN_PREFIX.length) : null));
    return true;
  }

  private send(ws: WebSocket, msg: ServerMessage) {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }

  private async onSocket(ws: WebSocket, protoToken: string | null) {
    let conn: Conn | null = null;
    const authTimer = setTimeout(() => {
      if (!conn) {
        this.send(ws, { type: 'error', code: 'unauthorized', message: 'Требуется вход' });
        ws.close(4401, 'unauthorized');
      }
    }, AUTH_TIMEOUT_MS);
    const authenticate = async (token: string) => {
      let s: Awaited<ReturnType<typeof checkSession>>;
      try {
        s = await checkSession(this.db, token);
      } catch (err) {
        // The database is unreachable: the token is not known to be bad. "Try again later"
        // (1013) makes the app reconnect with its session, never log the user out.
        this.log.warn({ err }, 'socket auth failed: database unavailable');
        clearTimeout(authTimer);
        ws.close(1013, 'unavailable');
        return;
      }
      if (!s.ok) {
        this.send(ws, { type: 'error', code: s.reason, message: s.reason === 'token-expired' ? 'Сессия истекла, войдите снова' : 'Требуется вход' });
        ws.close(4401, s.reason);
        return;
      }
      clearTimeout(authTimer);
      conn = { ws, employee: s.employee, token, lastSent: null, pumping: false, again: false, alive: true };
      this.addConn(conn);
      this.send(ws, { type: 'welcome', employee: toEmployee(s.employee), serverTime: new Date().toISOString() });
      await this.presenceChanged(s.employee.id, +1);
    };
    ws.on('pong', () => {
      if (conn) conn.alive = true;
    });
    ws.on('close', () => {
      clearTimeout(authTimer);
      // Closed by a shutdown: close() deletes this instance's presence rows at once instead (and
      // the database may be gone by the time every socket has closed).
      if (conn && this.removeConn(conn) && !this.closing) {
        void this.presenceChanged(conn.employee.id, -1).catch((err) => this.log.warn({ err }, 'presence update failed'));
      }
    });
    // Messages wait for an authentication in progress, so a hello right after connect is not lost.
    let authing: Promise<void> | null = null;
    ws.on('message', (data) => {
      void (async () => {
        if (authing) await authing;
        let msg;
        try {
          msg = ClientMessageSchema.parse(JSON.parse(String(data)));
        } catch {
          this.send(ws, { type: 'error', code: 'bad-message', message: 'Неверное сообщение' });
          return;
        }
        if (msg.type === 'auth') {
          if (!conn) {
            authing = authenticate(msg.token);
            await authing;
          }
          return;
        }
        if (!conn) {
          this.send(ws, { type: 'error', code: 'unauthorized', message: 'Требуется вход' });
          ws.close(4401, 'unauthorized');
          return;
        }
        if (msg.type === 'hello' && conn.lastSent === null) {
          conn.lastSent = await this.startingPoint(conn, msg.lastId, msg.lastAt);
          await this.pump(conn, true);
        }
      })().catch((err) => this.log.warn({ err }, 'socket message failed'));
    });
    if (protoToken) {
      authing = authenticate(protoToken).catch((err) => this.log.warn({ err }, 'socket auth failed'));
      await authing;
    }
  }

  /**
   * Where a hello's replay starts: its lastId, or 0 (with a rewind) when that is past our newest
   * item, or when our item with that id is not the app's (another `at`, or not this employee's):
   * the database was restored and has issued those ids again.
   */
  private async startingPoint(c: Conn, lastId: number, lastAt: string | undefined): Promise<number> {
    if (lastId === 0) return 0;
    const r = await this.db.query<{ head: number | null; at: Date | string | null }>(
      'SELECT max(id) AS head, (SELECT created_at FROM feed WHERE id = $2 AND employee_id = $1) AS at FROM feed WHERE employee_id = $1',
      [c.employee.id, lastId],
    );
    const head = Number(r.rows[0]?.head ?? 0);
    const at = r.rows[0]?.at ?? null;
    // Compared as instants (the app may keep another spelling of it); an unreadable lastAt
    // proves nothing, as with an older app that sends none.
    const expected = lastAt === undefined ? NaN : Date.parse(lastAt);
    const sameItem = Number.isNaN(expected) || (at !== null && new Date(at).getTime() === expected);
    if (lastId <= head && sameItem) return lastId;
    this.log.warn(
      { employeeId: c.employee.id, lastId, lastAt, head, at: at === null ? null : new Date(at).toISOString() },
      lastId > head
        ? 'app is past the newest feed item (database restored?): rewinding it'
        : "app's last feed item is not ours (database restored, ids issued again?): rewinding it",
    );
    this.send(c.ws, { type: 'rewind', lastId: 0 });
    return 0;
  }

  private addConn(c: Conn) {
    this.conns.add(c);
    const set = this.byEmployee.get(c.employee.id) ?? new Set<Conn>();
    set.add(c);
    this.byEmployee.set(c.employee.id, set);
    this.metrics.connectedApps = this.conns.size;
  }

  private removeConn(c: Conn): boolean {
    if (!this.conns.delete(c)) return false;
    const set = this.byEmployee.get(c.employee.id);
    set?.delete(c);
    if (set?.size === 0) this.byEmployee.delete(c.employee.id);
    this.metrics.connectedApps = this.conns.size;
    return true;
  }

  private onNotify(payload: string) {
    let notice: FeedNotice | null = null;
    try {
      notice = JSON.parse(payload) as FeedNotice;
    } catch {
      /* malformed or empty notify (LISTEN reconnected): pump everyone */
    }
    if (!notice?.heads || notice.all) {
      for (const c of this.conns) if (c.lastSent !== null) void this.pump(c, false);
      return;
    }
    if (notice.by === this.instanceId) {
      // Committed here: deliver() sends them as soon as the committing connection answers, which
      // is often just after this notice. Reading them now would fetch what is about to be sent
      // (and read again once it was). A socket still short of them a moment later is pumped.
      const at = performance.now();
      for (const [employeeId, head] of notice.heads) {
        const e = Number(employeeId);
        this.ownHeads.set(e, { head: Math.max(Number(head), this.ownHeads.get(e)?.head ?? 0), at });
      }
      this.armOwnCheck();
      return;
    }
    this.pumpBehind(notice.heads);
  }

  private armOwnCheck() {
    if (this.ownCheck || this.ownHeads.size === 0) return;
    this.ownCheck = setTimeout(() => this.checkOwnHeads(), OWN_NOTICE_CHECK_MS);
    this.ownCheck.unref();
  }

  /** Pumps the sockets still short of a head noticed at least OWN_NOTICE_CHECK_MS ago. */
  private checkOwnHeads() {
    this.ownCheck = null;
    const due = performance.now() - OWN_NOTICE_CHECK_MS;
    const heads: [number, number][] = [];
    for (const [employeeId, { head, at }] of this.ownHeads) {
      if (at > due) continue;
      heads.push([employeeId, head]);
      this.ownHeads.delete(employeeId);
    }
    this.pumpBehind(heads);
    this.armOwnCheck();
  }

  private pumpBehind(heads: [employeeId: number, lastId: number][]) {
    for (const [employeeId, head] of heads) {
      for (const c of this.byEmployee.get(Number(employeeId)) ?? []) {
        // A socket already past the head has them (deliver() sent them): nothing to read.
        if (c.lastSent !== null && c.lastSent < Number(head)) void this.pump(c, false);
      }
    }
  }

  /**
   * Items this instance just committed, in id order: a socket whose last item is exactly the
   * previous one gets them without a read; any other (mid-replay, behind) is pumped instead.
   */
  deliver(items: StoredFeedItem[]): void {
    for (const item of items) {
      for (const c of this.byEmployee.get(item.employeeId) ?? []) {
        if (c.lastSent === null || c.lastSent >= item.id) continue;
        if (!c.pumping && c.lastSent === item.prevId) {
          this.send(c.ws, { type: 'item', item: { id: item.id, at: item.at, payload: item.payload } });
          c.lastSent = item.id;
        } else void this.pump(c, false);
      }
    }
  }

  /** Sends every feed item after lastSent, in order; coalesces concurrent triggers. */
  private async pump(c: Conn, first: boolean): Promise<void> {
    if (c.pumping) {
      c.again = true;
      return;
    }
    c.pumping = true;
    try {
      do {
        c.again = false;
        for (let guard = 0; guard < 1000; guard++) {
          const items = await readFeed(this.db, c.employee.id, c.lastSent ?? 0, 500);
          for (const item of items) {
            this.send(c.ws, { type: 'item', item });
            c.lastSent = item.id;
          }
          if (items.length < 500) break;
        }
        if (first) {
          this.send(c.ws, { type: 'synced', lastId: c.lastSent ?? 0 });
          first = false;
        }
      } while (c.again);
    } catch (err) {
      this.log.warn({ err, employeeId: c.employee.id }, 'feed delivery failed; client will resume on reconnect');
      c.ws.terminate();
    } finally {
      c.pumping = false;
    }
  }

  private heartbeat() {
    for (const c of this.conns) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
    // Sessions expire while connected too: one query for all sockets, not one each.
    const conns = [...this.conns];
    if (conns.length === 0) return;
    void validTokens(this.db, [...new Set(conns.map((c) => c.token))]).then((valid) => {
      for (const c of conns) {
        if (!valid.has(c.token)) {
          this.send(c.ws, { type: 'error', code: 'token-expired', message: 'Сессия истекла, войдите снова' });
          c.ws.close(4401, 'token-expired');
        }
      }
    }, () => {});
  }

  private countFor(employeeId: number): number {
    return this.byEmployee.get(employeeId)?.size ?? 0;
  }

  /** Presence across instances: each instance upserts its own count; online = any fresh row > 0. */
  private async presenceChanged(employeeId: number, delta: 1 | -1) {
    const mine = this.countFor(employeeId);
    const wasOnline = await this.isOnline(employeeId);
    await this.db.query(
      `INSERT INTO presence (instance_id, employee_id, connections, seen_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (instance_id, employee_id) DO UPDATE SET connections = $3, seen_at = now()`,
      [this.instanceId, employeeId, mine],
    );
    const online = await this.isOnline(employeeId);
    if (online !== wasOnline || (delta > 0 && mine === 1)) {
      this.deliver(await this.db.tx((q) => appendToAdminsAnd(q, { kind: 'presence', employeeId, online }, [], this.instanceId)));
    }
  }

  async isOnline(employeeId: number): Promise<boolean> {
    const r = await this.db.query<{ n: number }>(
      "SELECT COALESCE(sum(connections), 0)::int AS n FROM presence WHERE employee_id = $1 AND seen_at > now() - interval '90 seconds'",
      [employeeId],
    );
    return Number(r.rows[0]?.n ?? 0) > 0;
  }

  async onlineIds(): Promise<Set<number>> {
    const r = await this.db.query<{ employee_id: number }>(
      "SELECT employee_id FROM presence WHERE seen_at > now() - interval '90 seconds' GROUP BY employee_id HAVING sum(connections) > 0",
    );
    return new Set(r.rows.map((x) => Number(x.employee_id)));
  }

  private async refreshPresence() {
    try {
      await this.db.query('UPDATE presence SET seen_at = now() WHERE instance_id = $1', [this.instanceId]);
    } catch (err) {
      this.log.warn({ err }, 'presence refresh failed');
    }
  }

  /** Graceful shutdown: tell clients to reconnect (elsewhere) and close. */
  async close(retryAfterMs = 1000): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    if (this.ownCheck) clearTimeout(this.ownCheck);
    for (const c of this.conns) {
      this.send(c.ws, { type: 'error', code: 'shutdown', message: 'Сервер перезапускается', retryAfterMs });
      c.ws.close(1012, 'restart');
    }
    await this.db.query('DELETE FROM presence WHERE instance_id = $1', [this.instanceId]).catch(() => {});
    this.wss.close();
  }
}
