import { createRelayLogger } from './ops/log';

/** The relay's logger (one redaction mechanism for every caller: see ops/log.ts). */
export function createLogger(level = 'info') {
  return createRelayLogger(level);
}
export type Logger = ReturnType<typeof createRelayLogger>;
