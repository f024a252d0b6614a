/**
 * Fan-out benchmark: N connected apps, signed events posted at a fixed rate, latency from the
 * webhook being sent to the feed item arriving at the app (p50/p99); relay RSS with many idle
 * apps. Callers come from a pool of 1,000 numbers, so popups carry a few earlier calls each.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import pg from 'pg';
import WebSocket from 'ws';
import { createTestDatabase } from '../test/support/pg';
import { signedForm } from '../tools/mango-sim/sign';
import { percentileSvg } from './plot';
import { BENCH_KEY, BENCH_SALT, cpuMsOf, fmt, freePort, percentile, postgresCpuMs, rssOf, startBenchRelay, stop } from './support';

const FLOOR_RATE = 25;
const FLOOR_SECONDS = 4;
/** The load's rate again after the floor, before measuring (see runFanoutBench). */
const REWARM_SECONDS = 1;

async function seedEmployees(dbUrl: string, n: number): Promise<string[]> {
  // Direct SQL: scrypt-hashing thousands of passwords through the API would dominate the run.
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const tokens: string[] = [];
  await c.query('BEGIN');
  for (let i = 0; i < n; i++) {
    const r = await c.query("INSERT INTO employees (login, name, role, extension, accept_calls) VALUES ($1, $1, 'to', $2, true) RETURNING id", [`bench${i}`, String(1000 + i)]);
    const token = randomBytes(24).toString('base64url');
    await c.query("INSERT INTO sessions (token_hash, employee_id, expires_at) VALUES ($1, $2, now() + interval '1 day')", [createHash('sha256').update(token).digest('hex'), r.rows[0].id]);
    tokens.push(token);
  }
  await c.query('COMMIT');
  await c.end();
  return tokens;
}

function connectAll(url: string, tokens: string[], onItem: (entry: string) => void): Promise<WebSocket[]> {
  return Promise.all(
    tokens.map(
      (t) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(url, ['asgard.v1', 'token.' + t]);
          ws.on('message', (d) => {
            const m = JSON.parse(String(d));
            if (m.type === 'synced') resolve(ws);
            if (m.type === 'item' && m.item.payload.kind === 'call') onItem(m.item.payload.call.entryId);
          });
          ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', lastId: 0 })));
          ws.on('error', reject);
        }),
    ),
  );
}

/**
 * Posts `total` signed Appeared events at `rate` per second (entries `<prefix>-<i>`), each to
 * one of `clients` apps by extension; resolves once every post is answered. `onSent` learns when
 * each left, `onAck` how long its 200 took.
 */
