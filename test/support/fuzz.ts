/**
 * The suite's quick fuzz run (test/server/fuzz.test.ts) over the same generated cases as the
 * 100,000-request fault run (test/faults/fuzz.test.ts, which also checks the relay's own 413
 * count and the reduction of every stored event).
 */
import fc from 'fast-check';
import http from 'node:http';
import { TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from './relay';
import { MUST_ACCEPT, MUST_REFUSE, RESET_AFTER_ANSWER, fuzzCases, postCase, type FuzzCase } from './fuzz-cases';

export interface FuzzReport {
  requests: number;
  byStatus: Record<string, number>;
  crashes: number;
  fiveXX: number;
  acceptedInvalid: number;
  rejectedValid: number;
  storedValidKeys: number;
  storedEvents: number;
  errors: string[];
}

/**
 * Sends `total` generated requests (plus replays of accepted ones) at a running relay.
 * Oracle: nothing answered 5xx or dropped; 200 only when the sign is right and the event valid;
 * every valid signed event is accepted and stored exactly once. A huge upload cut by the
 * relay's reset after its 413 counts as refused (the fault run checks those against /metrics).
 */
export async function fuzzWebhooks(r: TestRelay, total: number, seed = 42): Promise<FuzzReport> {
  const port = Number(new URL(r.url).port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const arb = fuzzCases(TEST_MANGO_KEY, TEST_MANGO_SALT);
  const accepted: FuzzCase[] = [];
  const report: FuzzReport = { requests: 0, byStatus: {}, crashes: 0, fiveXX: 0, acceptedInvalid: 0, rejectedValid: 0, storedValidKeys: 0, storedEvents: 0, errors: [] };
  const validKeys = new Set<string>();
  const chunk = 1000;
  const before = Number((await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mango_events')).rows[0].n);
  for (let done = 0; done < total; done += chunk) {
    const cases = fc.sample(arb, { numRuns: Math.min(chunk, total - done), seed: seed + done });
    // Replays of earlier accepted requests (a captured request re-sent): harmless, stored once.
    for (let i = 0; i < 20 && accepted.length; i++) cases.push({ ...accepted[(i * 7919 + done) % accepted.length], label: 'replay' });
    for (let i = 0; i < cases.length; i += 16) {
      const slice = cases.slice(i, i + 16);
      const statuses = await Promise.all(slice.map((c) => postCase(port, agent, c, report.errors)));
      slice.forEach((c, j) => {
        const s = statuses[j] === RESET_AFTER_ANSWER && c.label === 'huge' ? 413 : statuses[j];
        report.requests++;
        report.byStatus[s] = (report.byStatus[s] ?? 0) + 1;
        if (s < 0) report.crashes++;
        if (s >= 500) report.fiveXX++;
        if (s === 200 && MUST_REFUSE.has(c.label)) report.acceptedInvalid++;
        if (MUST_ACCEPT.has(c.label) && s !== 200) report.rejectedValid++;
        if (s === 200 && c.label === 'valid' && c.idemKey) {
          validKeys.add(c.idemKey);
          accepted.push(c);
        }
      });
    }
  }
  agent.destroy();
  report.storedValidKeys = Number(
    (await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mango_events WHERE idem_key = ANY($1::text[])', [[...validKeys]])).rows[0].n,
  );
  report.storedEvents = Number((await r.relay.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mango_events')).rows[0].n) - before;
  return report;
}
