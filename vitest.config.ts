import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/faults/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: run files in a small pool so Postgres, Dovecot and Chromium are not starved.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
