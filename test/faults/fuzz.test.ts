/**
 * 100,000 generated requests (plus replays) at the webhook endpoints of a real relay process
 * on a fresh PostgreSQL database: 0 crashes, 0 5xx, 0 accepted without a valid signature,
 * every valid one accepted, and every accepted event stored exactly once.
 *
 * Fast without doing less: the relay runs as its own process (the fuzzer and the relay each
 * get a core instead of sharing one event loop), ~48 requests are in flight at any time over
 * keep-alive connections (a sliding window, not batches waiting for their slowest request),
 * cases are generated in chunks (fuzz-cases.ts), and what was stored is checked once, in bulk,
 * against the database at the end. Every request still goes over HTTP to the relay's webhook
 * routes and every answer is checked against its case.
 */
import http from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { classify } from '../../server/mango/events';
import { createTestDatabase } from '../support/pg';
import { MUST_ACCEPT, MUST_REFUSE, RESET_AFTER_ANSWER, UNSIGNED_KINDS, fuzzCases, postCase, type FuzzCase } from '../support/fuzz-cases';
import { MANGO_KEY, MANGO_SALT, checkEventsStoredOnce, freePort, pgClient, startRelayProcess, tempDir, waitAllReduced, type RelayProcess } from './helpers';

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 100_000);
const IN_FLIGHT = Number(process.env.FUZZ_IN_FLIGHT ?? 48);
const CHUNK = 1000;
/** Replays of earlier accepted requests per chunk (a captured request sent again). */
const REPLAYS_PER_CHUNK = 20;
const SEED = 1;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let relay: RelayProcess | null = null;
let c: pg.Client | null = null;

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = tempDir('asgard-fault-fuzz-');
  // Refusals are logged at warn, one line each: 'error' keeps tens of thousands of expected
  // lines out of the pipe while anything that goes wrong is still printed.
  relay = await startRelayProcess({ databaseUrl: db.url, port: await freePort(), dataDir, env: { LOG_LEVEL: 'error' } });
}, 90_000);

