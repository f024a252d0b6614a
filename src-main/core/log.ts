/** A minimal logger the shells can route (console in dev, a file in the packaged app). */
export interface Logger {
  info(msg: string, extra?: unknown): void;
  warn(msg: string, extra?: unknown): void;
  error(msg: string, extra?: unknown): void;
}

export const consoleLogger: Logger = {
  info: (m, e) => {
    if (process.env.ASGARD_DEBUG) console.log(`[asgard] ${m}`, e ?? '');
  },
  warn: (m, e) => console.warn(`[asgard] ${m}`, e ?? ''),
  error: (m, e) => console.error(`[asgard] ${m}`, e ?? ''),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
