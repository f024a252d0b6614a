import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { postSigned } from '../support/webhook';
import { TestFeedClient } from '../support/feed-client';
import type { Call, Employee, MangoSettingsView, StatsCountedIn, StatusChange } from '../../src-shared/wire';
import type { StatsResult } from '../../src-shared/ipc/telephony';

let r: TestRelay;
let to: { employee: Employee; token: string };
let pm: { employee: Employee; token: string };

beforeAll(async () => {
  r = await startTestRelay();
  to = await r.createEmployee({ login: 'to1', role: 'to', extension: '101' });
  pm = await r.createEmployee({ login: 'pm1', role: 'pm', extension: '201' });
}, 60_000);
afterAll(async () => r?.close());

describe('authorization', () => {
  const employeeRoutes: [string, string, unknown?][] = [
    ['GET', '/api/me'],
    ['PUT', '/api/me/status', { acceptCalls: true }],
    ['GET', '/api/calls'],
    ['GET', '/api/calls/export?tz=Europe/Moscow'],
    ['GET', '/api/missed'],
    ['GET', '/api/contacts'],
    ['GET', '/api/contacts?limit=50&search=%D0%98'],
    ['GET', '/api/contacts/export?tz=Europe/Moscow'],
    ['GET', '/api/contacts/lookup?phone=79161234567'],
    ['POST', '/api/contacts', { name: 'X' }],
    ['GET', `/api/stats?since=2020-01-01T00:00:00Z&until=2030-01-01T00:00:00Z`],
    ['GET', `/api/stats/export?since=2020-01-01T00:00:00Z&until=2030-01-01T00:00:00Z&tz=Europe/Moscow`],
    ['POST', '/api/calls/callback', { toNumber: '79161234567' }],
  ];
  const adminRoutes: [string, string, unknown?][] = [
    ['GET', '/api/admin/employees'],
    ['POST', '/api/admin/employees', { login: 'x1', name: 'X', role: 'pm', password: 'secret12' }],
    ['PATCH', '/api/admin/employees/1', { acceptCalls: true }],
    ['GET', '/api/admin/status-log'],
    ['GET', '/api/admin/mango'],
    ['PUT', '/api/admin/mango', { enabled: true }],
    ['POST', '/api/admin/mango/test'],
    ['POST', '/api/admin/mango/import-users'],
    ['POST', '/api/contacts/import', { csv: 'Имя;Телефон\nX;+7 916 000-00-01\n', dryRun: true }],
  ];

  it('refuses every API route without a token or with a bad token', async () => {
    for (const [m, p, b] of [...employeeRoutes, ...adminRoutes]) {
      expect((await r.api(m, p, null, b)).status, `${m} ${p}`).toBe(401);
      expect((await r.api(m, p, 'not-a-token', b)).status, `${m} ${p}`).toBe(401);
    }
  });

  it('refuses admin routes to employees with 403', async () => {
    for (const [m, p, b] of adminRoutes) expect((await r.api(m, p, to.token, b)).status, `${m} ${p}`).toBe(403);
  });

  it('lets employees use their routes', async () => {
    // The exports answer files, not JSON: test/server/calls-export.test.ts and stats-export.test.ts read them.
    for (const [m, p, b] of employeeRoutes.filter(([, p]) => !p.includes('callback') && !p.includes('export'))) {
      const res = await r.api(m, p, pm.token, b);
      expect(res.status, `${m} ${p}`).toBeLessThan(300);
    }
  });

  it('says token-expired for an expired session', async () => {
    const s = await r.login('pm1', 'password-pm1');
    await r.relay.ctx.db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE employee_id = $1 AND created_at = (SELECT max(created_at) FROM sessions WHERE employee_id = $1)", [pm.employee.id]);
    const res = await r.api<{ error: string }>('GET', '/api/me', s.token);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('token-expired');
  });

  it('refuses a wrong password with a Russian message', async () => {
    const res = await r.api<{ message: string }>('POST', '/api/auth/login', null, { login: 'to1', password: 'nope' });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Неверный логин или пароль');
  });
});