async function postEvents(o: {
  port: number; agent: http.Agent; prefix: string; total: number; rate: number; clients: number;
  onSent: (entry: string, t0: number) => void; onAck: (ms: number, ok: boolean) => void;
}): Promise<void> {
  const start = performance.now();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < o.total; i++) {
    const wait = start + (i * 1000) / o.rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const entry = `${o.prefix}-${i}`;
    const body = signedForm(BENCH_KEY, BENCH_SALT, {
      entry_id: entry, call_id: `${entry}-c`, timestamp: 1700000000 + i, seq: 1, call_state: 'Appeared', location: 'abonent',
      from: { number: String(79160000000 + (i % 1000)) }, to: { extension: String(1000 + (i % o.clients)), number: 'sip:x@y', line_number: '74951234567' }, dct: { type: 0 },
    });
    const t0 = performance.now();
    o.onSent(entry, t0);
    posts.push(
      new Promise<void>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port: o.port, path: '/api/mango-webhook/events/call', method: 'POST', agent: o.agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => {
            o.onAck(performance.now() - t0, res.statusCode === 200);
            resolve();
          });
        });
        req.on('error', () => {
          o.onAck(performance.now() - t0, false);
          resolve();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(posts);
}

/** The relay's ingest latency histogram (webhook received → 200), cumulative bucket counts. */
async function relayLatencyBuckets(port: number): Promise<{ total: number; le10: number; le25: number; le50: number }> {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const bucket = (le: string) => {
    const line = metrics.split('\n').find((l) => l.startsWith(`asgard_ingest_latency_ms_bucket{le="${le}"} `));
    return Number(line?.slice(line.lastIndexOf(' ') + 1) ?? 0);
  };
  return { total: bucket('+Inf'), le10: bucket('10'), le25: bucket('25'), le50: bucket('50') };
}

export async function runFanoutBench(opts: { clients?: number; rate?: number; seconds?: number; warmupSeconds?: number; idleClients?: number } = {}) {
  const clients = opts.clients ?? 500;
  const rate = opts.rate ?? 500;
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 10);
  const warmupSeconds = opts.warmupSeconds ?? 2;
  const idleClients = opts.idleClients ?? 2000;
  const db = await createTestDatabase();
  const port = await freePort();
  const relay = await startBenchRelay(db.url, port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const sent = new Map<string, number>();
  const lat: number[] = [];
  const ackLat: number[] = [];
  const floorLat: number[] = [];
  let sink = floorLat;
  let failures = 0;
  let sockets: WebSocket[] = [];
  const drained = async () => {
    const deadline = Date.now() + 10_000;
    while (sent.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  try {
    const tokens = await seedEmployees(db.url, Math.max(clients, idleClients));
    sockets = await connectAll(`ws://127.0.0.1:${port}/api/ws`, tokens.slice(0, clients), (entry) => {
      const t0 = sent.get(entry);
      if (t0 !== undefined) {
        sink.push(performance.now() - t0);
        sent.delete(entry);
      }
    });
    // Warm-up at the same rate, not measured: the relay's connection-time work (500 presence
    // changes) settles, the JIT compiles the hot path and each pooled connection prepares its
    // statements, as in a relay that has been running. Its items are not counted.
    await postEvents({ port, agent, prefix: 'WARM', total: rate * warmupSeconds, rate, clients, onSent: () => {}, onAck: () => {} });
    // The baseline: the same path unloaded, which is this machine's latency floor (wake-ups,
    // round trips, the WAL fsync) that the loaded figures are read against.
    await postEvents({ port, agent, prefix: 'FLOOR', total: FLOOR_RATE * FLOOR_SECONDS, rate: FLOOR_RATE, clients, onSent: (entry, t0) => sent.set(entry, t0), onAck: () => {} });
    await drained();
    // The floor's slow pace lets what the load keeps warm go cold: without this second warm-up,
    // the first 80 ms of the measured load held a fifth of all its items slower than 9 ms. Warm
    // up again, so the figures are of the steady rate the warm-up above was for.
    await postEvents({ port, agent, prefix: 'REWARM', total: rate * REWARM_SECONDS, rate, clients, onSent: () => {}, onAck: () => {} });
    sink = lat;
    const total = rate * seconds;
    const before = await relayLatencyBuckets(port);
    const cpu0 = { relay: cpuMsOf(relay.pid!), pg: postgresCpuMs(), self: process.cpuUsage() };
    await postEvents({
      port, agent, prefix: 'FAN', total, rate, clients,
      onSent: (entry, t0) => sent.set(entry, t0),
      onAck: (ms, ok) => {
        ackLat.push(ms);
        if (!ok) failures++;
      },
    });
    await drained();
    const selfCpu = process.cpuUsage(cpu0.self);
    const cpuPerEvent = {
      relay: ((cpuMsOf(relay.pid!) - cpu0.relay) * 1000) / total,
      pg: ((postgresCpuMs() - cpu0.pg) * 1000) / total,
      loadgen: (selfCpu.user + selfCpu.system) / total,
    };
    const activeRss = rssOf(relay.pid!);
    // The relay's own view, from receiving the webhook to its 200 — by then a call's feed item
    // has been handed to the app's socket (it is sent right after the commit, before the 200):
    // no HTTP client or load-generator delays in it. Histogram buckets, so shares, not percentiles.
    const after = await relayLatencyBuckets(port);
    const relaySide = { total: after.total - before.total, le10: after.le10 - before.le10, le25: after.le25 - before.le25, le50: after.le50 - before.le50 };
    for (const s of sockets) s.close();
    sockets = [];

    // Idle memory: many connected apps doing nothing.
    const idle = await connectAll(`ws://127.0.0.1:${port}/api/ws`, (await seedEmployeesTokens(db.url, idleClients)), () => {});
    await new Promise((r) => setTimeout(r, 2000));
    const idleRss = rssOf(relay.pid!);
    for (const s of idle) s.close();

    lat.sort((a, b) => a - b);
    ackLat.sort((a, b) => a - b);
    floorLat.sort((a, b) => a - b);
    console.log(`\nFan-out (${clients} apps connected, ${rate} events/s for ${seconds} s after a ${warmupSeconds} s warm-up and ${REWARM_SECONDS} s more after the baseline, each event to one app)`);
    console.log('| figure | value |');
    console.log('|---|---|');
    console.log(`| webhook 200 (durable) p50 / p99 ms | ${fmt(percentile(ackLat, 50), 1)} / ${fmt(percentile(ackLat, 99), 1)} |`);
    console.log(`| webhook → app item p50 / p99 ms | ${fmt(percentile(lat, 50), 1)} / ${fmt(percentile(lat, 99), 1)} |`);
    console.log(`| baseline: the same unloaded (${FLOOR_RATE} events/s), p50 / p99 ms | ${fmt(percentile(floorLat, 50), 1)} / ${fmt(percentile(floorLat, 99), 1)} (${floorLat.length} items) |`);
    const share = (n: number) => `${fmt((100 * n) / Math.max(1, relaySide.total), 1)} %`;
    console.log(`| relay-side, webhook received → item sent: within 10 / 25 / 50 ms | ${share(relaySide.le10)} / ${share(relaySide.le25)} / ${share(relaySide.le50)} |`);
    console.log(`| items delivered / events | ${lat.length} / ${total} (lost or late: ${sent.size}, failed posts: ${failures}) |`);
    console.log(`| CPU per event, µs: relay / PostgreSQL / load generator and apps | ${fmt(cpuPerEvent.relay)} / ${fmt(cpuPerEvent.pg)} / ${fmt(cpuPerEvent.loadgen)} |`);
    console.log(`| relay RSS after the run | ${fmt(activeRss / 2 ** 20)} MB |`);
    console.log(`| relay RSS with ${idleClients} idle apps | ${fmt(idleRss / 2 ** 20)} MB (target ≤ 200 MB) |`);
    console.log(`target p99 ≤ 10 ms: ${fmt(percentile(lat, 99), 1)} ms → ratio ${fmt(percentile(lat, 99) / 10, 2)} of the budget; p99 loaded ÷ unloaded ${fmt(percentile(lat, 99) / percentile(floorLat, 99), 2)}`);
    const out = process.env.BENCH_OUT ?? 'bench/results';
    mkdirSync(out, { recursive: true });
    const svg = percentileSvg(
      `Fan-out: ${clients} apps, ${rate} events/s`,
      [
        { name: 'webhook → app item', sorted: lat, color: '#2b72c9' },
        { name: 'webhook → 200 (durable)', sorted: ackLat, color: '#e08a1e' },
        { name: `unloaded baseline (${FLOOR_RATE} events/s)`, sorted: floorLat, color: '#8a8a8a' },
      ],
      10,
    );
    writeFileSync(join(out, 'fanout-latency.svg'), svg);
    console.log(`latency percentiles plotted: ${join(out, 'fanout-latency.svg')}`);
  } finally {
    for (const s of sockets) s.close();
    await stop(relay);
    await db.drop();
  }
}

/** Tokens for all seeded employees (the first seeding created enough for the idle phase). */
async function seedEmployeesTokens(dbUrl: string, n: number): Promise<string[]> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const tokens: string[] = [];
  const ids = (await c.query('SELECT id FROM employees ORDER BY id LIMIT $1', [n])).rows;
  for (const row of ids) {
    const token = randomBytes(24).toString('base64url');
    await c.query("INSERT INTO sessions (token_hash, employee_id, expires_at) VALUES ($1, $2, now() + interval '1 day')", [createHash('sha256').update(token).digest('hex'), row.id]);
    tokens.push(token);
  }
  await c.end();
  return tokens;
}
