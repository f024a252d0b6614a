import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { buildScenario, SCENARIO_KINDS, type ScenarioKind, type ScenarioOptions } from '../../tools/mango-sim/scenarios';
import { deliver } from '../../tools/mango-sim/deliver';
import type { Call } from '../../src-shared/wire';
import { normalizePhone } from '../../src-shared/phone';

// The simulator's realistic signed sequences through the real relay, delivered concurrently,
// shuffled within each call, some twice, in both type variants: the records must match the
// scenario's intended outcome.
let r: TestRelay;
beforeAll(async () => {
  r = await startTestRelay();
  for (const [login, ext] of [['op101', '101'], ['op102', '102'], ['op103', '103'], ['op105', '105']] as const) {
    await r.createEmployee({ login, role: 'to', extension: ext });
  }
}, 60_000);
afterAll(async () => r?.close());

const variants: [ScenarioKind, ScenarioOptions][] = [
  ...SCENARIO_KINDS.map((k) => [k, {}] as [ScenarioKind, ScenarioOptions]),
  ['incomingMissed', { missReason: 1111 }],
  ['incomingMissed', { missReason: 1164 }],
  ['incomingAnswered', { withRecording: true, withQueue: true }],
  ['incomingTransferred', { transferMethod: 'hold', transferSpelling: 'was_transferred' }],
  ['outgoing', { answered: false }],
  ['clickToCall', { answered: false }],
  ['directToExtension', { answered: false }],
];

describe('simulator scenarios reduced by the relay', () => {
  it.each(variants.map((v, i) => [`${v[0]} ${JSON.stringify(v[1])}`, i] as const))('%s', async (_name, i) => {
    const [kind, opts] = variants[i];
    for (const typeVariant of ['numbers', 'strings'] as const) {
      const events = buildScenario(kind, { seed: 1000 + i + (typeVariant === 'strings' ? 500 : 0), start: 1700000000 + i * 1000, extensions: ['101', '102', '103'], transferTo: '105', ...opts, typeVariant });
      const stats = await deliver(r.webhookBase, [...events, ...events.slice(0, 3)], { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, concurrency: 6, shuffle: true, seed: i, typeVariant });
      expect(stats.failed).toBe(0);
      await r.settle();
      const o = events.outcome;
      const res = await r.api<{ calls: Call[] }>('GET', `/api/calls?limit=1000`, r.adminToken);
      const matching = res.body.calls.filter((c) => c.entryId === o.entryId);
      expect(matching).toHaveLength(1);
      const call = matching[0];
      expect(call.direction).toBe(o.direction === 'incoming' ? 'in' : o.direction === 'outgoing' ? 'out' : 'internal');
      expect(call.status).toBe(o.status);
      expect(call.talkSeconds).toBe(o.talkSeconds);
      expect(call.clientNumber).toBe(normalizePhone(o.externalNumber));
      expect(call.phase).toBe('ended');
      if (o.status === 'answered' && o.answeredBy) expect(call.employee?.extension).toBe(o.answeredBy);
      expect(call.recordings.map((x) => x.id).sort()).toEqual([...o.recordingIds].sort());
      expect(call.disconnectReason).toBe(o.disconnectReason);
    }
  });
});
