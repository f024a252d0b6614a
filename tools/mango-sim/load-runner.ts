// Runs generated traffic against a webhook receiver and totals the delivery figures.
import { deliver, emptyStats, mergeStats, type DeliverOptions, type DeliverStats } from './deliver';
import { generateLoad, type GeneratedCall, type LoadOptions } from './load-plan';
import type { ExpectedOutcome } from './scenarios';

export interface RunLoadOptions extends DeliverOptions {
  /** Calls being delivered at once before the generator waits (default 256). */
  maxInFlight?: number;
  onCall?: (call: GeneratedCall, stats: DeliverStats) => void;
}

export interface LoadReport {
  calls: number;
  events: number;
  stats: DeliverStats;
  outcomes: ExpectedOutcome[];
  elapsedMs: number;
}

export async function runLoad(baseUrl: string, load: LoadOptions, opts: RunLoadOptions): Promise<LoadReport> {
  const started = Date.now();
  const total = emptyStats();
  const outcomes: ExpectedOutcome[] = [];
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 256);
  let events = 0;
  for await (const call of generateLoad(load)) {
    events += call.events.length;
    outcomes.push(call.events.outcome);
    const p: Promise<void> = deliver(baseUrl, call.events, opts).then((s) => {
      mergeStats(total, s);
      opts.onCall?.(call, s);
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { calls: outcomes.length, events, stats: total, outcomes, elapsedMs: Date.now() - started };
}