describe('employees and accept-calls statuses', () => {
  it('defaults accept-calls by role: ТО on, others off', async () => {
    expect(to.employee.acceptCalls).toBe(true);
    expect(pm.employee.acceptCalls).toBe(false);
    const hr = await r.createEmployee({ login: 'hr1', role: 'hr' });
    expect(hr.employee.acceptCalls).toBe(false);
  });

  it('re-applies the role default on a role change unless set by hand', async () => {
    const e = await r.createEmployee({ login: 'buh1', role: 'buh' });
    const changed = await r.api<Employee>('PATCH', `/api/admin/employees/${e.employee.id}`, r.adminToken, { role: 'to' });
    expect(changed.body.acceptCalls).toBe(true);
    await r.api('PUT', '/api/me/status', e.token, { acceptCalls: false });
    const again = await r.api<Employee>('PATCH', `/api/admin/employees/${e.employee.id}`, r.adminToken, { role: 'to' });
    expect(again.body.acceptCalls).toBe(false);
  });

  it('a role change that switches «Приём звонков» is in the status log and in the employee’s feed, by the admin', async () => {
    const e = await r.createEmployee({ login: 'hr7', role: 'hr' });
    const feed = await TestFeedClient.connect(r.url, e.token, 0);
    try {
      await feed.synced();
      await r.api('PATCH', `/api/admin/employees/${e.employee.id}`, r.adminToken, { role: 'to' });
      const log = await r.api<{ log: StatusChange[] }>('GET', '/api/admin/status-log', r.adminToken);
      expect(log.body.log[0]).toMatchObject({ employeeId: e.employee.id, acceptCalls: true, changedByName: 'Администратор' });
      await feed.waitFor(() => feed.items.some((i) => i.payload.kind === 'status'), 5000, 'the status item');
      expect(feed.items.flatMap((i) => (i.payload.kind === 'status' ? [i.payload.change] : []))).toEqual([expect.objectContaining({ employeeId: e.employee.id, acceptCalls: true, changedByName: 'Администратор' })]);
      // A role change that keeps the flag (ТО → ТО's default again) logs nothing.
      await r.api('PATCH', `/api/admin/employees/${e.employee.id}`, r.adminToken, { name: 'Новое имя' });
      expect((await r.api<{ log: StatusChange[] }>('GET', '/api/admin/status-log', r.adminToken)).body.log.filter((x) => x.employeeId === e.employee.id)).toHaveLength(1);
    } finally {
      feed.close();
    }
  });

  it('lets an employee switch only their own flag; an admin switches anyone’s; every change is logged', async () => {
    const mine = await r.api<Employee>('PUT', '/api/me/status', pm.token, { acceptCalls: true });
    expect(mine.body).toMatchObject({ id: pm.employee.id, acceptCalls: true });
    // An employee cannot reach the admin route for someone else.
    expect((await r.api('PATCH', `/api/admin/employees/${to.employee.id}`, pm.token, { acceptCalls: false })).status).toBe(403);
    const byAdmin = await r.api<Employee>('PATCH', `/api/admin/employees/${to.employee.id}`, r.adminToken, { acceptCalls: false });
    expect(byAdmin.body.acceptCalls).toBe(false);
    const log = await r.api<{ log: StatusChange[] }>('GET', '/api/admin/status-log', r.adminToken);
    expect(log.body.log[0]).toMatchObject({ employeeId: to.employee.id, acceptCalls: false, changedByName: 'Администратор' });
    expect(log.body.log.find((x) => x.employeeId === pm.employee.id)).toMatchObject({ acceptCalls: true, changedBy: pm.employee.id });
    await r.api('PATCH', `/api/admin/employees/${to.employee.id}`, r.adminToken, { acceptCalls: true });
    await r.api('PUT', '/api/me/status', pm.token, { acceptCalls: false });
  });

  it('an admin cannot switch themselves off or drop their own admin role; another admin can', async () => {
    const me = (await r.api<Employee>('GET', '/api/me', r.adminToken)).body;
    const off = await r.api<{ message: string }>('PATCH', `/api/admin/employees/${me.id}`, r.adminToken, { active: false });
    expect(off.status).toBe(409);
    expect(off.body.message).toBe('Нельзя отключить собственную учётную запись');
    const demote = await r.api<{ message: string }>('PATCH', `/api/admin/employees/${me.id}`, r.adminToken, { role: 'pm' });
    expect(demote.status).toBe(409);
    expect(demote.body.message).toBe('Нельзя снять роль администратора с самого себя');
    // Nothing changed, and the session still works; harmless self-edits still pass.
    expect((await r.api<Employee>('PATCH', `/api/admin/employees/${me.id}`, r.adminToken, { role: 'admin', active: true })).body).toMatchObject({ role: 'admin', active: true });
    // Another admin's account is fair game: demoted, then switched off (its sessions end).
    const adm2 = await r.createEmployee({ login: 'adm2', role: 'admin' });
    expect((await r.api<Employee>('PATCH', `/api/admin/employees/${adm2.employee.id}`, r.adminToken, { role: 'hr' })).body.role).toBe('hr');
    expect((await r.api<Employee>('PATCH', `/api/admin/employees/${adm2.employee.id}`, r.adminToken, { active: false })).body.active).toBe(false);
    expect((await r.api('GET', '/api/me', adm2.token)).status).toBe(401);
  });

  it('two admins demoting each other at once leave one admin, not none', async () => {
    const a = await r.createEmployee({ login: 'adm-a', role: 'admin' });
    const b = await r.createEmployee({ login: 'adm-b', role: 'admin' });
    const me = (await r.api<Employee>('GET', '/api/me', r.adminToken)).body;
    // The seeded admin steps aside for a moment (its sessions kept), so a and b are the last two.
    await r.relay.ctx.db.query('UPDATE employees SET active = false WHERE id = $1', [me.id]);
    try {
      const [x, y] = await Promise.all([
        r.api<{ error?: string }>('PATCH', `/api/admin/employees/${b.employee.id}`, a.token, { role: 'pm' }),
        r.api<{ error?: string }>('PATCH', `/api/admin/employees/${a.employee.id}`, b.token, { role: 'pm' }),
      ]);
      // One goes through. The other is refused: 409 last-admin when both passed the admin check
      // before either committed, 403 when the first had already committed (its caller is no
      // admin any more). Either way the company keeps exactly one active admin.
      const [done, refused] = x.status === 200 ? [x, y] : [y, x];
      expect(done.status).toBe(200);
      expect([[403, 'forbidden'], [409, 'last-admin']]).toContainEqual([refused.status, refused.body.error]);
      const admins = (await r.relay.ctx.db.query("SELECT id FROM employees WHERE role = 'admin' AND active")).rows;
      expect(admins).toHaveLength(1);
    } finally {
      // Put the seeded admin back for the tests after this one.
      await r.relay.ctx.db.query('UPDATE employees SET active = true WHERE id = $1', [me.id]);
    }
  });

  it('a new password signs the employee out everywhere; an admin changing their own stays signed in where they did it', async () => {
    const e = await r.createEmployee({ login: 'pw1', role: 'pm', password: 'first-pass-1' });
    const second = await r.login('pw1', 'first-pass-1');
    expect((await r.api('PATCH', `/api/admin/employees/${e.employee.id}`, r.adminToken, { password: 'second-pass-2' })).status).toBe(200);
    expect((await r.api('GET', '/api/me', e.token)).status).toBe(401);
    expect((await r.api('GET', '/api/me', second.token)).status).toBe(401);
    const adm = await r.createEmployee({ login: 'adm3', role: 'admin', password: 'admin-pass-1' });
    const otherPc = await r.login('adm3', 'admin-pass-1');
    expect((await r.api('PATCH', `/api/admin/employees/${adm.employee.id}`, adm.token, { password: 'admin-pass-2' })).status).toBe(200);
    expect((await r.api('GET', '/api/me', adm.token)).status).toBe(200);
    expect((await r.api('GET', '/api/me', otherPc.token)).status).toBe(401);
    expect((await r.login('adm3', 'admin-pass-2')).token).toBeTruthy();
  });

  it('never returns password hashes', async () => {
    const res = await fetch(r.url + '/api/admin/employees', { headers: { authorization: `Bearer ${r.adminToken}` } });
    const text = await res.text();
    expect(text).not.toMatch(/scrypt|password/i);
  });
});

