/**
 * Webhook ingest benchmark: signed events/s accepted AND durable (the relay answers 200 only
 * after commit), p50/p99, against a bare Node http server answering 200 and, when Debian's
 * python3-fastapi is installed, the customer guide's FastAPI example — all in the same run.
 */
import autocannon from 'autocannon';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { createTestDatabase } from '../test/support/pg';
import { signedForm } from '../tools/mango-sim/sign';
import { BENCH_KEY, BENCH_SALT, fmt, freePort, LOADGEN_CPU, pinning, pinTo, SERVER_CPU, startBenchRelay, startProcess, stop, unpin } from './support';

function signedBodies(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(signedForm(BENCH_KEY, BENCH_SALT, {
      entry_id: `BENCH-E${i >> 2}`, call_id: `BENCH-C${i}`, timestamp: 1700000000 + i, seq: 1, call_state: 'Appeared', location: 'ivr',
      from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 },
    }));
  }
  return out;
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, nextBody: () => string, seconds: number, connections: number): Promise<Result> {
  const r = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    requests: [{ setupRequest: (req) => ({ ...req, body: nextBody() }) }],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

const BARE = `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'content-type':'application/json'});s.end('{"success":true}')})}).listen(+process.env.PORT,'127.0.0.1')`;
const FASTAPI = `from fastapi import FastAPI, Request
app = FastAPI()
@app.post("/api/mango-webhook/events/call")
async def mango_webhook(request: Request):
    data = await request.form()
    return {"status": "ok"}
`;

function fastapiAvailable(): boolean {
  if (!existsSync('/usr/bin/python3')) return false;
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, multipart'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A server under test: where to post, and what to wait for after each of its rounds. */
interface Server {
  name: string;
  url: string;
  rounds: Result[];
  /** Bodies posted so far: each round goes on where the last stopped, so the relay never gets a resend. */
  sent: number;
  /** Runs after each of the server's rounds, before the next server's (the relay's deferred reduction). */
  settle?: () => Promise<void>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Each server is loaded in turn, round after round (bare, FastAPI, relay, bare, …), so a VM
 * whose speed drifts during the run (this one's does, by ±30 % within minutes) slows every
 * server alike; ratios are medians of each round's own ratio.
 */
export async function runWebhookBench(opts: { seconds?: number; connections?: number; rounds?: number } = {}) {
  pinTo(process, LOADGEN_CPU);
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 10);
  const connections = opts.connections ?? 50;
  const roundCount = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  // Enough new events for every relay round at up to 25 000/s: a resend is a cheap duplicate and
  // would flatter the relay (the fast VM ran out of 400 000 in the third round).
  const bodies = signedBodies(Math.max(400_000, seconds * roundCount * 25_000));
  const servers: Server[] = [];
  const procs: ChildProcess[] = [];
  let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let relayDb: pg.Client | null = null;
  let drainMs = 0;
  let backlog = 0;
  try {
    const barePort = await freePort();
    const bare = await startProcess(process.execPath, ['-e', BARE], { PORT: String(barePort) }, `http://127.0.0.1:${barePort}/`);
    procs.push(bare);
    pinTo(bare, SERVER_CPU);
    servers.push({ name: 'bare Node http (persists nothing)', url: `http://127.0.0.1:${barePort}/api/mango-webhook/events/call`, rounds: [], sent: 0 });

    if (fastapiAvailable()) {
      const dir = mkdtempSync(join(tmpdir(), 'fastapi-'));
      writeFileSync(join(dir, 'app.py'), FASTAPI);
      const port = await freePort();
      const py = await startProcess('/usr/bin/python3', ['-m', 'uvicorn', 'app:app', '--port', String(port), '--log-level', 'warning', '--app-dir', dir], {}, `http://127.0.0.1:${port}/docs`);
      procs.push(py);
      pinTo(py, SERVER_CPU);
      servers.push({ name: 'guide FastAPI example (persists nothing)', url: `http://127.0.0.1:${port}/api/mango-webhook/events/call`, rounds: [], sent: 0 });
    } else {
      console.log('FastAPI comparison skipped: python3 with fastapi, uvicorn and multipart is missing (scripts/setup-bench.sh installs Debian\'s packages where apt can run)');
    }

    db = await createTestDatabase();
    const relayPort = await freePort();
    const relay = await startBenchRelay(db.url, relayPort);
    procs.push(relay);
    pinTo(relay, SERVER_CPU);
    relayDb = new pg.Client({ connectionString: db.url });
    await relayDb.connect();
    const c = relayDb;
    servers.push({
      name: 'ASGARD relay (durable in Postgres)',
      url: `http://127.0.0.1:${relayPort}/api/mango-webhook/events/call`,
      rounds: [],
      sent: 0,
      // A burst is reduced into call records after its commit: how long until all of them are.
      // Waited for here, so that work does not take the CPU from the next server's round.
      settle: async () => {
        const t0 = performance.now();
        for (let i = 0; i < 600; i++) {
          backlog = Number((await c.query('SELECT count(*)::int AS n FROM reduce_queue')).rows[0].n);
          if (backlog === 0) break;
          await new Promise((res) => setTimeout(res, 100));
        }
        drainMs = performance.now() - t0;
      },
    });

    for (let round = 0; round < roundCount; round++) {
      for (const server of servers) {
        server.rounds.push(await load(server.url, () => bodies[server.sent++ % bodies.length], seconds, connections));
        await server.settle?.();
      }
    }
    const stored = Number((await c.query("SELECT count(*)::int AS n FROM mango_events WHERE kind = 'events/call'")).rows[0].n);
    const calls = Number((await c.query('SELECT count(*)::int AS n FROM calls')).rows[0].n);

    const [bareServer] = servers;
    const ratio = (s: Server, base: Server) => median(s.rounds.map((r, i) => r.rps / base.rounds[i].rps));
    console.log(`\nWebhook ingest (${roundCount} rounds × ${seconds} s per server, interleaved; ${connections} connections, signed form posts; ${pinning})`);
    console.log('| server | req/s, median (each round) | p50 ms | p99 ms | non-2xx | ratio vs bare (median of rounds) |');
    console.log('|---|---|---|---|---|---|');
    for (const s of servers) {
      const rps = s.rounds.map((r) => r.rps);
      console.log(`| ${s.name} | ${fmt(median(rps))} (${rps.map((x) => fmt(x)).join(', ')}) | ${fmt(median(s.rounds.map((r) => r.p50)), 1)} | ${fmt(median(s.rounds.map((r) => r.p99)), 1)} | ${s.rounds.reduce((n, r) => n + r.non2xx, 0)} | ${fmt(ratio(s, bareServer), 2)} |`);
    }
    const relayServer = servers.at(-1)!;
    const fast = servers.find((s) => s.name.includes('FastAPI'));
    const wrapped = relayServer.sent > bodies.length ? ` (the ${bodies.length} prepared events were posted more than once: the repeats were duplicates)` : '';
    console.log(`relay rows committed: ${stored} of ${relayServer.sent} events posted${wrapped}; each 200 answered after its commit`);
    // Background reduction gives way to ingest during a burst (server/calls/worker.ts) and catches up after.
    console.log(`reduced into ${calls} call records ${fmt(drainMs / 1000, 1)} s after the last round${backlog ? ` (${backlog} events NOT yet reduced after 60 s)` : ''}`);
    console.log(`target ≥ 0.5× bare: ${fmt(ratio(relayServer, bareServer), 2)}×${fast ? `; target ≥ 1.5× FastAPI: ${fmt(ratio(relayServer, fast), 2)}×` : ''}`);
    return servers;
  } finally {
    await relayDb?.end();
    for (const p of procs) await stop(p);
    await db?.drop();
    unpin(process); // the benchmarks after this one run unpinned
  }
}
