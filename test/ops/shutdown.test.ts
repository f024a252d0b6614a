import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import pg from 'pg';
import { ADMIN_PASSWORD, callEvent, connectWs, login, metricValue, postSignedTo, request, sleep, startOpsRelay, type OpsRelay, type Res } from './support';

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describe('graceful shutdown', () => {
  let r: OpsRelay | null = null;
  afterEach(async () => {
    await r?.close();
    r = null;
  });

  it('stops accepting, answers every webhook already accepted after its commit, then tells the apps to reconnect', async () => {
    r = await startOpsRelay();
    const token = await login(r.url, 'admin', ADMIN_PASSWORD);
    const app = await connectWs(r.url, token);
    await app.waitFor((m) => m.some((x) => x.type === 'synced'), 'synced');
    const others = await Promise.all(Array.from({ length: 30 }, () => connectWs(r!.url, token)));
    for (const o of others) await o.waitFor((m) => m.some((x) => x.type === 'synced'), 'synced');

    // Hold commits: the webhooks below are accepted and wait for their commit.
    const locker = new pg.Client({ connectionString: r.databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE mango_events IN EXCLUSIVE MODE');
    const events = Array.from({ length: 20 }, () => callEvent('inflight'));
    const pending = events.map((ev) => postSignedTo(`${r!.url}/api/mango-webhook/events/call`, ev, { agent: false }));
    for (let i = 0; i < 500; i++) {
      const inFlight = metricValue((await request(`${r.url}/metrics`, { agent: false })).body, 'asgard_http_requests_in_flight') ?? 0;
      if (inFlight >= events.length + 1) break; // + the /metrics request itself
      await sleep(10);
    }

    const port = r.relay.port;
    let closed = false;
    const closing = r.relay.close().then(() => (closed = true));
    for (let i = 0; i < 200 && !(await refused(port)); i++) await sleep(5);
    expect(await refused(port)).toBe(true); // no new connections
    await sleep(100);
    expect(closed).toBe(false); // still waiting for the webhooks in flight
    expect(app.messages.some((m) => m.type === 'error')).toBe(false); // apps are told only once the webhooks are answered

    await locker.query('COMMIT');
    await locker.end();
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.status)).toEqual(events.map(() => 200));
    await closing;

    const stored = await r.sql<{ entry_id: string }>('SELECT entry_id FROM mango_events');
    expect(stored.map((s) => s.entry_id).sort()).toEqual(events.map((e) => e.entry_id as string).sort());
    // The app got the shutdown notice with a reconnect hint, and a "service restart" close.
    expect(app.messages).toContainEqual(expect.objectContaining({ type: 'error', code: 'shutdown', retryAfterMs: expect.any(Number) }));
    expect(await app.waitClosed()).toBe(1012);
    for (const o of others) expect(await o.waitClosed()).toBe(1012);
    // The instance's presence rows went with it; no per-socket presence update after the pool closed.
    await sleep(200);
    expect(r.logs.find(/presence update failed/)).toEqual([]);
  });

  it('under a burst: every response is a 200 or a refused connection, and every 200 is in the database', async () => {
    r = await startOpsRelay();
    const url = `${r.url}/api/mango-webhook/events/call`;
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const results: Array<{ entry: string; status: number | null; error: string | null }> = [];
    let closeStarted = false;
    let closeDone = false;
    let sent = 0;

    const worker = async (n: number) => {
      for (;;) {
        if (closeDone) return;
        const ev = callEvent(`burst${n}`);
        sent++;
        let res: Res | null = null;
        let error: string | null = null;
        try {
          res = await postSignedTo(url, ev, { agent: n % 2 === 0 ? keepAlive : false });
        } catch (e) {
          error = (e as NodeJS.ErrnoException).code ?? String(e);
        }
        results.push({ entry: ev.entry_id as string, status: res?.status ?? null, error });
        if (error && closeStarted) return; // the relay is gone for this client
        if (error && !closeStarted) throw new Error(`request failed before shutdown: ${error}`);
      }
    };
    const workers = Array.from({ length: 24 }, (_, i) => worker(i));
    while (sent < 300) await sleep(2);
    closeStarted = true;
    await r.relay.close();
    closeDone = true;
    await Promise.all(workers);
    keepAlive.destroy();

    const ok = results.filter((x) => x.status === 200);
    const failed = results.filter((x) => x.error);
    const other = results.filter((x) => x.status !== null && x.status !== 200);
    expect(other, 'no HTTP answer other than 200').toEqual([]);
    for (const f of failed) expect(CONNECTION_ERRORS.has(f.error!), `unexpected error ${f.error}`).toBe(true);
    expect(ok.length).toBeGreaterThanOrEqual(250);
    expect(failed.length).toBeGreaterThan(0); // the burst did run into the shutdown

    const stored = new Set((await r.sql<{ entry_id: string }>('SELECT entry_id FROM mango_events')).map((x) => x.entry_id));
    const lost = ok.filter((x) => !stored.has(x.entry));
    expect(lost, 'answered 200 but not in the database').toEqual([]);
  });

  it('cuts requests that outlive the grace period, so a stuck client cannot hold the shutdown', async () => {
    r = await startOpsRelay({ shutdownGraceMs: 300 });
    // A client that sends half a request and waits.
    const s = net.connect(r.relay.port, '127.0.0.1');
    await new Promise((res) => s.once('connect', res));
    s.write('POST /api/mango-webhook/events/call HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nvpbx_api_key=');
    await sleep(50);
    const started = Date.now();
    await r.relay.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(s.destroyed || s.readableEnded).toBe(true);
    s.destroy();
    expect(r.logs.find(/requests still running after the grace period/)).toHaveLength(1);
  });
});
