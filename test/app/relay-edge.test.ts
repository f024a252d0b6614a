/**
 * The app core's live feed against a REAL relay at its edges: the relay restarting while a call
 * rings, sessions revoked, the relay's database down or restored from a backup (rewind), two
 * instances of one employee, and a long offline period with a big replay.
 */
import net from 'node:net';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { createTestDatabase, PG_ADMIN_URL } from '../support/pg';
import { postSigned } from '../support/webhook';
import { buildScenario, deliver } from '../../tools/mango-sim/index';
import { connected, liveCoreHarness } from './live-core';
import type { AppCore } from '../../src-main/core/app-core';
import { startTcpProxy } from './tcp-proxy';
import { openStore } from '../../src-main/core/store/store';

const PASSWORD = 'password-edge-test';
let seq = 0;
const T0 = Math.floor(Date.now() / 1000) - 3600;

const { cleanup, tmpDir, openCore } = liveCoreHarness('asgard-app-edge-');

const ivrCall = (entry: string, state = 'Appeared', s = 1) => ({
  entry_id: entry, call_id: `${entry}-ivr`, timestamp: T0 + ++seq, seq: s, call_state: state, location: 'ivr',
  from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 },
  ...(state === 'Disconnected' ? { disconnect_reason: 1100 } : {}),
});
async function post(r: TestRelay, body: object): Promise<void> {
  const res = await postSigned(r.webhookBase, 'events/call', body);
  expect(res.status, `relay answered ${res.status} ${res.body}`).toBe(200);
}




async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}


async function feedIds(r: TestRelay, employeeId: number): Promise<number[]> {
  const res = await r.relay.ctx.db.query<{ id: number }>('SELECT id FROM feed WHERE employee_id = $1 ORDER BY id', [employeeId]);
  return res.rows.map((x) => Number(x.id));
}

async function caughtUp(r: TestRelay, core: AppCore, employeeId: number): Promise<number[]> {
  await r.settle();
  const ids = await feedIds(r, employeeId);
  await vi.waitFor(() => expect(Number(core.store.kv.get('feed.lastId'))).toBe(ids.at(-1)), { timeout: 15_000, interval: 20 });
  return ids;
}

/** A relay on its own database that a test can stop and start again on the same port. */
async function restartableRelay() {
  const db = await createTestDatabase();
  const port = await freePort();
  let current: TestRelay | null = await startTestRelay({ databaseUrl: db.url, env: { port } });
  cleanup.push(async () => {
    await current?.close();
    await db.drop();
  });
  const backup = `${db.name}_bak`;
  const stop = async () => {
    await current?.close();
    current = null;
  };
  const start = async (databaseUrl = db.url) => {
    current = await startTestRelay({ databaseUrl, env: { port } });
    return current;
  };
  return {
    db,
    get r() {
      return current!;
    },
    stop,
    start,
    /** Stops the relay, copies its database as it is now (the backup, dropped at cleanup) and starts it again. */
    async backUp(): Promise<TestRelay> {
      await stop();
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${backup} TEMPLATE ${db.name}`);
      await admin.end();
      cleanup.push(async () => {
        const c = new pg.Client({ connectionString: PG_ADMIN_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${backup} WITH (FORCE)`);
        await c.end();
      });
      return start();
    },
    /** Restarts the relay on its database as restored from the backup. */
    async restore(): Promise<TestRelay> {
      await stop();
      return start(db.url.replace(/\/[^/]*$/, `/${backup}`));
    },
  };
}

