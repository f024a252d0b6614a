import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../support/relay';
import { fuzzWebhooks } from '../support/fuzz';

let r: TestRelay;
beforeAll(async () => {
  r = await startTestRelay();
}, 60_000);
afterAll(async () => r?.close());

it('100,000 generated webhook requests: 0 crashes, 0 5xx, 0 accepted unsigned, valid ones accepted', async () => {
  const rep = await fuzzWebhooks(r, Number(process.env.FUZZ_REQUESTS ?? 100_000), 1);
  console.log('fuzz report', JSON.stringify(rep));
  expect(rep.requests).toBeGreaterThanOrEqual(100_000);
  expect(rep.crashes).toBe(0);
  expect(rep.fiveXX).toBe(0);
  expect(rep.acceptedInvalid).toBe(0);
  expect(rep.rejectedValid).toBe(0);
  expect(rep.storedEvents).toBeGreaterThanOrEqual(rep.storedValidKeys);
}, 1_200_000);
