import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log';
import type { OpsMetrics } from './metrics';

/**
 * Counts HTTP requests in flight (a webhook is in flight until its 200 is written, i.e. after
 * its commit) and remembers every TCP connection, so shutdown can wait for the former and, as
 * a last resort, cut the latter.
 */
export class ConnectionTracker {
  private sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];
  inFlight = 0;

  constructor(server: HttpServer, private ops: OpsMetrics) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('request', (_req, res) => {
      this.inFlight++;
      this.ops.requestsInFlight = this.inFlight;
      res.once('close', () => {
        this.inFlight--;
        this.ops.requestsInFlight = this.inFlight;
        if (this.inFlight === 0) for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /** Resolves true once no request is in flight, false if `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        resolve(true);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(done);
    });
  }

  destroyAll(): number {
    const n = this.sockets.size;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return n;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * Graceful shutdown of the HTTP side:
 * 1. stop accepting connections (the listener closes; requests still arriving on open
 *    keep-alive connections are served and answered with `Connection: close`);
 * 2. wait, up to `graceMs`, for requests in flight: every webhook already accepted gets its 200
 *    after its commit (the database is closed only after this);
 * 3. close the app sockets with the `shutdown` message and its reconnect hint (`closeSockets`);
 * 4. wait briefly for the WebSocket close handshakes, then cut whatever is left.
 */
export async function gracefulHttpClose(p: {
  app: FastifyInstance;
  tracker: ConnectionTracker;
  closeSockets: () => Promise<void>;
  graceMs: number;
  log: Logger;
}): Promise<void> {
  const started = Date.now();
  const appClosed = p.app.close();
  for (let i = 0; i < 400 && p.app.server.listening; i++) await sleep(5);
  const inFlight = p.tracker.inFlight;
  const drained = await p.tracker.idle(p.graceMs);
  if (!drained) p.log.warn({ inFlight: p.tracker.inFlight, graceMs: p.graceMs }, 'shutdown: requests still running after the grace period; cutting them');
  await p.closeSockets();
  const left = Math.max(500, Math.min(3000, p.graceMs - (Date.now() - started)));
  const closedInTime = await Promise.race([appClosed.then(() => true), sleep(left).then(() => false)]);
  if (!closedInTime) {
    const cut = p.tracker.destroyAll();
    if (cut) p.log.warn({ sockets: cut }, 'shutdown: connections did not close in time; cut');
    await appClosed;
  }
  p.log.info({ inFlightAtClose: inFlight, ms: Date.now() - started }, 'HTTP server closed');
}