describe('relay edges', () => {
  it('relay restart while a call rings: reconnects, every item once and in order, the ended call’s popup closes', async () => {
    const h = await restartableRelay();
    await h.r.createEmployee({ login: 'edge-a', role: 'to', extension: '201', password: PASSWORD });
    const { core, rec } = await openCore();
    await core.api.invoke('session:login', { relayUrl: h.r.url, login: 'edge-a', password: PASSWORD });
    await connected(core);
    await post(h.r, ivrCall('EDGE-R1'));
    await vi.waitFor(() => expect(rec.popups.some((p) => p.call.entryId === 'EDGE-R1' && p.open)).toBe(true), { timeout: 5000 });
    await h.stop();
    await vi.waitFor(() => expect(rec.connection.at(-1)?.state).toMatch(/reconnecting|connecting/), { timeout: 5000 });
    const r = await h.start();
    await post(r, ivrCall('EDGE-R1', 'Disconnected', 2));
    await post(r, ivrCall('EDGE-R2'));
    const me = (await core.api.invoke('session:state', undefined)).me!;
    await caughtUp(r, core, me.id);
    await connected(core);
    const applied = rec.feed.map((i) => i.id);
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied).toEqual([...applied].sort((a, b) => a - b));
    expect(applied).toEqual(await feedIds(r, me.id));
    expect(rec.popups.filter((p) => p.call.entryId === 'EDGE-R1').at(-1)).toMatchObject({ open: false });
    await vi.waitFor(() => expect(rec.popups.filter((p) => p.call.entryId === 'EDGE-R2' && p.open)).toHaveLength(1), { timeout: 5000 });
    expect((await core.api.invoke('popups:list', undefined)).map((p) => p.call.entryId)).toEqual(['EDGE-R2']);
  }, 60_000);

  it('news for notifications: the history replayed at start is not, a call missed while the connection was down is', async () => {
    const r = await startTestRelay();
    cleanup.push(() => r.close());
    await r.createEmployee({ login: 'edge-news', role: 'to', extension: '207', password: PASSWORD });
    const p = await startTcpProxy(r.relay.port);
    cleanup.push(() => p.close());
    const dir = tmpDir();
    const first = await openCore(dir);
    await first.core.api.invoke('session:login', { relayUrl: p.url, login: 'edge-news', password: PASSWORD });
    await connected(first.core);
    await first.core.close();
    // Missed while the app was closed: history when it starts.
    await post(r, ivrCall('EDGE-N1'));
    await post(r, ivrCall('EDGE-N1', 'Disconnected', 2));
    const { core, rec } = await openCore(dir);
    await connected(core);
    await vi.waitFor(() => expect(rec.feed.some((i) => i.payload.kind === 'call' && i.payload.call.entryId === 'EDGE-N1' && i.payload.call.phase === 'ended')).toBe(true), { timeout: 5000 });
    expect(rec.feed.every((i) => !i.news)).toBe(true);
    // The network drops; a call is missed meanwhile; the reconnect's replay brings it.
    p.refuse(true);
    p.sever();
    await vi.waitFor(() => expect(rec.connection.at(-1)?.state).toMatch(/reconnecting|connecting/), { timeout: 5000 });
    const seen = rec.feed.length;
    await post(r, ivrCall('EDGE-N2'));
    await post(r, ivrCall('EDGE-N2', 'Disconnected', 2));
    p.refuse(false);
    await vi.waitFor(() => expect(rec.feed.some((i) => i.payload.kind === 'call' && i.payload.call.entryId === 'EDGE-N2' && i.payload.call.phase === 'ended')).toBe(true), { timeout: 15_000 });
    const replayed = rec.feed.slice(seen);
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.every((i) => i.news)).toBe(true);
  }, 60_000);

  it('revoked session / disabled employee: logged out once, no reconnect loop', async () => {
    const r = await startTestRelay();
    cleanup.push(() => r.close());
    const a = await r.createEmployee({ login: 'edge-rv', role: 'to', extension: '202', password: PASSWORD });
    const p = await startTcpProxy(r.relay.port);
    cleanup.push(() => p.close());
    const { core, rec } = await openCore();
    await core.api.invoke('session:login', { relayUrl: p.url, login: 'edge-rv', password: PASSWORD });
    await connected(core);
    await r.relay.ctx.db.query('DELETE FROM sessions WHERE employee_id = $1', [a.employee.id]);
    p.sever();
    await vi.waitFor(() => expect(rec.connection.at(-1)).toMatchObject({ state: 'logged-out', reason: expect.stringMatching(/Войдите снова/) }), { timeout: 8000 });
    const n = rec.connection.length;
    await new Promise((res) => setTimeout(res, 500));
    expect(rec.connection.length).toBe(n);
    expect(rec.sessions.at(-1)).toMatchObject({ loggedIn: false });

    // Disabled by an admin while connected.
    await core.api.invoke('session:login', { relayUrl: p.url, login: 'edge-rv', password: PASSWORD });
    await connected(core);
    const before = rec.connection.length;
    const res = await r.api('PATCH', `/api/admin/employees/${a.employee.id}`, r.adminToken, { active: false });
    expect(res.status).toBe(200);
    p.sever();
    await vi.waitFor(() => expect(rec.connection.at(-1)).toMatchObject({ state: 'logged-out' }), { timeout: 8000 });
    const m = rec.connection.length;
    await new Promise((res2) => setTimeout(res2, 500));
    expect(rec.connection.length).toBe(m);
    expect(rec.connection.slice(before).filter((c) => c.state === 'connecting').length).toBeLessThan(4);
  }, 60_000);

  it('relay database down (1013 / 503): keeps the session and reconnects when it is back', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const pgPort = Number(new URL(PG_ADMIN_URL).port || 5432);
    const dbProxy = await startTcpProxy(pgPort);
    cleanup.push(() => dbProxy.close());
    const r = await startTestRelay({ databaseUrl: db.url.replace(/:\d+\//, `:${dbProxy.port}/`) });
    cleanup.push(() => r.close());
    await r.createEmployee({ login: 'edge-db', role: 'to', extension: '203', password: PASSWORD });
    const p = await startTcpProxy(r.relay.port);
    cleanup.push(() => p.close());
    const { core, rec } = await openCore();
    await core.api.invoke('session:login', { relayUrl: p.url, login: 'edge-db', password: PASSWORD });
    await connected(core);
    dbProxy.refuse(true);
    dbProxy.sever();
    p.sever();
    await new Promise((res) => setTimeout(res, 2500));
    const http = await core.handle('calls:list', { limit: 5 });
    expect(http.ok).toBe(false);
    expect(rec.connection.some((c) => c.state === 'logged-out')).toBe(false);
    expect(await core.api.invoke('session:state', undefined)).toMatchObject({ loggedIn: true });
    dbProxy.refuse(false);
    await connected(core, 20_000);
  }, 60_000);

  it('database restored to an older state (rewind): local history recovers, no ghost or duplicate calls', async () => {
    const h = await restartableRelay();
    const a = await h.r.createEmployee({ login: 'edge-rw', role: 'to', extension: '204', password: PASSWORD });
    const { core, rec } = await openCore();
    await core.api.invoke('session:login', { relayUrl: h.r.url, login: 'edge-rw', password: PASSWORD });
    await connected(core);
    for (const e of ['EDGE-W1', 'EDGE-W2']) {
      const ev = buildScenario('directToExtension', { entryId: e, extension: '204', answered: true, start: T0 + ++seq * 10 });
      expect((await deliver(h.r.webhookBase, ev, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).failed).toBe(0);
    }
    await caughtUp(h.r, core, a.employee.id);
    // Backup taken here.
    let r = await h.backUp();
    // A call rings after the backup and the user closes its popup by hand.
    await post(r, ivrCall('EDGE-W3'));
    await vi.waitFor(() => expect(rec.popups.some((p) => p.call.entryId === 'EDGE-W3' && p.open)).toBe(true), { timeout: 5000 });
    const w3 = rec.popups.find((p) => p.call.entryId === 'EDGE-W3')!.callId;
    await core.api.invoke('popups:dismiss', { callId: w3 });
    await post(r, ivrCall('EDGE-W3', 'Disconnected', 2));
    for (const e of ['EDGE-W4', 'EDGE-W5']) {
      const ev = buildScenario('directToExtension', { entryId: e, extension: '204', answered: true, start: T0 + ++seq * 10 });
      expect((await deliver(r.webhookBase, ev, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).failed).toBe(0);
    }
    await caughtUp(r, core, a.employee.id);
    expect(core.store.calls.list({ limit: 100 }).map((c) => c.entryId).sort()).toEqual(['EDGE-W1', 'EDGE-W2', 'EDGE-W3', 'EDGE-W4', 'EDGE-W5']);
    // The relay's database is restored from the backup: W3..W5 are gone and their ids are
    // issued again. A new call W6 rings and gets W3's id; W7 completes.
    r = await h.restore();
    await connected(core);
    await post(r, ivrCall('EDGE-W6'));
    const ev = buildScenario('directToExtension', { entryId: 'EDGE-W7', extension: '204', answered: true, start: T0 + ++seq * 10 });
    expect((await deliver(r.webhookBase, ev, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).failed).toBe(0);
    const ids = await caughtUp(r, core, a.employee.id);
    const relayCalls = await r.relay.ctx.db.query<{ id: number; entry_id: string }>('SELECT id, entry_id FROM calls ORDER BY id');
    expect(relayCalls.rows.find((x) => x.entry_id === 'EDGE-W6')?.id).toBe(w3);
    const cached = core.store.calls.list({ limit: 100 });
    expect(cached.map((c) => [c.id, c.entryId]).sort()).toEqual(relayCalls.rows.map((x) => [Number(x.id), x.entry_id]).sort());
    expect(Number(core.store.kv.get('feed.lastId'))).toBe(ids.at(-1));
    // The new call rings: its popup shows although a call with the same id was dismissed before the restore.
    await vi.waitFor(() => expect(rec.popups.filter((p) => p.call.entryId === 'EDGE-W6').at(-1)).toMatchObject({ open: true }), { timeout: 5000 });
  }, 90_000);

  it('database restored, then more ids issued than the app had seen before it reconnects: exactly the relay’s items, no ghost, none missed', async () => {
    const h = await restartableRelay();
    const a = await h.r.createEmployee({ login: 'edge-rw2', role: 'to', extension: '207', password: PASSWORD });
    const dir = tmpDir();
    const first = await openCore(dir);
    await first.core.api.invoke('session:login', { relayUrl: h.r.url, login: 'edge-rw2', password: PASSWORD });
    await connected(first.core);
    const call = async (r: TestRelay, e: string) => {
      const ev = buildScenario('directToExtension', { entryId: e, extension: '207', answered: !e.endsWith('M'), start: T0 + ++seq * 10 });
      expect((await deliver(r.webhookBase, ev, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).failed).toBe(0);
    };
    await call(h.r, 'EDGE-X1');
    await caughtUp(h.r, first.core, a.employee.id);
    // Backup taken here.
    let r = await h.backUp();
    await call(r, 'EDGE-X2');
    const had = await caughtUp(r, first.core, a.employee.id);
    await first.core.close();
    // As a store from an app version that kept no lastAt: its hello has none, it resumes as before.
    const old = openStore(dir);
    old.kv.delete('feed.lastAt');
    old.close();
    const older = await openCore(dir);
    await connected(older.core);
    await call(r, 'EDGE-X3');
    const mid = await caughtUp(r, older.core, a.employee.id);
    expect(older.rec.feed.map((i) => i.id)).toEqual(mid.filter((id) => id > had.at(-1)!));
    expect(older.core.store.kv.get('feed.lastAt')).toBe(older.rec.feed.at(-1)!.at);
    await older.core.close();
    // A plain restart of the app (relay unchanged): its hello matches, nothing is replayed again.
    const again = await openCore(dir);
    await connected(again.core);
    await call(r, 'EDGE-X4');
    const before = await caughtUp(r, again.core, a.employee.id);
    expect(again.rec.feed.length).toBeGreaterThan(0);
    expect(again.rec.feed.map((i) => i.id)).toEqual(before.filter((id) => id > mid.at(-1)!));
    expect(again.rec.feed.every((i) => i.payload.kind === 'call' && i.payload.call.entryId === 'EDGE-X4')).toBe(true);
    const appLastId = before.at(-1)!;
    await again.core.close();
    // The relay's database is restored from the backup while the app is closed; it then issues
    // more ids than the app had seen (X2..X4 gone, their ids reused), so the app's lastId is not
    // past the relay's newest item when it reconnects.
    r = await h.restore();
    for (let i = 5; (await feedIds(r, a.employee.id)).at(-1)! <= appLastId + 2; i++) await call(r, `EDGE-X${i}${i % 2 ? 'M' : ''}`);
    await r.settle();
    const { core, rec } = await openCore(dir);
    const ids = await caughtUp(r, core, a.employee.id);
    expect(ids.at(-1)).toBeGreaterThan(appLastId);
    const relayCalls = await r.relay.ctx.db.query<{ id: number; entry_id: string }>('SELECT id, entry_id FROM calls ORDER BY id');
    const cached = core.store.calls.list({ limit: 1000 });
    expect(cached.map((c) => [c.id, c.entryId]).sort()).toEqual(relayCalls.rows.map((x) => [Number(x.id), x.entry_id]).sort());
    for (const ghost of ['EDGE-X2', 'EDGE-X3', 'EDGE-X4']) expect(cached.map((c) => c.entryId)).not.toContain(ghost);
    // The restored relay's feed, every item once and in order, all of it replayed history.
    expect(rec.feed.map((i) => i.id)).toEqual(ids);
    expect(rec.feed.every((i) => !i.news)).toBe(true);
    expect(core.store.kv.get('feed.lastAt')).toBe(rec.feed.at(-1)!.at);
    // What comes after the replay is news.
    await call(r, 'EDGE-XLIVE');
    await caughtUp(r, core, a.employee.id);
    const news = rec.feed.filter((i) => i.id > ids.at(-1)!);
    expect(news.length).toBeGreaterThan(0);
    expect(news.every((i) => i.news)).toBe(true);
  }, 90_000);

  it('two instances: accept-calls toggled in one reaches the other; offline toggle is refused clearly', async () => {
    const r = await startTestRelay();
    cleanup.push(() => r.close());
    await r.createEmployee({ login: 'edge-two', role: 'to', extension: '205', password: PASSWORD });
    const A = await openCore();
    const B = await openCore();
    const p = await startTcpProxy(r.relay.port);
    cleanup.push(() => p.close());
    await A.core.api.invoke('session:login', { relayUrl: r.url, login: 'edge-two', password: PASSWORD });
    await B.core.api.invoke('session:login', { relayUrl: p.url, login: 'edge-two', password: PASSWORD });
    await connected(A.core);
    await connected(B.core);
    await A.core.api.invoke('me:setAcceptCalls', { acceptCalls: false });
    await vi.waitFor(async () => expect((await B.core.api.invoke('session:state', undefined)).me?.acceptCalls).toBe(false), { timeout: 5000 });
    // B offline: its toggle is refused with a Russian message, and its state is not changed.
    p.refuse(true);
    p.sever();
    await vi.waitFor(() => expect(B.rec.connection.at(-1)?.state).toMatch(/reconnecting|connecting/), { timeout: 5000 });
    const res = await B.core.handle('me:setAcceptCalls', { acceptCalls: true });
    expect(res).toMatchObject({ ok: false, error: { code: 'relay-unreachable' } });
    expect((await B.core.api.invoke('session:state', undefined)).me?.acceptCalls).toBe(false);
    // Meanwhile A turns it on; B learns it on reconnect.
    await A.core.api.invoke('me:setAcceptCalls', { acceptCalls: true });
    p.refuse(false);
    await connected(B.core);
    await vi.waitFor(async () => expect((await B.core.api.invoke('session:state', undefined)).me?.acceptCalls).toBe(true), { timeout: 5000 });
  }, 60_000);

  it('1000+ feed items after a long offline: history complete, only ringing calls pop up', async () => {
    const r = await startTestRelay();
    cleanup.push(() => r.close());
    const a = await r.createEmployee({ login: 'edge-big', role: 'to', extension: '206', password: PASSWORD });
    const dir = tmpDir();
    const first = await openCore(dir);
    await first.core.api.invoke('session:login', { relayUrl: r.url, login: 'edge-big', password: PASSWORD });
    await connected(first.core);
    await first.core.close();
    const events = [];
    for (let i = 0; i < 1000; i++) events.push(...buildScenario('directToExtension', { entryId: `EDGE-B${i}`, extension: '206', answered: i % 2 === 0, start: T0 + ++seq * 10 }));
    expect((await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, concurrency: 16 })).failed).toBe(0);
    await post(r, ivrCall('EDGE-BRING'));
    await r.settle();
    const ids = await feedIds(r, a.employee.id);
    expect(ids.length).toBeGreaterThan(1000);
    const { core, rec } = await openCore(dir);
    await caughtUp(r, core, a.employee.id);
    await connected(core);
    const relayCount = await r.relay.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM calls WHERE entry_id LIKE 'EDGE-B%'");
    expect(relayCount.rows[0].n).toBe(1001);
    expect(core.store.db.prepare("SELECT count(*) AS n FROM calls WHERE json LIKE '%EDGE-B%'").get()).toEqual({ n: 1001 });
    const opened = new Set(rec.popups.filter((p) => p.open).map((p) => p.call.entryId));
    expect([...opened]).toEqual(['EDGE-BRING']);
  }, 120_000);
});