describe('Mango settings', () => {
  it('keeps the salt encrypted at rest and never returns it', async () => {
    const view = await r.api<MangoSettingsView>('GET', '/api/admin/mango', r.adminToken);
    expect(view.body.saltConfigured).toBe(true);
    expect(JSON.stringify(view.body)).not.toContain(TEST_MANGO_SALT);
    const stored = await r.relay.ctx.db.query<{ value: unknown }>("SELECT value FROM settings WHERE key = 'mango'");
    expect(JSON.stringify(stored.rows[0].value)).not.toContain(TEST_MANGO_SALT);
    // An empty salt keeps the old one.
    const put = await r.api<MangoSettingsView>('PUT', '/api/admin/mango', r.adminToken, { apiSalt: '', vpbxId: 'vpbx400000001' });
    expect(put.body.vpbxId).toBe('vpbx400000001');
    expect((await postSigned(r.webhookBase, 'ping', {})).status).toBe(200);
    expect(put.body.webhookUrl).toMatch(/\/api\/mango-webhook\/$/);
  });

  it('uses a new salt for webhook verification right after it is saved', async () => {
    await r.api('PUT', '/api/admin/mango', r.adminToken, { apiSalt: 'rotated-salt' });
    expect((await postSigned(r.webhookBase, 'ping', {})).status).toBe(403);
    expect((await postSigned(r.webhookBase, 'ping', {}, { salt: 'rotated-salt' })).status).toBe(200);
    await r.api('PUT', '/api/admin/mango', r.adminToken, { apiSalt: TEST_MANGO_SALT });
  });
});

