// npm run mango-sim -- <ring|api|load|ping> [options]   (see `help`)
import { parseArgs } from 'node:util';
import { buildScenario, SCENARIO_KINDS, type ScenarioKind, type ScenarioOptions } from './scenarios';
import { deliverPaced, type DeliveryResult } from './deliver';
import { runLoad } from './load-runner';
import { startMangoApi } from './api-server';
import { signedForm } from './sign';
import { eventUrl, postForm } from './webhook-post';
import type { SimEvent } from './types';

const DEFAULT_URL = process.env.MANGO_WEBHOOK_URL ?? 'http://127.0.0.1:8080/api/mango-webhook/';

const HELP = `Mango Office simulator

  ring  --to-extension 101 [--from 79161234567] [--missed] [--direct] [--record]
        [--group 22] [--line 74951234567] [--realtime | --time-scale 0.1] [--strings] [--shuffle]
        [--url ${DEFAULT_URL}] [--key K --salt S]
        Delivers one incoming call (IVR → group → extension) and prints what it sent.
  api   [--port 9100] [--webhook URL] [--lockout] [--rate-limits] [--doc110-errors] [--key K --salt S]
        Runs the fake Mango API (base http://127.0.0.1:PORT/vpbx/) until Ctrl+C.
  load  [--rate 20] [--seconds 30 | --count N] [--concurrency 8] [--shuffle] [--retries 3]
        [--mix incomingAnswered=4,outgoing=1] [--seed N] [--url URL] [--key K --salt S]
        Generates realistic signed traffic and prints delivery figures.
  ping  [--url URL] [--key K --salt S]
        Posts a signed <url>ping like the cabinet's «Проверить подключение».

Key and salt default to $MANGO_API_KEY / $MANGO_API_SALT, then demo-key / demo-salt.`;

const common = {
  url: { type: 'string' },
  key: { type: 'string' },
  salt: { type: 'string' },
} as const;

function credentials(v: { key?: string; salt?: string }) {
  return {
    apiKey: v.key ?? process.env.MANGO_API_KEY ?? 'demo-key',
    apiSalt: v.salt ?? process.env.MANGO_API_SALT ?? 'demo-salt',
  };
}

function num(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

function describe(e: SimEvent): string {
  const p = e.payload;
  const parts = [e.path.padEnd(20)];
  if (p.call_state) parts.push(`${String(p.call_state).padEnd(12)} seq=${p.seq} loc=${p.location}`);
  if (p.recording_id) parts.push(`${p.recording_state ?? 'added'} rec=${p.recording_id}`);
  if (p.call_direction !== undefined) parts.push(`dir=${p.call_direction} result=${p.entry_result} reason=${p.disconnect_reason}`);
  if (p.disconnect_reason !== undefined && p.call_state) parts.push(`reason=${p.disconnect_reason}`);
  if (p.call_id) parts.push(`call=${p.call_id}`);
  if (e.path.startsWith('result/')) parts.push(`command=${p.command_id} result=${p.result}`);
  return parts.join(' ');
}

async function ring(argv: string[]) {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...common,
      'to-extension': { type: 'string', default: '101' },
      from: { type: 'string' },
      missed: { type: 'boolean', default: false },
      direct: { type: 'boolean', default: false },
      record: { type: 'boolean', default: false },
      group: { type: 'string' },
      line: { type: 'string' },
      realtime: { type: 'boolean', default: false },
      'time-scale': { type: 'string' },
      strings: { type: 'boolean', default: false },
      shuffle: { type: 'boolean', default: false },
    },
  });
  const url = v.url ?? DEFAULT_URL;
  const kind: ScenarioKind = v.direct ? 'directToExtension' : v.missed ? 'incomingMissed' : 'incomingAnswered';
  const opts: ScenarioOptions = {
    extension: v['to-extension'],
    caller: v.from,
    lineNumber: v.line,
    group: v.group,
    withRecording: v.record,
    ...(v.direct && v.missed ? { answered: false } : {}),
  };
  const events = buildScenario(kind, opts);
  const results = new Map<SimEvent, DeliveryResult>();
  const timeScale = v.realtime ? 1 : num(v['time-scale'], 0, 'time-scale');
  console.log(`${kind}: entry ${events.entryId}, ${events.length} webhooks → ${url}`);
  const stats = await deliverPaced(url, events, {
    ...credentials(v),
    timeScale,
    concurrency: 1,
    shuffle: v.shuffle,
    typeVariant: v.strings ? 'strings' : 'numbers',
    retry: { attempts: 3, backoffMs: 200 },
    onResult: (r) => {
      results.set(r.event, r);
      console.log(`  ${String(r.status).padEnd(7)} ${describe(r.event)}`);
    },
  });
  console.log(`sent ${stats.sent}, ok ${stats.ok}, failed ${stats.failed}, retries ${stats.retries}`);
  console.log(`expected: ${JSON.stringify(events.outcome)}`);
  if (stats.failed > 0) process.exitCode = 1;
}

