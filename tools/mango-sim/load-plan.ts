// Traffic shape for benchmarks and the demo: a bounded schedule of realistic calls.
import { randomDigits, randomInt, rngFrom, pickWeighted, type Rng } from './random';
import { buildScenario, type ScenarioEvents, type ScenarioKind, type ScenarioOptions } from './scenarios';

export interface LoadOptions {
  /** Calls per second. */
  rate: number;
  /** How long to generate; with rate gives the count. */
  durationMs?: number;
  /** Exact number of calls (wins over durationMs). */
  count?: number;
  /** Relative weights of scenario kinds. */
  mix?: Partial<Record<ScenarioKind, number>>;
  seed?: number;
  /** Employees that take/make calls. */
  extensions?: string[];
  /** Options applied to every call (overridden by the per-call random ones where set). */
  base?: ScenarioOptions;
  /** Unix seconds of the first call (default: now). */
  startTime?: number;
  signal?: AbortSignal;
}

export interface PlannedCall {
  /** Offset from the start of the run. */
  atMs: number;
  kind: ScenarioKind;
  options: ScenarioOptions;
}

export interface GeneratedCall extends PlannedCall {
  events: ScenarioEvents;
}

/** Hard stop: a typo in --rate or --seconds must not become an endless loop. */
export const MAX_LOAD_CALLS = 1_000_000;

export const DEFAULT_MIX: Record<ScenarioKind, number> = {
  incomingAnswered: 40,
  incomingMissed: 15,
  incomingParallelRing: 10,
  incomingTransferred: 5,
  outgoing: 15,
  clickToCall: 10,
  directToExtension: 5,
};

function callOptions(kind: ScenarioKind, rng: Rng, exts: string[], start: number, base: ScenarioOptions): ScenarioOptions {
  const ext = exts[randomInt(rng, 0, exts.length - 1)];
  const other = exts.find((e) => e !== ext) ?? ext;
  const o: ScenarioOptions = {
    seed: randomInt(rng, 1, 2 ** 31 - 1),
    start,
    caller: '79' + randomDigits(rng, 9),
    extension: ext,
    ringSeconds: randomInt(rng, 3, 15),
    talkSeconds: randomInt(rng, 15, 300),
    withRecording: rng() < 0.5,
    ...base,
  };
  if (kind === 'incomingMissed') o.missReason = [1110, 1111, 1164][randomInt(rng, 0, 2)];
  if (kind === 'outgoing' || kind === 'clickToCall' || kind === 'directToExtension') o.answered = rng() < 0.8;
  if (kind === 'incomingParallelRing') {
    o.extensions = exts.length > 1 ? exts.slice(0, Math.min(3, exts.length)) : [ext, other];
    o.answerIndex = randomInt(rng, 0, o.extensions.length - 1);
  }
  if (kind === 'incomingTransferred') {
    o.transferTo = other;
    o.transferMethod = rng() < 0.5 ? 'blind' : 'hold';
  }
  return o;
}

/** Lazy schedule: evenly spaced with ±30 % jitter, so offsets stay increasing. */
export function* iteratePlan(opts: LoadOptions): Generator<PlannedCall> {
  const rate = opts.rate > 0 ? opts.rate : 1;
  const wanted = opts.count ?? Math.floor((rate * (opts.durationMs ?? 0)) / 1000);
  const count = Math.max(0, Math.min(MAX_LOAD_CALLS, Math.floor(wanted)));
  const rng = rngFrom(opts.seed);
  const mix = opts.mix ?? DEFAULT_MIX;
  const exts = opts.extensions?.length ? opts.extensions : ['101', '102', '103'];
  const t0 = opts.startTime ?? Math.floor(Date.now() / 1000);
  const interval = 1000 / rate;
  for (let i = 0; i < count; i++) {
    const jitter = (rng() - 0.5) * 0.6 * interval;
    const atMs = Math.max(0, Math.round(i * interval + (i === 0 ? 0 : jitter)));
    const kind = pickWeighted(mix, rng);
    yield { atMs, kind, options: callOptions(kind, rng, exts, t0 + Math.floor(atMs / 1000), opts.base ?? {}) };
  }
}

/** The whole schedule at once (pure given a seed and startTime). */
export function planLoad(opts: LoadOptions): PlannedCall[] {
  return [...iteratePlan(opts)];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Yields each planned call when its time comes; ends by itself after the plan. */
export async function* generateLoad(opts: LoadOptions): AsyncGenerator<GeneratedCall> {
  const t0 = Date.now();
  for (const p of iteratePlan(opts)) {
    if (opts.signal?.aborted) return;
    const wait = t0 + p.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    yield { ...p, events: buildScenario(p.kind, p.options) };
  }
}