afterAll(async () => {
  await relay?.stop();
  await c?.end().catch(() => {});
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** CPU time (user + system) a process has used, from /proc; 0 where there is no /proc. */
function processCpuMs(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Math.round(((Number(f[11]) + Number(f[12])) * 1000) / 100); // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** Sum of the relay's /metrics samples whose line matches `re` (value in the last field). */
async function metricSum(url: string, re: RegExp): Promise<number> {
  const text = await (await fetch(url + '/metrics')).text();
  return text
    .split('\n')
    .filter((l) => re.test(l))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

it(`${TOTAL.toLocaleString('en')} generated webhook requests: 0 crashes, 0 5xx, 0 accepted unsigned, valid ones accepted and stored once`, async () => {
  const port = relay!.port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const arb = fuzzCases(MANGO_KEY, MANGO_SALT);

  const byStatus: Record<string, number> = {};
  const byLabel: Record<string, Record<string, number>> = {};
  const errors: string[] = [];
  const wrong = { crashes: 0, fiveXX: 0, acceptedUnsigned: 0, acceptedInvalid: 0, rejectedValid: 0 };
  const examples: string[] = [];
  const validKeys = new Set<string>();
  const accepted: FuzzCase[] = []; // valid cases answered 200, for replays
  const acceptedOther: FuzzCase[] = []; // other cases answered 200 (some wrong types are still valid)
  let requests = 0;
  let hugeReset = 0;

  // The queue of cases: one chunk generated at a time, with replays of what was accepted so far.
  let generated = 0;
  let queue: FuzzCase[] = [];
  const next = (): FuzzCase | undefined => {
    if (!queue.length && generated < TOTAL) {
      const n = Math.min(CHUNK, TOTAL - generated);
      queue = fc.sample(arb, { numRuns: n, seed: SEED + generated });
      for (let i = 0; i < REPLAYS_PER_CHUNK && accepted.length; i++) queue.push({ ...accepted[(i * 7919 + generated) % accepted.length], label: 'replay' });
      queue.reverse(); // pop() from the end, in generated order
      generated += n;
    }
    return queue.pop();
  };

  const record = (k: FuzzCase, s: number) => {
    requests++;
    byStatus[s] = (byStatus[s] ?? 0) + 1;
    const kind = k.label.startsWith('type:') ? 'type' : k.label;
    (byLabel[kind] ??= {})[s] = (byLabel[kind][s] ?? 0) + 1;
    const bad = (what: keyof typeof wrong) => {
      wrong[what]++;
      if (examples.length < 10) examples.push(`${what}: ${s} for ${k.label} ${k.path} ${k.body.slice(0, 200)}`);
    };
    if (s === RESET_AFTER_ANSWER && k.label === 'huge') {
      hugeReset++;
      return;
    }
    if (s < 0) bad('crashes');
    if (s >= 500) bad('fiveXX');
    if (s === 200 && UNSIGNED_KINDS.has(k.label)) bad('acceptedUnsigned');
    if (s === 200 && MUST_REFUSE.has(k.label)) bad('acceptedInvalid');
    if (MUST_ACCEPT.has(k.label) && s !== 200) bad('rejectedValid');
    if (s === 200 && k.label === 'valid') {
      validKeys.add(k.idemKey!);
      accepted.push(k);
    } else if (s === 200 && !MUST_ACCEPT.has(k.label)) acceptedOther.push(k);
  };

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const relayCpu0 = processCpuMs(relay!.child.pid);
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let k = next(); k; k = next()) record(k, await postCase(port, agent, k, errors));
    }),
  );
  const sentMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const fuzzerCpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const relayCpuMs = processCpuMs(relay!.child.pid) - relayCpu0;
  agent.destroy();

  // Still up and healthy after all of it.
  expect(relay!.exited(), `the relay exited:\n${relay!.output()}`).toBe(false);
  expect((await fetch(relay!.url + '/healthz')).status).toBe(200);
  // Every huge request was answered 413 by the relay, including those whose answer the reset hid.
  const hugeSent = Object.values(byLabel.huge ?? {}).reduce((a, b) => a + b, 0);
  const tooLarge = await metricSum(relay!.url, /^asgard_webhooks_refused_total\{.*reason="too-large".*\} \d+$/);

  // In bulk, from our own connection: every acknowledged event is stored, exactly once, and
  // nothing else is. Keys of accepted non-`valid` cases come from the relay's own classifier.
  const ackedKeys = new Set(validKeys);
  for (const k of acceptedOther) ackedKeys.add(classify(k.path, JSON.parse(new URLSearchParams(k.body).get('json')!)).idemKey);
  c = await pgClient(db.url);
  const stored = await checkEventsStoredOnce(c, ackedKeys);
  const validStored = (await c.query<{ n: number }>('SELECT count(DISTINCT idem_key)::int AS n FROM mango_events WHERE idem_key = ANY($1::text[])', [[...validKeys]])).rows[0].n;
  // Every stored event also goes through the call reducer without wedging it.
  await waitAllReduced(db.url, 120_000);
  const totalMs = performance.now() - t0;

  const report = {
    requests,
    inFlight: IN_FLIGHT,
    sentMs: Math.round(sentMs),
    perSecond: Math.round(requests / (sentMs / 1000)),
    totalMs: Math.round(totalMs),
    fuzzerCpuMs,
    relayCpuMs,
    byStatus,
    byLabel,
    ...wrong,
    hugeSent,
    hugeReset,
    tooLarge,
    validKeys: validKeys.size,
    validStored,
    storedRows: stored.rows,
    storedDistinct: stored.distinct,
  };
  console.log('fuzz report', JSON.stringify(report));

  expect(requests).toBeGreaterThanOrEqual(TOTAL);
  expect(errors, 'connection errors').toEqual([]);
  expect({ ...wrong, examples }).toEqual({ crashes: 0, fiveXX: 0, acceptedUnsigned: 0, acceptedInvalid: 0, rejectedValid: 0, examples: [] });
  // Each kind was really exercised, and valid events were accepted in numbers.
  for (const kind of ['valid', 'replay', 'unsigned', 'bad-sign', 'wrong-key', 'truncated', 'deep', 'unstorable', 'type', 'random-json', 'garbage', 'huge'])
    expect(Object.values(byLabel[kind] ?? {}).reduce((a, b) => a + b, 0), kind).toBeGreaterThan(kind === 'replay' ? 100 : TOTAL / 20);
  expect(validKeys.size).toBeGreaterThan(TOTAL / 20);
  expect(tooLarge, 'huge requests answered 413 by the relay').toBe(hugeSent);
  expect(hugeReset, 'huge requests whose 413 a reset hid from the client').toBeLessThan(hugeSent / 10);
  expect(validStored, 'valid events stored').toBe(validKeys.size);
  expect(stored).toEqual({ rows: ackedKeys.size, distinct: ackedKeys.size, missing: [], unexpected: [] });
}, 900_000);