describe('an instance whose RELAY_SECRET_KEY cannot read the stored salt', () => {
  it('answers webhooks 503 with a reason, keeps the salt for the other instance, and works once the salt is entered again', async () => {
    const b = await startTestRelay({ databaseUrl: r.databaseUrl!, env: { secretKey: 'a-different-key' } });
    try {
      const res = await postSigned(b.webhookBase, 'ping', {});
      expect(res.status).toBe(503);
      expect(JSON.stringify(res.body)).toContain('secret-key-mismatch');
      // Saving other fields there neither fails nor wipes the salt the first instance reads.
      expect((await b.api('PUT', '/api/admin/mango', b.adminToken, { vpbxId: 'vpbx-b' })).status).toBe(200);
      await new Promise((res) => setTimeout(res, 200)); // the settings NOTIFY reaches the first instance
      expect((await postSigned(r.webhookBase, 'ping', {})).status).toBe(200);
      // Entering the salt on the misconfigured instance makes it work there (and the other one
      // now cannot read it: the fix is one key for all instances, as deploy/README says).
      await b.api('PUT', '/api/admin/mango', b.adminToken, { apiSalt: TEST_MANGO_SALT });
      expect((await postSigned(b.webhookBase, 'ping', {})).status).toBe(200);
    } finally {
      await b.close();
      await r.api('PUT', '/api/admin/mango', r.adminToken, { apiSalt: TEST_MANGO_SALT });
    }
  });
});

describe('calls API', () => {
  beforeAll(async () => {
    const leg = (entry: string, callId: string, ext: string | null, seq: number, state: string, ts: number, extra: object = {}) => ({
      entry_id: entry, call_id: callId, timestamp: ts, seq, call_state: state, location: ext ? 'abonent' : 'ivr',
      from: { number: '79161234567' }, to: { ...(ext ? { extension: ext } : {}), number: '74951234567', line_number: '74951234567' }, dct: { type: 0 }, ...extra,
    });
    const sum = (entry: string, dir: number, ext: string, talk: number, extra: object = {}) => ({
      entry_id: entry, call_direction: dir, from: dir === 2 ? { extension: ext } : { number: '79161234567' }, to: dir === 2 ? { number: '79997776655' } : { extension: ext },
      line_number: '74951234567', create_time: 1700000000, forward_time: 1700000000, talk_time: talk, end_time: 1700000100, entry_result: talk ? 1 : 0, disconnect_reason: 1110, ...extra,
    });
    const posts: [string, object][] = [
      ['events/call', leg('IN1', 'a', '101', 1, 'Appeared', 1700000000)],
      ['events/call', leg('IN1', 'a', '101', 2, 'Connected', 1700000010)],
      ['events/call', leg('IN1', 'a', '101', 3, 'Disconnected', 1700000100, { disconnect_reason: 1110 })],
      ['events/summary', sum('IN1', 1, '101', 1700000010)],
      ['events/call', { ...leg('OUT1', 'b', null, 1, 'Appeared', 1700000200), location: 'abonent', from: { extension: '201', number: 'sip:pm@x' }, to: { number: '79997776655' } }],
      ['events/summary', { ...sum('OUT1', 2, '201', 0), create_time: 1700000200, end_time: 1700000230 }],
      ['events/call', { ...leg('OUT2', 'c', null, 1, 'Appeared', 1700000300), location: 'abonent', from: { extension: '301', number: 'sip:other@x' }, to: { number: '79990001122' } }],
      ['events/summary', { ...sum('OUT2', 2, '301', 1700000305), create_time: 1700000300, end_time: 1700000400, to: { number: '79990001122' } }],
      // An internal call between two extensions no employee has, before the others.
      ['events/call', { ...leg('INT1', 'd', null, 1, 'Appeared', 1699990000), location: 'abonent', from: { extension: '401' }, to: { extension: '402' } }],
      ['events/summary', { ...sum('INT1', 0, '402', 1699990005), from: { extension: '401' }, to: { extension: '402' }, create_time: 1699990000, end_time: 1699990060 }],
    ];
    for (const [p, b] of posts) expect((await postSigned(r.webhookBase, p, b)).status).toBe(200);
    await r.settle();
  });

  it('lists newest first with statuses and the answering employee', async () => {
    const res = await r.api<{ calls: Call[] }>('GET', '/api/calls?limit=10', r.adminToken);
    const ids = res.body.calls.map((c) => c.entryId);
    expect(ids.slice(0, 3)).toEqual(['OUT2', 'OUT1', 'IN1']);
    expect(res.body.calls.find((c) => c.entryId === 'IN1')).toMatchObject({ direction: 'in', status: 'answered', talkSeconds: 90, employee: { id: to.employee.id } });
    expect(res.body.calls.find((c) => c.entryId === 'OUT1')).toMatchObject({ direction: 'out', status: 'unanswered' });
  });

  it('filters by direction, status, phone and employee', async () => {
    const q = async (qs: string) => (await r.api<{ calls: Call[] }>('GET', `/api/calls?${qs}`, r.adminToken)).body.calls.map((c) => c.entryId);
    expect(await q('direction=out')).toEqual(['OUT2', 'OUT1']);
    expect(await q('direction=internal')).toEqual(['INT1']);
    expect(await q('direction=in')).toEqual(['IN1']);
    expect(await q('status=unanswered')).toEqual(['OUT1']);
    expect(await q(`phone=${encodeURIComponent('8 (999) 777-66-55')}`)).toEqual(['OUT1']);
    expect(await q(`employeeId=${to.employee.id}`)).toEqual(['IN1']);
    expect(await q('search=7776655')).toEqual(['OUT1']);
    expect((await r.api('GET', '/api/calls?direction=sideways', r.adminToken)).status).toBe(400);
  });

  it('shows an employee their own calls and the company lines’ incoming calls, not others’ outgoing', async () => {
    const pmCalls = (await r.api<{ calls: Call[] }>('GET', '/api/calls', pm.token)).body.calls.map((c) => c.entryId);
    expect(pmCalls).toContain('IN1');
    expect(pmCalls).toContain('OUT1');
    expect(pmCalls).not.toContain('OUT2');
  });
});

