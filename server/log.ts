import pino from 'pino';

/** Structured logs. Secrets are redacted by path, and nothing logs request bodies wholesale. */
export function createLogger(level = 'info') {
  return pino({
    level,
    base: { service: 'asgard-relay' },
    redact: {
      paths: ['*.password', '*.apiSalt', '*.salt', '*.token', '*.passwordHash', 'req.headers.authorization', '*.sign'],
      censor: '[redacted]',
    },
  });
}
export type Logger = ReturnType<typeof createLogger>;