async function api(argv: string[]) {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      key: common.key,
      salt: common.salt,
      port: { type: 'string', default: '9100' },
      webhook: { type: 'string' },
      lockout: { type: 'boolean', default: false },
      'rate-limits': { type: 'boolean', default: false },
      'doc110-errors': { type: 'boolean', default: false },
      'time-scale': { type: 'string' },
    },
  });
  const creds = credentials(v);
  const server = await startMangoApi({
    ...creds,
    port: num(v.port, 9100, 'port'),
    lockout: v.lockout,
    rateLimits: v['rate-limits'],
    errorStyle: v['doc110-errors'] ? 'doc110' : 'modern',
    webhookTarget: v.webhook,
    webhook: { timeScale: num(v['time-scale'], 0, 'time-scale') },
    onRequest: (r) => console.log(`${new Date(r.time).toISOString()} ${r.path} → ${r.status}${r.result !== undefined ? ` result=${r.result}` : ''}`),
  });
  console.log(`fake Mango API at ${server.url} (key ${creds.apiKey})${v.webhook ? `, webhooks → ${v.webhook}` : ''}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

function parseMix(s: string | undefined): Partial<Record<ScenarioKind, number>> | undefined {
  if (!s) return undefined;
  const mix: Partial<Record<ScenarioKind, number>> = {};
  for (const part of s.split(',')) {
    const [name, weight] = part.split('=');
    if (!(SCENARIO_KINDS as readonly string[]).includes(name)) throw new Error(`unknown scenario "${name}" (known: ${SCENARIO_KINDS.join(', ')})`);
    mix[name as ScenarioKind] = num(weight ?? '1', 1, 'mix');
  }
  return mix;
}

async function load(argv: string[]) {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...common,
      rate: { type: 'string', default: '20' },
      seconds: { type: 'string', default: '30' },
      count: { type: 'string' },
      concurrency: { type: 'string', default: '8' },
      shuffle: { type: 'boolean', default: false },
      retries: { type: 'string', default: '3' },
      mix: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const url = v.url ?? DEFAULT_URL;
  const rate = num(v.rate, 20, 'rate');
  const seconds = num(v.seconds, 30, 'seconds');
  const count = v.count !== undefined ? num(v.count, 0, 'count') : undefined;
  console.log(`load: ${rate} calls/s for ${count !== undefined ? `${count} calls` : `${seconds} s`} → ${url}`);
  let lastPrint = Date.now();
  let calls = 0;
  const report = await runLoad(
    url,
    { rate, durationMs: seconds * 1000, count, mix: parseMix(v.mix), seed: v.seed !== undefined ? num(v.seed, 0, 'seed') : undefined },
    {
      ...credentials(v),
      concurrency: num(v.concurrency, 8, 'concurrency'),
      shuffle: v.shuffle,
      retry: { attempts: Math.max(1, num(v.retries, 3, 'retries')), backoffMs: 200 },
      onCall: () => {
        calls++;
        if (Date.now() - lastPrint >= 1000) {
          lastPrint = Date.now();
          console.log(`  ${calls} calls delivered`);
        }
      },
    },
  );
  const { stats } = report;
  const secs = report.elapsedMs / 1000;
  console.log(
    `calls ${report.calls}, webhooks ${stats.sent} (ok ${stats.ok}, failed ${stats.failed}, retries ${stats.retries}) in ${secs.toFixed(1)} s` +
      ` = ${(stats.sent / Math.max(secs, 0.001)).toFixed(0)} webhooks/s; statuses ${JSON.stringify(stats.statusCounts)}`,
  );
  if (stats.failed > 0) process.exitCode = 1;
}

async function ping(argv: string[]) {
  const { values: v } = parseArgs({ args: argv, options: { ...common } });
  const url = eventUrl(v.url ?? DEFAULT_URL, 'ping');
  const { apiKey, apiSalt } = credentials(v);
  const res = await postForm(url, signedForm(apiKey, apiSalt, {}));
  console.log(`POST ${url} → ${res.status}${'body' in res && res.body ? ` ${res.body.slice(0, 200)}` : ''}${'error' in res ? ` ${res.error}` : ''}`);
  if (res.status !== 200) process.exitCode = 1;
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const commands: Record<string, (argv: string[]) => Promise<void>> = { ring, api, load, ping };
  const run = cmd ? commands[cmd] : undefined;
  if (!run) {
    console.log(HELP);
    if (cmd && cmd !== 'help' && cmd !== '--help') process.exitCode = 1;
    return;
  }
  await run(rest);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