describe('missed calls to call back', () => {
  // Recent: the relay lists the last 7 days only.
  const T = Math.floor(Date.now() / 1000) - 3600;
  const missedSum = (entry: string, from: string, at: number) => ({
    entry_id: entry, call_direction: 1, from: { number: from }, to: { extension: '101' }, line_number: '74951234567',
    create_time: at, forward_time: at, talk_time: 0, end_time: at + 30, entry_result: 0, disconnect_reason: 1110,
  });
  const listed = async (token: string) =>
    (await r.api<{ calls: Call[] }>('GET', '/api/missed', token)).body.calls.filter((c) => c.entryId.startsWith('MS-')).map((c) => c.entryId);
  const idOf = async (entry: string) => (await r.api<{ calls: Call[] }>('GET', '/api/calls?limit=100', r.adminToken)).body.calls.find((c) => c.entryId === entry)!.id;

  it('dismisses a caller\'s calls at once (all or none, as visible to the employee); the single-call route still works', async () => {
    for (const [p, b] of [
      ['events/summary', missedSum('MS-A1', '79035550001', T)],
      ['events/summary', missedSum('MS-B1', '79035550002', T + 60)],
      ['events/summary', missedSum('MS-A2', '79035550001', T + 120)],
    ] as const)
      expect((await postSigned(r.webhookBase, p, b)).status).toBe(200);
    await r.settle();
    expect(await listed(to.token)).toEqual(['MS-A2', 'MS-B1', 'MS-A1']);
    const [a1, a2, b1] = [await idOf('MS-A1'), await idOf('MS-A2'), await idOf('MS-B1')];
    const out2 = await idOf('OUT2'); // another employee's outgoing call: pm may not see it

    expect((await r.api('POST', '/api/missed/dismiss', null, { callIds: [a1, a2] })).status).toBe(401);
    for (const body of [{}, { callIds: [] }, { callIds: ['x'] }, { callIds: [0] }, { callIds: Array.from({ length: 201 }, (_, i) => i + 1) }, { callId: a1 }])
      expect((await r.api('POST', '/api/missed/dismiss', to.token, body)).status, JSON.stringify(body).slice(0, 60)).toBe(400);
    // One call not visible: 404 as for the single route, and nothing written.
    expect((await r.api('POST', '/api/missed/dismiss', pm.token, { callIds: [a1, out2] })).status).toBe(404);
    expect((await r.api('POST', '/api/missed/dismiss', to.token, { callIds: [a1, 999999999] })).status).toBe(404);
    expect(await listed(to.token)).toEqual(['MS-A2', 'MS-B1', 'MS-A1']);

    expect((await r.api('POST', '/api/missed/dismiss', to.token, { callIds: [a2, a1, a2] })).status).toBe(200);
    expect(await listed(to.token)).toEqual(['MS-B1']);
    expect(await listed(r.adminToken)).toEqual(['MS-B1']);
    expect((await r.api('POST', `/api/missed/${b1}/dismiss`, to.token)).status).toBe(200);
    expect(await listed(to.token)).toEqual([]);
  });

  it('a call back to the number settles all of its missed calls', async () => {
    for (const b of [missedSum('MS-C1', '79035550003', T + 200), missedSum('MS-C2', '79035550003', T + 260), missedSum('MS-D1', '79035550004', T + 270)])
      expect((await postSigned(r.webhookBase, 'events/summary', b)).status).toBe(200);
    await r.settle();
    expect(await listed(to.token)).toEqual(['MS-D1', 'MS-C2', 'MS-C1']);
    const back = {
      entry_id: 'MS-BACK', call_direction: 2, from: { extension: '101' }, to: { number: '79035550003' }, line_number: '74951234567',
      create_time: T + 300, forward_time: T + 300, talk_time: T + 305, end_time: T + 360, entry_result: 1, disconnect_reason: 1110,
    };
    expect((await postSigned(r.webhookBase, 'events/summary', back)).status).toBe(200);
    await r.settle();
    expect(await listed(to.token)).toEqual(['MS-D1']);
  });
});

