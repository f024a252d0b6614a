// What every endpoint handler sees.
import type { Reply } from './api-reply';
import type { MangoState } from './api-state';
import type { Json } from './api-validate';
import type { LiveCalls } from './live-calls';
import type { StatsJobs } from './api-stats';
import type { OneShotLinks } from './api-recordings';

export interface HandlerContext {
  json: Json;
  state: MangoState;
  /** Milliseconds; injectable so tests can move time. */
  nowMs: () => number;
  live: LiveCalls;
  stats: StatsJobs;
  links: OneShotLinks;
  /** e.g. http://127.0.0.1:9100 — for Location headers of one-shot links. */
  origin: string;
}

export type Handler = (ctx: HandlerContext) => Reply;
