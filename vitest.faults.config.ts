import { defineConfig } from 'vitest/config';

// `npm run test:faults`: kill -9 mid-burst, Postgres outages under load, offline catch-up,
// webhook fuzzing. Real relay processes and real Postgres; one file at a time so the
// timings measured are not disturbed by another file's load on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