describe('contacts', () => {
  it('creates, looks up by any phone spelling, merges', async () => {
    const a = await r.api<{ id: number; phones: string[] }>('POST', '/api/contacts', to.token, { name: 'ООО Ромашка', phones: ['8 (916) 123-45-67'] });
    expect(a.status).toBe(201);
    expect(a.body.phones).toEqual(['+79161234567']);
    const found = await r.api<{ contact: { id: number } | null }>('GET', '/api/contacts/lookup?phone=79161234567', pm.token);
    expect(found.body.contact?.id).toBe(a.body.id);
    const b = await r.api<{ id: number }>('POST', '/api/contacts', to.token, { name: 'Ромашка (дубль)', phones: ['+7 999 777 66 55'], emails: ['info@romashka.ru'] });
    const merged = await r.api<{ phones: string[]; emails: string[] }>('POST', '/api/contacts/merge', to.token, { keepId: a.body.id, mergeId: b.body.id });
    expect(merged.body.phones.sort()).toEqual(['+79161234567', '+79997776655']);
    expect(merged.body.emails).toEqual(['info@romashka.ru']);
    const card = await r.api<{ calls: Call[] }>('GET', `/api/contacts/${a.body.id}`, r.adminToken);
    expect(card.body.calls.map((c) => c.entryId).sort()).toEqual(['IN1', 'OUT1']);
    // The card's timeline respects visibility: PM's outgoing call is not the ТО employee's.
    const toCard = await r.api<{ calls: Call[] }>('GET', `/api/contacts/${a.body.id}`, to.token);
    expect(toCard.body.calls.map((c) => c.entryId)).toEqual(['IN1']);
    expect((await r.api('POST', '/api/contacts', to.token, { name: 'x', emails: ['not-an-email'] })).status).toBe(400);
  });

  it('deletes a contact with the ones merged into it', async () => {
    const a = await r.api<{ id: number }>('POST', '/api/contacts', to.token, { name: 'ИП Удаляемый', phones: ['+7 999 123 00 01'] });
    const b = await r.api<{ id: number }>('POST', '/api/contacts', to.token, { name: 'Удаляемый (дубль)', phones: ['+7 916 000 11 22'] });
    await r.api('POST', '/api/contacts/merge', to.token, { keepId: a.body.id, mergeId: b.body.id });
    expect((await r.api('DELETE', `/api/contacts/${a.body.id}`, null)).status).toBe(401);
    // For everyone and for good: admins only.
    expect((await r.api('DELETE', `/api/contacts/${a.body.id}`, pm.token)).status).toBe(403);
    expect((await r.api('DELETE', `/api/contacts/${b.body.id}`, r.adminToken)).status).toBe(404); // merged away: not a live contact
    const feed = await TestFeedClient.connect(r.url, pm.token, 0);
    await feed.synced();
    expect((await r.api<{ ok: boolean }>('DELETE', `/api/contacts/${a.body.id}`, r.adminToken)).body).toEqual({ ok: true });
    // Every app forgets its copies of the contact and of the one merged into it.
    await feed.waitFor(() => feed.items.some((i) => i.payload.kind === 'contact-deleted'), 5000, 'contact-deleted');
    const told = feed.items.flatMap((i) => (i.payload.kind === 'contact-deleted' ? [i.payload.contactIds] : []));
    expect(told.map((ids) => [...ids].sort((x, y) => x - y))).toEqual([[a.body.id, b.body.id].sort((x, y) => x - y)]);
    feed.close();
    expect((await r.api('GET', `/api/contacts/${a.body.id}`, pm.token)).status).toBe(404);
    expect((await r.api<{ contact: unknown }>('GET', '/api/contacts/lookup?phone=79991230001', pm.token)).body.contact).toBeNull();
    const left = await r.relay.ctx.db.query('SELECT id FROM contacts WHERE id = ANY($1::bigint[])', [[a.body.id, b.body.id]]);
    expect(left.rows).toEqual([]);
    expect((await r.api('DELETE', `/api/contacts/${a.body.id}`, r.adminToken)).status).toBe(404);
  });

  it('finds a contact whose number was written with an extension or the 810 prefix by the number calls come from', async () => {
    const office = await r.api<{ id: number; phones: string[] }>('POST', '/api/contacts', to.token, { name: 'ЗАО Стройинвест', phones: ['8 (495) 765-43-21 доб. 123', '810 49 30 1234567'] });
    // The extension is kept for dialling the desk again; calls are still matched by the number itself.
    expect(office.body.phones).toEqual(['+74957654321 доб. 123', '+49301234567']);
    for (const caller of ['74957654321', '+4930 1234567']) {
      const found = await r.api<{ contact: { id: number } | null }>('GET', `/api/contacts/lookup?phone=${encodeURIComponent(caller)}`, to.token);
      expect(found.body.contact?.id, caller).toBe(office.body.id);
    }
  });
});

