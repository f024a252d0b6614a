import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../support/relay';
import { fuzzWebhooks } from '../support/fuzz';

// A quick property run in the main suite; `npm run test:faults` runs 100,000 requests.
let r: TestRelay;
beforeAll(async () => {
  r = await startTestRelay();
}, 60_000);
afterAll(async () => r?.close());

it('survives generated webhook input: no crash, no 5xx, nothing accepted without a valid sign, valid ones stored once', async () => {
  const rep = await fuzzWebhooks(r, Number(process.env.FUZZ_REQUESTS ?? 3000), 7);
  expect(rep.crashes, rep.errors.join('\n')).toBe(0);
  expect(rep.fiveXX).toBe(0);
  expect(rep.acceptedInvalid).toBe(0);
  expect(rep.rejectedValid).toBe(0);
  expect(rep.byStatus['200']).toBeGreaterThan(100);
  expect(rep.storedValidKeys).toBeGreaterThan(0);
  // Accepted-invalid is 0, so every stored row is a valid event; and each key is stored once (unique index).
  expect(rep.storedEvents).toBeGreaterThanOrEqual(rep.storedValidKeys);
  await r.settle();
  expect((await fetch(r.url + '/healthz')).status).toBe(200);
}, 300_000);
