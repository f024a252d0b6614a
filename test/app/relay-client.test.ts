/**
 * The app core against a REAL relay (in-process, fresh Postgres database): login, feed replay
 * after a network cut with no loss, no duplicate and the relay's order, calls that happened
 * while the app was closed, popups closed when their call ended during a cut, token expiry.
 * The network is cut with a loopback TCP proxy between the app and the relay.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { buildScenario, deliver } from '../../tools/mango-sim/index';
import { postSigned } from '../support/webhook';
import type { Employee } from '../../src-shared/wire';
import { connected, liveCoreHarness } from './live-core';
import type { AppCore } from '../../src-main/core/app-core';
import { RelayHttpClient, utcOffsetMinutes } from '../../src-main/core/relay/http-client';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

let r: TestRelay;
let to: { employee: Employee; token: string };
let to2: { employee: Employee; token: string };
const PASSWORD = 'password-relay-test';
let seq = 0;
// Recent timestamps: the relay lists missed calls of the last days only.
const T0 = Math.floor(Date.now() / 1000) - 3600;

// Mango call events (mango-api.md): a call in the IVR reaches every accepting employee.
const ivrCall = (entry: string, state = 'Appeared', s = 1) => ({
  entry_id: entry, call_id: `${entry}-ivr`, timestamp: T0 + ++seq, seq: s, call_state: state, location: 'ivr',
  from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 },
  ...(state === 'Disconnected' ? { disconnect_reason: 1100 } : {}),
});
async function post(body: object): Promise<void> {
  const res = await postSigned(r.webhookBase, 'events/call', body);
  expect(res.status, `relay answered ${res.status} ${res.body}`).toBe(200);
}

beforeAll(async () => {
  r = await startTestRelay();
  to = await r.createEmployee({ login: 'app-to1', role: 'to', extension: '101', password: PASSWORD });
  to2 = await r.createEmployee({ login: 'app-to2', role: 'to', extension: '102', password: PASSWORD });
}, 60_000);
afterAll(async () => r?.close());

const { cleanup, tmpDir, openCore } = liveCoreHarness('asgard-app-relay-');




async function proxy(): Promise<TcpProxy> {
  const p = await startTcpProxy(r.relay.port);
  cleanup.push(() => p.close());
  return p;
}


async function feedIdsInDb(employeeId: number): Promise<number[]> {
  const res = await r.relay.ctx.db.query<{ id: number }>('SELECT id FROM feed WHERE employee_id = $1 ORDER BY id', [employeeId]);
  return res.rows.map((x) => Number(x.id));
}

/** Waits until the core has applied every feed item the relay holds for the employee. */
async function caughtUp(core: AppCore, employeeId: number): Promise<number[]> {
  await r.settle();
  const ids = await feedIdsInDb(employeeId);
  await vi.waitFor(() => expect(Number(core.store.kv.get('feed.lastId'))).toBe(ids.at(-1)), { timeout: 10_000, interval: 20 });
  return ids;
}