describe('Mango settings updates', () => {
  it('keeps fields that a save did not send (group id) and masks salts completely', async () => {
    await r.api('PUT', '/api/admin/mango', r.adminToken, { groupId: '1001' });
    const put = await r.api<MangoSettingsView>('PUT', '/api/admin/mango', r.adminToken, { vpbxId: 'vpbx1' });
    expect(put.body.groupId).toBe('1001');
    await r.api('PUT', '/api/admin/mango', r.adminToken, { apiSalt: 'e2e-x' });
    const view = await r.api<MangoSettingsView>('GET', '/api/admin/mango', r.adminToken);
    expect(view.body.apiSaltMasked).not.toMatch(/[e2x-]/);
    await r.api('PUT', '/api/admin/mango', r.adminToken, { apiSalt: TEST_MANGO_SALT });
    const long = (await r.api<MangoSettingsView>('GET', '/api/admin/mango', r.adminToken)).body.apiSaltMasked;
    expect(long).toBe('••••••••');
    expect(long).not.toContain(TEST_MANGO_SALT.slice(0, 1));
  });
});

// On both databases the relay runs on: PGlite must know the zones and take the zone as a parameter too.
describe.each([['PostgreSQL', false], ['PGlite', true]] as const)('statistics in the viewer’s time zone on %s', (_db, pglite) => {
  let s: TestRelay;
  let viewer: { employee: Employee; token: string };
  // Two incoming calls to ext. 101 at 20:30 and 20:45 UTC on 10 March 2024: 23:30/23:45 that day
  // in Moscow, 01:30/01:45 on the 11th in Yekaterinburg (Tyumen's clock, UTC+5), 22:30/22:45 on
  // the 10th in Kaliningrad (UTC+2).
  const T = Date.UTC(2024, 2, 10, 20, 30) / 1000;
  const summary = (entry: string, at: number, answered: boolean) => ({
    entry_id: entry, call_direction: 1, from: { number: '79031112233' }, to: { extension: '101' }, line_number: '74951234567',
    create_time: at, forward_time: at, talk_time: answered ? at + 5 : 0, end_time: at + 60, entry_result: answered ? 1 : 0, disconnect_reason: 1110,
  });
  beforeAll(async () => {
    s = pglite ? await startTestRelay({ pglite: true }) : r;
    viewer = pglite ? await s.createEmployee({ login: 'to1', role: 'to', extension: '101' }) : to;
    expect((await postSigned(s.webhookBase, 'events/summary', summary('TZ-ANS', T, true))).status).toBe(200);
    expect((await postSigned(s.webhookBase, 'events/summary', summary('TZ-MISS', T + 900, false))).status).toBe(200);
    await s.settle();
  }, 60_000);
  afterAll(async () => {
    if (pglite) await s?.close();
  });
  const stats = (qs: string, token = s.adminToken) =>
    s.api<StatsResult & { countedIn?: StatsCountedIn; message?: string }>('GET', `/api/stats?since=2024-03-09T00:00:00Z&until=2024-03-13T00:00:00Z${qs}`, token);
  const busyHours = (res: StatsResult) => res.byHour.filter((h) => h.answered + h.missed > 0);

  it('counts days and hours in Moscow time when the app sends no zone (older apps)', async () => {
    const res = await stats('');
    expect(res.status).toBe(200);
    expect(res.body.days).toEqual([{ day: '2024-03-10', answered: 1, missed: 1 }]);
    expect(busyHours(res.body)).toEqual([{ hour: 23, answered: 1, missed: 1 }]);
    expect(res.body.byHour).toHaveLength(24);
  });

  it('counts them in the zone the app sends: the next day and 01:00 in Yekaterinburg, 22:00 in Kaliningrad', async () => {
    const ekb = await stats(`&tz=${encodeURIComponent('Asia/Yekaterinburg')}`);
    expect(ekb.status).toBe(200);
    expect(ekb.body.days).toEqual([{ day: '2024-03-11', answered: 1, missed: 1 }]);
    expect(busyHours(ekb.body)).toEqual([{ hour: 1, answered: 1, missed: 1 }]);
    expect(ekb.body.totals).toMatchObject({ total: 2, answered: 1, missed: 1 });
    // An employee's own figures, in their zone; PostgreSQL's names are not case-sensitive.
    const kgd = await stats(`&tz=${encodeURIComponent('europe/kaliningrad')}`, viewer.token);
    expect(kgd.status).toBe(200);
    expect(kgd.body.days).toEqual([{ day: '2024-03-10', answered: 1, missed: 1 }]);
    expect(busyHours(kgd.body)).toEqual([{ hour: 22, answered: 1, missed: 1 }]);
  });

  it('refuses a zone PostgreSQL does not know with 400 and a message naming tz', async () => {
    // POSIX specs ("UTC+5") PostgreSQL would take with the sign reversed, so they are refused too.
    for (const tz of ['Mars/Olympus', 'UTC+5', '+05:00', "Europe/Moscow'; SELECT 1; --", '', 'Europe/' + 'x'.repeat(60)]) {
      const res = await stats(`&tz=${encodeURIComponent(tz)}`);
      expect(res.status, tz).toBe(400);
      expect(res.body.message, tz).toMatch(/^Неверный запрос: tz — /);
    }
    expect((await stats('&tz=Europe%2FMoscow&tz=Asia%2FYekaterinburg')).status).toBe(400);
  });

  it('says which zone it counted in: the name as PostgreSQL spells it, Moscow without one', async () => {
    expect((await stats('')).body.countedIn).toEqual({ tz: 'Europe/Moscow' });
    expect((await stats(`&tz=${encodeURIComponent('europe/kaliningrad')}`)).body.countedIn).toEqual({ tz: 'Europe/Kaliningrad' });
    // A known name wins over the offset sent with it; an offset alone (no tz) is an old app's Moscow.
    const named = await stats(`&tz=${encodeURIComponent('Asia/Yekaterinburg')}&tzOffset=-600`);
    expect(named.body.countedIn).toEqual({ tz: 'Asia/Yekaterinburg' });
    expect(busyHours(named.body)).toEqual([{ hour: 1, answered: 1, missed: 1 }]);
    const alone = await stats('&tzOffset=300');
    expect(alone.body.countedIn).toEqual({ tz: 'Europe/Moscow' });
    expect(busyHours(alone.body)).toEqual([{ hour: 23, answered: 1, missed: 1 }]);
  });

  it('counts in the app’s UTC offset when its tzdata lacks the zone’s name (one renamed since, say)', async () => {
    // Standing for Europe/Kyiv on a relay whose tzdata predates the rename.
    const lacking = encodeURIComponent('Europe/Renamed_Since');
    const plus5 = await stats(`&tz=${lacking}&tzOffset=300`, viewer.token);
    expect(plus5.status).toBe(200);
    expect(plus5.body.countedIn).toEqual({ tzOffset: 300 });
    expect(plus5.body.days).toEqual([{ day: '2024-03-11', answered: 1, missed: 1 }]);
    expect(busyHours(plus5.body)).toEqual([{ hour: 1, answered: 1, missed: 1 }]);
    expect(plus5.body.totals).toMatchObject({ total: 2, answered: 1, missed: 1 });
    // Offsets that are not whole hours, and west of UTC: 02:00/02:15 at +05:30, 17:30/17:45 at −03:00.
    const india = await stats(`&tz=${lacking}&tzOffset=330`);
    expect(india.body.days).toEqual([{ day: '2024-03-11', answered: 1, missed: 1 }]);
    expect(busyHours(india.body)).toEqual([{ hour: 2, answered: 1, missed: 1 }]);
    const minus3 = await stats(`&tz=${lacking}&tzOffset=-180`);
    expect(minus3.body.countedIn).toEqual({ tzOffset: -180 });
    expect(minus3.body.days).toEqual([{ day: '2024-03-10', answered: 1, missed: 1 }]);
    expect(busyHours(minus3.body)).toEqual([{ hour: 17, answered: 1, missed: 1 }]);
    // The edges of the offsets in use.
    expect((await stats(`&tz=${lacking}&tzOffset=840`)).body.countedIn).toEqual({ tzOffset: 840 });
    expect((await stats(`&tz=${lacking}&tzOffset=-720`)).body.countedIn).toEqual({ tzOffset: -720 });
  });

  it('refuses an offset that is not a whole number of minutes within −12:00…+14:00 with 400', async () => {
    for (const off of ['', ' ', '841', '-721', '1.5', '5e2', 'abc', '0x10', '300&tzOffset=60', '99999999999']) {
      const res = await stats(`&tz=Mars%2FOlympus&tzOffset=${off.includes('&') ? off : encodeURIComponent(off)}`);
      expect(res.status, off).toBe(400);
      expect(res.body.message, off).toMatch(/tzOffset/);
    }
    // Even beside a known name: a malformed request is the app's bug, not to be guessed at.
    expect((await stats('&tz=Europe%2FMoscow&tzOffset=abc')).status).toBe(400);
  });
});
