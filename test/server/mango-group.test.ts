// routingMode 'group': the relay keeps a Mango operator group equal to the accepting employees
// (read first, complete list, serialized, retried on 5xx, never on 3xxx). Real relay on
// Postgres, real HTTP to the simulator's API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { startMangoApi, type MangoApi, type ApiRequestLog } from '../../tools/mango-sim';
import type { MangoSettingsView } from '../../src-shared/wire';

const GROUP_ID = 1001;

describe('routingMode group: Mango operator group mirrors accept-calls', () => {
  let r: TestRelay;
  let sim: MangoApi;
  const people: Record<string, { id: number; token: string; ext: string }> = {};

  const group = () => sim.state.groups.find((g) => g.id === GROUP_ID)!;
  const expectedOperators = async () =>
    (
      await r.relay.ctx.db.query<{ mango_user_id: string }>(
        'SELECT mango_user_id FROM employees WHERE active AND accept_calls AND mango_user_id IS NOT NULL',
      )
    ).rows
      .map((x) => Number(x.mango_user_id))
      .sort();
  const updates = (from = 0) => sim.requests.slice(from).filter((q) => q.path === 'group/update');
  const admin = () => r.adminToken;
  const patch = (name: string, body: object) => r.api('PATCH', `/api/admin/employees/${people[name].id}`, admin(), body);

  beforeAll(async () => {
    sim = await startMangoApi({ apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, rateLimits: true, lockout: true });
    r = await startTestRelay();
    r.relay.groupSync.options.retryBaseMs = 20;
    expect((await r.api('PUT', '/api/admin/mango', admin(), { apiUrl: sim.url })).status).toBe(200);
    // Employees matching the simulator's users by extension; one accepting employee who is not in Mango.
    const list: [string, string, 'to' | 'pm' | 'buh'][] = [
      ['ivanov', '101', 'to'],
      ['petrov', '102', 'to'],
      ['sidorova', '103', 'to'],
      ['kuznetsov', '104', 'pm'],
      ['smirnova', '105', 'buh'],
      ['novikov', '199', 'to'],
    ];
    for (const [login, ext, role] of list) {
      const e = await r.createEmployee({ login, name: login, role, extension: ext });
      people[login] = { id: e.employee.id, token: e.token, ext };
    }
    const imp = await r.api<{ created: number; updated: number }>('POST', '/api/admin/mango/import-users', admin());
    expect(imp.status).toBe(200);
    expect(imp.body.updated).toBe(5);
    await r.relay.groupSync.whenIdle();
  }, 60_000);

  afterAll(async () => {
    await r?.close();
    await sim?.close();
  });

  it('syncs on switching to group mode: reads the group, nothing to change, names who lacks a Mango ID', async () => {
    const before = sim.requests.length;
    const put = await r.api<MangoSettingsView>('PUT', '/api/admin/mango', admin(), { routingMode: 'group', groupId: String(GROUP_ID) });
    expect(put.status).toBe(200);
    await r.relay.groupSync.whenIdle();
    const reqs = sim.requests.slice(before);
    const read = reqs.find((q) => q.path === 'groups');
    expect(read?.json).toMatchObject({ group_id: String(GROUP_ID), show_users: 1 });
    // Simulator default: 101, 102, 103 — exactly the accepting employees with a Mango id.
    expect(updates(before)).toHaveLength(0);
    const view = await r.api<MangoSettingsView>('GET', '/api/admin/mango', admin());
    expect(view.body.lastGroupSync?.ok).toBe(true);
    expect(view.body.lastGroupSync?.message).toMatch(/уже совпадает/);
    expect(view.body.lastGroupSync?.message).toMatch(/Нет Mango ID.*novikov/);
  });

  it('after a burst of 20 concurrent toggles the group equals the accepting set; every update sent a complete list', async () => {
    const before = sim.requests.length;
    // ivanov accepts throughout: every complete list must contain him.
    const ivanovId = Number(sim.state.users.find((u) => u.extension === '101')!.user_id);
    expect((await patch('kuznetsov', { acceptCalls: true })).status).toBe(200);

    const togglers = ['petrov', 'sidorova', 'kuznetsov', 'smirnova'];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const burst = Array.from({ length: 20 }, (_, i) => {
      const who = togglers[i % togglers.length];
      const acceptCalls = rnd() < 0.5;
      return i % 3 === 0
        ? patch(who, { acceptCalls })
        : r.api('PUT', '/api/me/status', people[who].token, { acceptCalls });
    });
    const results = await Promise.all(burst);
    expect(results.every((x) => x.status === 200)).toBe(true);
    await r.relay.groupSync.whenIdle();

    const want = await expectedOperators();
    expect([...group().operators].sort()).toEqual(want);

    const reqs = sim.requests.slice(before);
    const ups = reqs.filter((q) => q.path === 'group/update');
    expect(ups.length).toBeGreaterThanOrEqual(1);
    // Triggers during a sync coalesce: far fewer group reads than changes.
    expect(reqs.filter((q) => q.path === 'groups').length).toBeLessThan(21);
    // Read first, then one complete list; nothing rate-limited.
    let readSinceUpdate = false;
    for (const q of reqs) {
      expect(q.status, `${q.path} answered ${q.status}`).toBe(200);
      if (q.path === 'groups') readSinceUpdate = true;
      if (q.path === 'group/update') {
        expect(readSinceUpdate).toBe(true);
        readSinceUpdate = false;
        const body = q.json as { group_id: string; group: { operators: { id: string }[] } };
        expect(body.group_id).toBe(String(GROUP_ID));
        const ids = body.group.operators.map((o) => Number(o.id));
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toContain(ivanovId);
        expect(q.result).toBe(1000);
      }
    }
    // The last list sent is the final accepting set.
    expect((ups.at(-1)!.json as { group: { operators: { id: string }[] } }).group.operators.map((o) => Number(o.id)).sort()).toEqual(want);

    const view = await r.api<MangoSettingsView>('GET', '/api/admin/mango', admin());
    expect(view.body.lastGroupSync).toMatchObject({ ok: true });
    expect(Date.parse(view.body.lastGroupSync!.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('retries with backoff on HTTP 500 and then converges', async () => {
    const before = sim.requests.length;
    const on = !group().operators.includes(Number(sim.state.users.find((u) => u.extension === '105')!.user_id));
    sim.setFault('http500');
    // Lift the fault once Mango has refused at least once.
    const lift = setInterval(() => {
      if (sim.requests.slice(before).some((q) => q.status === 500)) sim.setFault(null);
    }, 10);
    try {
      expect((await patch('smirnova', { acceptCalls: on })).status).toBe(200);
      await r.relay.groupSync.whenIdle();
    } finally {
      clearInterval(lift);
      sim.setFault(null);
    }
    const reqs = sim.requests.slice(before);
    expect(reqs.some((q) => q.status === 500)).toBe(true);
    expect([...group().operators].sort()).toEqual(await expectedOperators());
    expect(r.relay.groupSync.last).toMatchObject({ ok: true, outcome: 'updated' });
  });

  it('never retries a 3xxx answer and shows the failure to the admin', async () => {
    const before = sim.requests.length;
    sim.setResult('group/update', 3104);
    try {
      const cur = (await r.api<{ acceptCalls: boolean }>('GET', '/api/me', people.petrov.token)).body.acceptCalls;
      expect((await r.api('PUT', '/api/me/status', people.petrov.token, { acceptCalls: !cur })).status).toBe(200);
      await r.relay.groupSync.whenIdle();
    } finally {
      sim.setResult('group/update', null);
    }
    expect(updates(before)).toHaveLength(1);
    const view = await r.api<MangoSettingsView>('GET', '/api/admin/mango', admin());
    expect(view.body.lastGroupSync?.ok).toBe(false);
    expect(view.body.lastGroupSync?.message).toMatch(/3104/);
    expect(view.body.lastGroupSync?.message).toMatch(/Автоповтор не выполняется/);
    sim.resetLockout();
    // The next change syncs again and converges.
    r.relay.groupSync.trigger();
    await r.relay.groupSync.whenIdle();
    expect([...group().operators].sort()).toEqual(await expectedOperators());
  });

  it('an unknown group id fails without sending an update', async () => {
    const before = sim.requests.length;
    await r.api('PUT', '/api/admin/mango', admin(), { groupId: '9999' });
    await r.relay.groupSync.whenIdle();
    expect(updates(before)).toHaveLength(0);
    expect(r.relay.groupSync.last).toMatchObject({ ok: false, outcome: 'failed' });
    expect(r.relay.groupSync.last!.message).toMatch(/9999 не найдена/);
    await r.api('PUT', '/api/admin/mango', admin(), { groupId: String(GROUP_ID) });
    await r.relay.groupSync.whenIdle();
  });

  it('nobody accepting empties the group with one complete (empty) list', async () => {
    const before = sim.requests.length;
    for (const name of Object.keys(people)) expect((await patch(name, { acceptCalls: false })).status).toBe(200);
    await r.relay.groupSync.whenIdle();
    expect(group().operators).toEqual([]);
    const last = updates(before).at(-1)!;
    expect((last.json as { group: { operators: unknown[] } }).group.operators).toEqual([]);
    expect(r.relay.groupSync.last?.message).toMatch(/группа пуста/);
  });

  it('leaves the group alone in popup mode', async () => {
    await r.api('PUT', '/api/admin/mango', admin(), { routingMode: 'popup' });
    await r.relay.groupSync.whenIdle();
    const before = sim.requests.length;
    expect((await patch('ivanov', { acceptCalls: true })).status).toBe(200);
    await r.relay.groupSync.whenIdle();
    expect(sim.requests.slice(before).filter((q: ApiRequestLog) => q.path === 'groups' || q.path === 'group/update')).toHaveLength(0);
  });
});