describe('app core ↔ real relay', () => {
  it('logs in, reports wrong passwords in Russian, and shows the live feed', async () => {
    const { core, rec } = await openCore(tmpDir());
    const bad = await core.handle('session:login', { relayUrl: r.url, login: 'app-to1', password: 'wrong' });
    expect(bad).toEqual({ ok: false, error: { code: 'invalid-credentials', message: 'Неверный логин или пароль' } });
    const s = await core.api.invoke('session:login', { relayUrl: r.url + '/', login: 'app-to1', password: PASSWORD });
    expect(s).toMatchObject({ loggedIn: true, relayUrl: r.url, login: 'app-to1', me: { id: to.employee.id, acceptCalls: true } });
    await connected(core);
    await post(ivrCall('APP-L1'));
    await vi.waitFor(() => expect(rec.feed.some((i) => i.payload.kind === 'call' && i.payload.call.entryId === 'APP-L1')).toBe(true), { timeout: 5000 });
    expect(rec.popups.find((p) => p.call.entryId === 'APP-L1')).toMatchObject({ open: true, call: { clientNumber: '+79161234567' } });
    const calls = await core.api.invoke('calls:list', { limit: 10 });
    expect(calls.calls.some((c) => c.entryId === 'APP-L1')).toBe(true);
    // The popup closes when the call ends.
    await post(ivrCall('APP-L1', 'Disconnected', 2));
    await vi.waitFor(() => expect(rec.popups.filter((p) => p.call.entryId === 'APP-L1').at(-1)?.open).toBe(false), { timeout: 5000 });
    expect(await core.api.invoke('popups:list', undefined)).toEqual([]);
  });

  it('replays after a network cut with no loss, no duplicate, in the relay order; closes popups of calls that ended meanwhile', async () => {
    const p = await proxy();
    const { core, rec } = await openCore(tmpDir());
    await core.api.invoke('session:login', { relayUrl: p.url, login: 'app-to2', password: PASSWORD });
    await connected(core);
    await caughtUp(core, to2.employee.id);
    // A call rings, then the network goes away.
    await post(ivrCall('APP-C0'));
    await vi.waitFor(() => expect(rec.popups.some((x) => x.call.entryId === 'APP-C0' && x.open)).toBe(true), { timeout: 5000 });
    p.refuse(true);
    p.sever();
    await vi.waitFor(() => expect(rec.connection.at(-1)?.state).toMatch(/reconnecting|connecting/), { timeout: 5000 });
    expect(rec.connection.some((c) => c.state === 'reconnecting' && c.retryInSec >= 1 && c.error.length > 0)).toBe(true);
    // While cut: the ringing call ends and 15 more calls come and go.
    await post(ivrCall('APP-C0', 'Disconnected', 2));
    for (let i = 1; i <= 15; i++) {
      const events = buildScenario('directToExtension', { entryId: `APP-C${i}`, extension: '102', answered: i % 3 !== 0, start: T0 + ++seq * 10 });
      expect((await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).failed).toBe(0);
    }
    await r.settle();
    p.refuse(false);
    await caughtUp(core, to2.employee.id);
    await connected(core);

    const applied = rec.feed.map((i) => i.id);
    const ids = await feedIdsInDb(to2.employee.id);
    expect(new Set(applied).size, 'no duplicate').toBe(applied.length);
    expect(applied, 'relay order').toEqual([...applied].sort((a, b) => a - b));
    expect(applied, 'no loss').toEqual(ids.filter((id) => id >= applied[0] && id <= applied.at(-1)!));
    const cached = new Map(core.store.calls.list({ limit: 500 }).map((c) => [c.entryId, c]));
    for (let i = 0; i <= 15; i++) expect(cached.has(`APP-C${i}`), `APP-C${i}`).toBe(true);
    for (let i = 1; i <= 15; i++) expect(cached.get(`APP-C${i}`)?.status).toBe(i % 3 ? 'answered' : 'missed');
    // The stale popup was closed after the replay; the calls rung-and-gone while away never popped.
    expect(rec.popups.filter((x) => x.call.entryId === 'APP-C0').at(-1)).toMatchObject({ open: false });
    expect(rec.popups.some((x) => /^APP-C([1-9]|1[0-5])$/.test(x.call.entryId) && x.open)).toBe(false);
    expect(await core.api.invoke('popups:list', undefined)).toEqual([]);
  });

  it('detects a silent (blackholed) connection by heartbeat and recovers', async () => {
    const p = await proxy();
    const { core, rec } = await openCore(tmpDir());
    await core.api.invoke('session:login', { relayUrl: p.url, login: 'app-to1', password: PASSWORD });
    await connected(core);
    const before = rec.connection.length;
    p.blackhole(true);
    await post(ivrCall('APP-H1'));
    await vi.waitFor(() => expect(rec.connection.slice(before).some((c) => c.state === 'reconnecting')).toBe(true), { timeout: 8000, interval: 50 });
    p.blackhole(false);
    p.sever();
    await caughtUp(core, to.employee.id);
    expect(core.store.calls.list({ limit: 500 }).some((c) => c.entryId === 'APP-H1')).toBe(true);
  });

  it('shows calls that arrived while the app was closed after it starts again', async () => {
    const dir = tmpDir();
    const first = await openCore(dir);
    await first.core.api.invoke('session:login', { relayUrl: r.url, login: 'app-to1', password: PASSWORD });
    await connected(first.core);
    await caughtUp(first.core, to.employee.id);
    const lastBefore = Number(first.core.store.kv.get('feed.lastId'));
    await first.core.close();

    // Two complete missed calls to the employee's extension, as Mango sends them (with summary).
    for (const entryId of ['APP-OFF1', 'APP-OFF2']) {
      const events = buildScenario('directToExtension', { entryId, extension: '101', answered: false, caller: '79031112233', start: T0 + ++seq * 10 });
      const stats = await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT });
      expect(stats.failed).toBe(0);
    }
    await r.settle();

    const { core, rec } = await openCore(dir);
    const reminders: number[][] = [];
    core.onShell('missed-reminder', ({ calls }) => reminders.push(calls.map((c) => c.id)));
    // No new login: the token comes back from the SecretBox and the feed resumes from lastId.
    expect(await core.api.invoke('session:state', undefined)).toMatchObject({ loggedIn: true, login: 'app-to1' });
    await caughtUp(core, to.employee.id);
    expect(rec.feed[0].id).toBeGreaterThan(lastBefore);
    const list = (await core.api.invoke('calls:list', { limit: 50 })).calls.map((c) => c.entryId);
    expect(list).toEqual(expect.arrayContaining(['APP-OFF1', 'APP-OFF2']));
    const cached = core.store.calls.list({ limit: 50 }).filter((c) => c.entryId.startsWith('APP-OFF'));
    expect(cached.map((c) => [c.entryId, c.status]).sort()).toEqual([['APP-OFF1', 'missed'], ['APP-OFF2', 'missed']]);
    // Ended while we were away: no popup flashes up for them, but a missed-call reminder does.
    expect(rec.popups.filter((x) => x.open)).toEqual([]);
    const offIds = core.store.calls.list({ limit: 50 }).filter((c) => c.entryId.startsWith('APP-OFF')).map((c) => c.id);
    await vi.waitFor(() => expect(reminders.at(-1)).toEqual(expect.arrayContaining(offIds)), { timeout: 5000 });
  });

  it('asks to log in again when the token expires (socket reconnect and HTTP request)', async () => {
    const p = await proxy();
    const { core, rec } = await openCore(tmpDir());
    await core.api.invoke('session:login', { relayUrl: p.url, login: 'app-to1', password: PASSWORD });
    await connected(core);
    await r.relay.ctx.db.query(`UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE employee_id = $1`, [to.employee.id]);
    // The socket drops (sleep, Wi-Fi): the reconnect is refused with token-expired.
    p.sever();
    await vi.waitFor(() => expect(rec.connection.at(-1)).toMatchObject({ state: 'logged-out', reason: expect.stringMatching(/Сессия истекла/) }), { timeout: 8000 });
    expect(rec.sessions.at(-1)).toMatchObject({ loggedIn: false, login: 'app-to1' });
    expect(core.store.kv.get('session.token')).toBeNull();
    // And no more reconnect attempts.
    const n = rec.connection.length;
    await new Promise((res) => setTimeout(res, 400));
    expect(rec.connection.length).toBe(n);

    // HTTP path: log in again, expire, the next request ends the session.
    await core.api.invoke('session:login', { relayUrl: p.url, login: 'app-to1', password: PASSWORD });
    await connected(core);
    await r.relay.ctx.db.query(`UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE employee_id = $1`, [to.employee.id]);
    const res = await core.handle('calls:list', { limit: 5 });
    expect(res).toMatchObject({ ok: false, error: { code: 'session-expired' } });
    await vi.waitFor(() => expect(rec.connection.at(-1)).toMatchObject({ state: 'logged-out' }), { timeout: 5000 });
    expect(await core.api.invoke('session:state', undefined)).toMatchObject({ loggedIn: false });
  });

  it('passes the renderer’s time zone for statistics through to the relay, with its UTC offset', async () => {
    const { core } = await openCore(tmpDir());
    await core.api.invoke('session:login', { relayUrl: r.url, login: 'app-to1', password: PASSWORD });
    const period = { since: '2024-03-10T19:00:00.000Z', until: '2024-03-11T19:00:00.000Z' };
    // The relay says what it counted in: the zone was not dropped on the way.
    expect(await core.handle('stats:get', { ...period, tz: 'Asia/Yekaterinburg' })).toMatchObject({
      ok: true,
      value: { totals: { total: 0 }, countedIn: { tz: 'Asia/Yekaterinburg' } },
    });
    // A name the relay does not know no longer fails the screen: it counts in the offset the core
    // sent, this computer's own here (the core's ICU does not know the name either).
    const lacking = await core.handle('stats:get', { ...period, tz: 'Mars/Olympus' });
    expect(lacking).toMatchObject({ ok: true, value: { totals: { total: 0 }, countedIn: { tzOffset: -new Date().getTimezoneOffset() || 0 } } });
    // No zone (a renderer that cannot tell): Moscow, as for older apps.
    expect(await core.handle('stats:get', period)).toMatchObject({ ok: true, value: { countedIn: { tz: 'Europe/Moscow' } } });
  });

  it('flips accept-calls and follows an admin changing it, live', async () => {
    const { core, rec } = await openCore(tmpDir());
    await core.api.invoke('session:login', { relayUrl: r.url, login: 'app-to2', password: PASSWORD });
    await connected(core);
    const off = await core.api.invoke('me:setAcceptCalls', { acceptCalls: false });
    expect(off.acceptCalls).toBe(false);
    await r.api('PATCH', `/api/admin/employees/${to2.employee.id}`, r.adminToken, { acceptCalls: true });
    await vi.waitFor(() => expect(rec.sessions.at(-1)?.me?.acceptCalls).toBe(true), { timeout: 2000, interval: 10 });
    expect((await core.api.invoke('session:state', undefined)).me?.acceptCalls).toBe(true);
  });
});

