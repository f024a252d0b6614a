/**
 * /api/calls tells, with the first page, how many calls match the filter in all (up to a cap),
 * as the viewer may see them; later pages only page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call } from '../../src-shared/wire';
import { CALLS_TOTAL_CAP, type CallsPage } from '../../src-shared/ipc/telephony';
import { startTestRelay, type TestRelay } from '../support/relay';

let r: TestRelay;
let pm: { token: string };

/** n calls straight into the table: incoming missed ones and, every 4th, an outgoing one by nobody. */
async function insertCalls(prefix: string, n: number, startedAt: string) {
  await r.relay.ctx.db.query(
    `INSERT INTO calls (entry_id, direction, status, phase, started_at, view)
     SELECT $1 || g, CASE WHEN g % 4 = 0 THEN 'out' ELSE 'in' END, CASE WHEN g % 4 = 0 THEN 'answered' ELSE 'missed' END, 'ended',
            $3::timestamptz - g * interval '1 minute', json_build_object('entryId', $1 || g)
     FROM generate_series(1, $2::int) g`,
    [prefix, n, startedAt],
  );
}

beforeAll(async () => {
  r = await startTestRelay();
  pm = await r.createEmployee({ login: 'pm-total', role: 'pm', extension: '301' });
  await insertCalls('T-', 2500, '2026-01-10T12:00:00Z');
}, 60_000);
afterAll(async () => r?.close());

const page = async (qs: string, token = r.adminToken) => {
  const res = await r.api<CallsPage>('GET', `/api/calls?${qs}`, token);
  expect(res.status).toBe(200);
  return res.body;
};

describe('calls total', () => {
  it('comes with the first page, counts the filter, and is absent from later pages', async () => {
    const first = await page('limit=1000');
    expect(first.calls).toHaveLength(1000);
    expect(first.total).toEqual({ count: 2500, capped: false });
    expect((await page('limit=1000&direction=out')).total).toEqual({ count: 625, capped: false });
    expect((await page('limit=10&status=missed')).total).toEqual({ count: 1875, capped: false });
    const last = first.calls.at(-1) as Call; // these views carry only the entry id
    const lastId = (await r.relay.ctx.db.query<{ id: number }>('SELECT id FROM calls WHERE entry_id = $1', [last.entryId])).rows[0].id;
    const second = await page(`limit=1000&before=${lastId}`);
    expect(second.calls).toHaveLength(1000);
    expect(second.total).toBeUndefined();
  });

  it('counts only what the viewer may see', async () => {
    // A PM sees incoming calls to the company's lines and their own: not others' outgoing ones.
    expect((await page('limit=10', pm.token)).total).toEqual({ count: 1875, capped: false });
  });

  it(`stops counting past ${CALLS_TOTAL_CAP}`, async () => {
    await insertCalls('U-', CALLS_TOTAL_CAP, '2025-01-10T12:00:00Z');
    expect((await page('limit=10')).total).toEqual({ count: CALLS_TOTAL_CAP, capped: true });
    expect((await page('limit=10&since=2026-01-01T00:00:00Z')).total).toEqual({ count: 2500, capped: false });
  });
});
