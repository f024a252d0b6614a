/**
 * Webhook ingest benchmark: signed events/s accepted AND durable (the relay answers 200 only
 * after commit), p50/p99, against a bare Node http server answering 200 and, when Debian's
 * python3-fastapi is installed, the customer guide's FastAPI example — all in the same run.
 */
import autocannon from 'autocannon';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createTestDatabase } from '../test/support/pg';
import { buildRelay } from '../scripts/build-relay';
import { signedForm } from '../tools/mango-sim/sign';
import { fmt, freePort, LOADGEN_CPU, pinning, pinTo, SERVER_CPU, startProcess, stop, unpin } from './support';

const KEY = 'bench-key';
const SALT = 'bench-salt';

function signedBodies(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(signedForm(KEY, SALT, {
      entry_id: `BENCH-E${i >> 2}`, call_id: `BENCH-C${i}`, timestamp: 1700000000 + i, seq: 1, call_state: 'Appeared', location: 'ivr',
      from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 },
    }));
  }
  return out;
}

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(name: string, url: string, bodies: string[], seconds: number, connections: number): Promise<Result> {
  let i = 0;
  const r = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
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

export async function runWebhookBench(opts: { seconds?: number; connections?: number } = {}) {
  pinTo(process, LOADGEN_CPU);
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 10);
  const connections = opts.connections ?? 50;
  const bodies = signedBodies(200_000);
  const results: Result[] = [];

  const barePort = await freePort();
  const bare = await startProcess(process.execPath, ['-e', BARE], { PORT: String(barePort) }, `http://127.0.0.1:${barePort}/`);
  pinTo(bare, SERVER_CPU);
  try {
    results.push(await load('bare Node http (persists nothing)', `http://127.0.0.1:${barePort}/api/mango-webhook/events/call`, bodies, seconds, connections));
  } finally {
    await stop(bare);
  }

  if (fastapiAvailable()) {
    const dir = mkdtempSync(join(tmpdir(), 'fastapi-'));
    writeFileSync(join(dir, 'app.py'), FASTAPI);
    const port = await freePort();
    const py = await startProcess('/usr/bin/python3', ['-m', 'uvicorn', 'app:app', '--port', String(port), '--log-level', 'warning', '--app-dir', dir], {}, `http://127.0.0.1:${port}/docs`);
    pinTo(py, SERVER_CPU);
    try {
      results.push(await load('guide FastAPI example (persists nothing)', `http://127.0.0.1:${port}/api/mango-webhook/events/call`, bodies, seconds, connections));
    } finally {
      await stop(py);
    }
  } else {
    console.log('FastAPI comparison skipped: install Debian python3-fastapi python3-uvicorn python3-multipart to include it');
  }

  const db = await createTestDatabase();
  const relayPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
  const relay = await startProcess(
    process.execPath,
    [...(process.env.RELAY_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/cpuprof'] : []), await buildRelay()],
    { PORT: String(relayPort), HOST: '127.0.0.1', DATABASE_URL: db.url, DATA_DIR: dataDir, MANGO_API_KEY: KEY, MANGO_API_SALT: SALT, LOG_LEVEL: 'warn', RECONCILE_EVERY_MS: '0' },
    `http://127.0.0.1:${relayPort}/healthz`,
  );
  pinTo(relay, SERVER_CPU);
  let stored = 0;
  let backlog = 0;
  let drainMs = 0;
  let calls = 0;
  try {
    const r = await load('ASGARD relay (durable in Postgres)', `http://127.0.0.1:${relayPort}/api/mango-webhook/events/call`, bodies, seconds, connections);
    results.push(r);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    stored = Number((await c.query("SELECT count(*)::int AS n FROM mango_events WHERE kind = 'events/call'")).rows[0].n);
    // Bursts are reduced into call records after their commit: how long until all of them are.
    const t0 = performance.now();
    for (let i = 0; i < 600; i++) {
      backlog = Number((await c.query('SELECT count(*)::int AS n FROM reduce_queue')).rows[0].n);
      if (backlog === 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    drainMs = performance.now() - t0;
    calls = Number((await c.query('SELECT count(*)::int AS n FROM calls')).rows[0].n);
    await c.end();
  } finally {
    await stop(relay);
    await db.drop();
  }

  unpin(process); // the benchmarks after this one run unpinned
  const baseline = results[0].rps;
  console.log(`\nWebhook ingest (${seconds} s, ${connections} connections, signed form posts; ${pinning})`);
  console.log('| server | req/s | p50 ms | p99 ms | non-2xx | ratio vs bare |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.non2xx} | ${fmt(r.rps / baseline, 2)} |`);
  const relayR = results.at(-1)!;
  const fast = results.find((r) => r.name.includes('FastAPI'));
  console.log(`relay rows committed: ${stored} (each 200 answered after its commit)`);
  // Background reduction gives way to ingest during a burst (server/calls/worker.ts) and catches up after.
  console.log(`reduced into ${calls} call records ${fmt(drainMs / 1000, 1)} s after the load ended${backlog ? ` (${backlog} events NOT yet reduced after 60 s)` : ''}`);
  console.log(`target ≥ 0.5× bare: ${fmt(relayR.rps / baseline, 2)}×${fast ? `; target ≥ 1.5× FastAPI: ${fmt(relayR.rps / fast.rps, 2)}×` : ''}`);
  return results;
}