describe('the stats request’s UTC offset', () => {
  it('is the named zone’s offset at the moment, in minutes east of UTC', () => {
    const winter = new Date('2024-01-15T12:00:00Z');
    const summer = new Date('2024-07-15T12:00:00Z');
    expect(utcOffsetMinutes('Europe/Moscow', winter)).toBe(180);
    expect(utcOffsetMinutes('Asia/Kolkata', winter)).toBe(330);
    expect(utcOffsetMinutes('Asia/Kathmandu', winter)).toBe(345);
    expect(utcOffsetMinutes('America/St_Johns', winter)).toBe(-210);
    expect(utcOffsetMinutes('Europe/Kyiv', winter)).toBe(120);
    expect(utcOffsetMinutes('Europe/Kyiv', summer)).toBe(180);
    expect(utcOffsetMinutes('UTC', summer)).toBe(0);
    expect(utcOffsetMinutes('Pacific/Kiritimati', summer)).toBe(840);
    // A name the runtime does not know: this computer's own offset.
    expect(utcOffsetMinutes('Mars/Olympus', summer)).toBe(-summer.getTimezoneOffset() || 0);
  });

  it('goes with the zone to GET /api/stats, and not without one', async () => {
    const urls: URL[] = [];
    const http = new RelayHttpClient({
      baseUrl: 'http://relay.invalid',
      getToken: () => 'token',
      fetchImpl: async (input) => {
        urls.push(new URL(String(input)));
        return new Response(JSON.stringify({ days: [], byHour: [], byEmployee: [], totals: { total: 0, answered: 0, missed: 0, missedRate: 0 } }), {
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    const period = { since: '2024-03-10T19:00:00.000Z', until: '2024-03-11T19:00:00.000Z' };
    await http.stats({ ...period, tz: 'Asia/Kolkata' });
    await http.stats(period);
    expect(urls[0].searchParams.get('tz')).toBe('Asia/Kolkata');
    expect(urls[0].searchParams.get('tzOffset')).toBe('330');
    expect(urls[1].searchParams.has('tzOffset')).toBe(false);
  });
});
