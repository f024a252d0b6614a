// «Тест подключения» (POST /api/admin/mango/test): the Russian message names the cause for
// every failure the simulator can produce, and success reports the employees found.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { startMangoApi, type MangoApi } from '../../tools/mango-sim';
import type { MangoSettingsView, MangoTestResult } from '../../src-shared/wire';

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('Mango test connection messages', () => {
  let r: TestRelay;
  let sim: MangoApi;
  let strict: MangoApi;

  const settings = (body: object) => r.api<MangoSettingsView>('PUT', '/api/admin/mango', r.adminToken, body);
  const test = async () => {
    const res = await r.api<MangoTestResult>('POST', '/api/admin/mango/test', r.adminToken);
    expect(res.status).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    sim = await startMangoApi({ apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT });
    strict = await startMangoApi({ apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, lockout: true, rateLimits: true });
    r = await startTestRelay();
  }, 60_000);

  afterAll(async () => {
    await r?.close();
    await sim?.close();
    await strict?.close();
  });

  it('success: balance read, employees found, result kept for the admin', async () => {
    expect((await settings({ apiUrl: sim.url, apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).status).toBe(200);
    const t = await test();
    expect(t).toMatchObject({ ok: true, code: 'ok', employeesFound: sim.state.users.length });
    expect(t.message).toMatch(/Подключение установлено/);
    expect(t.balance).toBe(sim.state.balance);
    const view = (await r.api<MangoSettingsView>('GET', '/api/admin/mango', r.adminToken)).body;
    expect(view.lastTest).toMatchObject({ ok: true });
    expect(JSON.stringify(view)).not.toContain(TEST_MANGO_SALT);
    const balance = sim.requests.filter((q) => q.path === 'account/balance').at(-1)!;
    expect(balance.result).toBe(1000);
  });

  it('wrong salt: bad sign, the message names API Salt', async () => {
    await settings({ apiUrl: sim.url, apiSalt: 'wrong-salt' });
    const t = await test();
    expect(t).toMatchObject({ ok: false, code: 'bad-sign' });
    expect(t.message).toMatch(/API Salt/);
    expect(t.message).toMatch(/3102/);
    await settings({ apiSalt: TEST_MANGO_SALT });
  });

  it('unknown key: the message names API Key', async () => {
    await settings({ apiUrl: sim.url, apiKey: 'unknown-key' });
    const t = await test();
    expect(t).toMatchObject({ ok: false, code: 'bad-key' });
    expect(t.message).toMatch(/Неверный API Key/);
    expect(t.message).toMatch(/3105/);
    await settings({ apiKey: TEST_MANGO_KEY });
  });

  it('connection refused: network, VPBX host and VPN/proxy named', async () => {
    await settings({ apiUrl: `http://127.0.0.1:${await closedPort()}/vpbx/` });
    const t = await test();
    expect(t).toMatchObject({ ok: false, code: 'network' });
    expect(t.message).toMatch(/Нет соединения с сервером Манго/);
    expect(t.message).toMatch(/VPN/);
  });

  it('timeout: Mango never answers', async () => {
    await settings({ apiUrl: sim.url });
    sim.setFault('timeout');
    try {
      const t = await test();
      expect(t).toMatchObject({ ok: false, code: 'timeout' });
      expect(t.message).toMatch(/не ответил вовремя/);
    } finally {
      sim.setFault(null);
    }
  }, 30_000);

  it('API not activated in the cabinet', async () => {
    await settings({ apiUrl: sim.url });
    sim.setFault('apiDisabled');
    try {
      const t = await test();
      expect(t).toMatchObject({ ok: false, code: 'api-disabled' });
      expect(t.message).toMatch(/API не активирован/);
    } finally {
      sim.setFault(null);
    }
  });

  it('server error and rate limit', async () => {
    await settings({ apiUrl: sim.url });
    sim.setFault('http500');
    const e500 = await test();
    expect(e500).toMatchObject({ ok: false, code: 'server' });
    expect(e500.message).toMatch(/Сервер Манго ответил ошибкой/);
    sim.setFault('rateLimit');
    const e429 = await test();
    expect(e429).toMatchObject({ ok: false, code: 'rate-limit' });
    expect(e429.message).toMatch(/лимит запросов/);
    sim.setFault(null);
  });

  it('a wrong API URL (not Mango’s path)', async () => {
    await settings({ apiUrl: sim.origin + '/nothing-here/' });
    const t = await test();
    expect(t.ok).toBe(false);
    expect(t.code).toBe('bad-url');
    expect(t.message).toMatch(/VPBX Host/);
  });

  it('values typed and not saved: tested as typed, the saved settings and their last test untouched', async () => {
    await settings({ apiUrl: sim.url, apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT });
    expect((await test()).ok).toBe(true);
    const draftTest = async (draft: object) => {
      const res = await r.api<MangoTestResult>('POST', '/api/admin/mango/test', r.adminToken, draft);
      expect(res.status).toBe(200);
      return res.body;
    };
    const view = async () => (await r.api<MangoSettingsView>('GET', '/api/admin/mango', r.adminToken)).body;
    const before = await view();

    // A typo in the salt, typed: found before it is saved.
    const typo = await draftTest({ apiSalt: 'typed-wrong-salt' });
    expect(typo).toMatchObject({ ok: false, code: 'bad-sign', draft: true });
    expect(typo.message).toMatch(/API Salt/);
    expect(await view()).toEqual(before); // nothing saved, the last test still the saved settings' one
    const sent = sim.requests.filter((q) => q.path === 'account/balance').at(-1)!;
    expect(sent.result).toBe(3102);

    // The saved salt is wrong now, the typed one right: the typed one is what is tested.
    await settings({ apiSalt: 'saved-wrong-salt' });
    const saved = await view();
    const right = await draftTest({ apiSalt: TEST_MANGO_SALT, apiUrl: sim.url });
    expect(right).toMatchObject({ ok: true, code: 'ok', draft: true, employeesFound: sim.state.users.length });
    expect(await view()).toEqual(saved);
    expect((await test()).code).toBe('bad-sign'); // without a draft: the saved settings

    // Another host typed: the request goes there, with the saved key and salt.
    const elsewhere = await draftTest({ apiUrl: `http://127.0.0.1:${await closedPort()}/vpbx/` });
    expect(elsewhere).toMatchObject({ ok: false, code: 'network', draft: true });

    // Only the connection fields, checked like every admin input.
    const bad = await r.api('POST', '/api/admin/mango/test', r.adminToken, { enabled: true });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await view())).not.toContain(TEST_MANGO_SALT);
    await settings({ apiSalt: TEST_MANGO_SALT });
  });

  it('repeated clicks with a wrong salt: the second one meets Mango’s 2-minute lockout', async () => {
    await settings({ apiUrl: strict.url, apiSalt: 'wrong-salt' });
    const first = await test();
    expect(first.code).toBe('bad-sign');
    const second = await test();
    expect(second).toMatchObject({ ok: false, code: 'locked-out' });
    expect(second.message).toMatch(/до 2 минут/);
    // Even the right salt is refused until the lockout ends.
    await settings({ apiSalt: TEST_MANGO_SALT });
    expect((await test()).code).toBe('locked-out');
    strict.resetLockout();
    await new Promise((res) => setTimeout(res, 1100)); // account/balance: 2 per second
    expect((await test()).ok).toBe(true);
  });
});
