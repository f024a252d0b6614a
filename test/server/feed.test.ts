import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestRelay, type TestRelay } from '../support/relay';
import { postSigned } from '../support/webhook';
import { TestFeedClient } from '../support/feed-client';
import type { Employee } from '../../src-shared/wire';
import { storeEvents } from '../../server/ingest/batcher';
import { appendFeed } from '../../server/hub/feed-store';

let r: TestRelay;
let to: { employee: Employee; token: string };
let to2: { employee: Employee; token: string };
let pm: { employee: Employee; token: string };
let seq = 0;

const ivrCall = (entry: string, state = 'Appeared', s = 1) => ({
  entry_id: entry, call_id: `${entry}-ivr`, timestamp: 1700000000 + ++seq, seq: s, call_state: state, location: 'ivr',
  from: { number: '79161234567' }, to: { number: '74951234567', line_number: '74951234567' }, dct: { type: 0 },
  ...(state === 'Disconnected' ? { disconnect_reason: 1100 } : {}),
});
const legTo = (entry: string, ext: string, state: string, s: number, group: boolean) => ({
  entry_id: entry, call_id: `${entry}-${ext}`, timestamp: 1700000000 + ++seq, seq: s, call_state: state, location: 'abonent',
  from: { number: '79161234567' }, to: { extension: ext, number: `sip:${ext}@x`, line_number: '74951234567', ...(group ? { acd_group: '22' } : {}) }, dct: { type: 0 },
  ...(state === 'Disconnected' ? { disconnect_reason: 1110 } : {}),
});
const post = async (path: string, body: object) => expect((await postSigned(r.webhookBase, path, body)).status).toBe(200);
const popupFor = (c: TestFeedClient, entry: string) => c.callItems(entry).at(-1)?.payload;

beforeAll(async () => {
  r = await startTestRelay();
  to = await r.createEmployee({ login: 'to1', role: 'to', extension: '101' });
  to2 = await r.createEmployee({ login: 'to2', role: 'to', extension: '102' });
  pm = await r.createEmployee({ login: 'pm1', role: 'pm', extension: '201' });
}, 60_000);
afterAll(async () => r?.close());

describe('feed socket authentication', () => {
  it('closes a socket that never authenticates or sends a bad token', async () => {
    const bad = await TestFeedClient.connect(r.url, 'bogus');
    await bad.waitFor(() => bad.closed, 5000, 'close');
    expect(bad.messages[0]).toMatchObject({ type: 'error', code: 'unauthorized' });
    const none = new WebSocket(r.url.replace('http', 'ws') + '/api/ws', ['asgard.v1']);
    const msgs: string[] = [];
    none.on('message', (d) => msgs.push(String(d)));
    await new Promise((res) => none.once('open', res));
    none.send(JSON.stringify({ type: 'hello', lastId: 0 }));
    await new Promise((res) => none.once('close', res));
    expect(JSON.parse(msgs[0])).toMatchObject({ type: 'error', code: 'unauthorized' });
  });

  it('accepts the token as a first message too', async () => {
    const c = await TestFeedClient.connect(r.url, to.token, 0, { viaMessage: true });
    await c.synced();
    expect(c.messages[0]).toMatchObject({ type: 'welcome', employee: { id: to.employee.id } });
    c.close();
  });
});

describe('who hears of a call', () => {
  it('pops a company-line call up for accepting ТО employees, not for a PM; closes it when answered elsewhere', async () => {
    const [a, b, p] = await Promise.all([to, to2, pm].map((e) => TestFeedClient.connect(r.url, e.token)));
    await Promise.all([a, b, p].map((c) => c.synced()));
    await post('events/call', ivrCall('G1'));
    await a.waitFor(() => popupFor(a, 'G1')?.kind === 'call', 5000, 'G1 popup for to1');
    await b.waitFor(() => popupFor(b, 'G1')?.kind === 'call', 5000, 'G1 popup for to2');
    expect(popupFor(a, 'G1')).toMatchObject({ popup: true, call: { phase: 'ivr', clientNumber: '+79161234567' } });
    // The group rings 101 and 102; 102 answers: 101's popup closes, 102 keeps the card.
    await post('events/call', ivrCall('G1', 'Disconnected', 2));
    await post('events/call', legTo('G1', '101', 'Appeared', 1, true));
    await post('events/call', legTo('G1', '102', 'Appeared', 1, true));
    await post('events/call', legTo('G1', '102', 'Connected', 2, true));
    await post('events/call', legTo('G1', '101', 'Disconnected', 2, true));
    await a.waitFor(() => popupFor(a, 'G1')?.kind === 'call' && (popupFor(a, 'G1') as { popup: boolean }).popup === false, 5000, 'to1 popup closed');
    await b.waitFor(() => (popupFor(b, 'G1') as { call: { phase: string } } | undefined)?.call.phase === 'talking', 5000, 'to2 talking');
    expect(popupFor(b, 'G1')).toMatchObject({ popup: true, call: { phase: 'talking' } });
    await r.settle();
    expect(p.callItems('G1')).toHaveLength(0);
    // Items arrive strictly in id order, each once.
    for (const c of [a, b]) {
      const ids = c.items.map((i) => i.id);
      expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
    }
    [a, b, p].forEach((c) => c.close());
  });

  it('gives no group-call popup to an employee who switched accept-calls off, but still shows direct calls', async () => {
    await r.api('PUT', '/api/me/status', to.token, { acceptCalls: false });
    const a = await TestFeedClient.connect(r.url, to.token);
    await a.synced();
    const start = a.items.length;
    await post('events/call', ivrCall('G2'));
    await post('events/call', legTo('G2', '101', 'Appeared', 1, true));
    await post('events/call', legTo('D1', '101', 'Appeared', 1, false));
    await a.waitFor(() => a.items.slice(start).some((i) => i.payload.kind === 'call' && i.payload.call.entryId === 'D1'), 5000, 'direct call');
    await r.settle();
    expect(popupFor(a, 'D1')).toMatchObject({ popup: true });
    expect(a.callItems('G2').every((i) => i.payload.kind === 'call' && !i.payload.popup)).toBe(true);
    // A PM's direct call pops up even though PMs do not accept group calls.
    const p = await TestFeedClient.connect(r.url, pm.token);
    await p.synced();
    await post('events/call', legTo('D2', '201', 'Appeared', 1, false));
    await p.waitFor(() => p.callItems('D2').length > 0, 5000, 'PM direct call');
    expect(popupFor(p, 'D2')).toMatchObject({ popup: true });
    a.close();
    p.close();
    await r.api('PUT', '/api/me/status', to.token, { acceptCalls: true });
  });
});

describe('«Включить телефонию» off', () => {
  const setTelephony = (enabled: boolean) => r.api('PUT', '/api/admin/mango', r.adminToken, { enabled });
  const lastPopup = (c: TestFeedClient, entry: string) => (popupFor(c, entry) as { popup?: boolean } | undefined)?.popup;

  // Live calls are those started within a day: these events carry the current time.
  const now = <T extends { timestamp: number }>(e: T): T => ({ ...e, timestamp: Math.floor(Date.now() / 1000) });

  it('rings nobody in the app, keeps the calls in history, and opens or closes live popups when switched', async () => {
    const a = await TestFeedClient.connect(r.url, to.token);
    await a.synced();
    try {
      await switchedOffAndOn(a);
    } finally {
      await setTelephony(true);
      a.close();
    }
  });

  async function switchedOffAndOn(a: TestFeedClient) {
    // A queue call ringing now, with telephony on: to1 has its popup.
    await post('events/call', now(ivrCall('T1')));
    await a.waitFor(() => lastPopup(a, 'T1') === true, 5000, 'T1 popup');
    // Switched off: the popup closes at once, without the call's next event, and the app hears of it.
    await setTelephony(false);
    await a.waitFor(() => lastPopup(a, 'T1') === false, 5000, 'T1 popup closed by the switch');
    const told = (on: boolean) => a.items.some((i) => i.payload.kind === 'telephony' && i.payload.telephony.enabled === on);
    await a.waitFor(() => told(false), 5000, 'telephony item: off');

    // While off: neither a queue call nor a direct call pops up, and switching «Приём звонков»
    // on again does not bring them back.
    await post('events/call', now(ivrCall('T2')));
    await post('events/call', now(legTo('T3', '101', 'Appeared', 1, false)));
    await r.api('PUT', '/api/me/status', to.token, { acceptCalls: false });
    await r.api('PUT', '/api/me/status', to.token, { acceptCalls: true });
    await r.settle();
    expect(a.callItems('T2')).toHaveLength(0);
    expect(a.callItems('T3').every((i) => i.payload.kind === 'call' && !i.payload.popup)).toBe(true);
    // A direct call that ended unanswered is still the employee's call in the history.
    await post('events/call', now(legTo('T3', '101', 'Disconnected', 2, false)));
    await r.settle();
    const mine = await r.api<{ calls: { entryId: string }[] }>('GET', '/api/calls', to.token);
    expect(mine.body.calls.map((c) => c.entryId)).toContain('T3');

    // Switched on: the queue call still waiting (T2) pops up at once for those accepting calls.
    await setTelephony(true);
    await a.waitFor(() => lastPopup(a, 'T2') === true, 5000, 'T2 popup after switching on');
    await a.waitFor(() => told(true), 5000, 'telephony item: on');
    expect(lastPopup(a, 'T1')).toBe(true);
    for (const e of ['T1', 'T2']) await post('events/call', now(ivrCall(e, 'Disconnected', 2)));
    await r.settle();
  }
});

describe('a company-line call that appears and ends within one reduction batch', () => {
  it('still reaches the accepting employees as a missed call (no popup), and not others', async () => {
    const [a, p] = await Promise.all([to, pm].map((e) => TestFeedClient.connect(r.url, e.token)));
    await Promise.all([a, p].map((c) => c.synced()));
    // Stored as a burst leaves them: committed, not yet reduced; then reduced together.
    const legs = [ivrCall('BURST1'), ivrCall('BURST1', 'Disconnected', 2)];
    const summary = {
      entry_id: 'BURST1', call_direction: 1, from: { number: '79161234567' }, to: { number: '74951234567' }, line_number: '74951234567',
      create_time: 1700000000, forward_time: 0, talk_time: 0, end_time: 1700000020, entry_result: 0, disconnect_reason: 1100,
    };
    const rows: [string, string, object][] = [
      ...legs.map((e): [string, string, object] => ['events/call', `call:${e.call_id}:${e.seq}:${e.call_state}`, e]),
      ['events/summary', 'summary:BURST1', summary],
    ];
    await storeEvents(r.relay.ctx.db, rows.map(([kind, idemKey, payload]) => ({ kind, idemKey, entryId: 'BURST1', rawJson: JSON.stringify(payload) })), true);
    r.relay.ctx.reducer.schedule();
    await r.settle();
    await a.waitFor(() => a.callItems('BURST1').length > 0, 5000, 'missed call item');
    expect(popupFor(a, 'BURST1')).toMatchObject({ popup: false, call: { status: 'missed' } });
    await new Promise((res) => setTimeout(res, 300));
    expect(p.callItems('BURST1')).toEqual([]);
    a.close();
    p.close();
  });
});

describe('events out of order', () => {
  it('a direct call whose Disconnected is reduced before its Appeared is still a missed call to call back', async () => {
    // Mango posts each event on its own; the hang-up may overtake the ringing (mango-api.md).
    const t = Math.floor(Date.now() / 1000) - 60;
    const leg = (state: string, s: number, at: number) => ({
      entry_id: 'OOO1', call_id: 'OOO1-101', timestamp: at, seq: s, call_state: state, location: 'abonent',
      from: { number: '79165550011' }, to: { extension: '101', number: 'sip:101@x', line_number: '74951234567' }, dct: { type: 0 },
      ...(state === 'Disconnected' ? { disconnect_reason: 1110 } : {}),
    });
    await post('events/call', leg('Disconnected', 2, t + 20));
    await r.settle();
    await post('events/call', leg('Appeared', 1, t));
    await r.settle();
    await post('events/summary', {
      entry_id: 'OOO1', call_direction: 1, from: { number: '79165550011' }, to: { extension: '101', number: 'sip:101@x' }, line_number: '74951234567',
      create_time: t, forward_time: 0, talk_time: 0, end_time: t + 20, entry_result: 0, disconnect_reason: 1110,
    });
    await r.settle();
    const missed = await r.api<{ calls: { entryId: string; status: string }[] }>('GET', '/api/missed', to.token);
    expect(missed.body.calls.filter((c) => c.entryId === 'OOO1')).toEqual([expect.objectContaining({ entryId: 'OOO1', status: 'missed' })]);
  });
});

describe('replay', () => {
  it('replays everything after lastId after a disconnect, with no loss and no duplicate', async () => {
    const c1 = await TestFeedClient.connect(r.url, to2.token);
    await c1.synced();
    const all = [...c1.items];
    const lastId = c1.lastId();
    c1.close();
    // While the app is closed: 20 calls in the IVR reach every accepting employee.
    for (let i = 0; i < 20; i++) await post('events/call', ivrCall(`R${i}`));
    await r.settle();
    const c2 = await TestFeedClient.connect(r.url, to2.token, lastId);
    await c2.synced();
    const replayed = c2.items;
    expect(replayed.every((i) => i.id > lastId)).toBe(true);
    const entries = new Set(replayed.flatMap((i) => (i.payload.kind === 'call' ? [i.payload.call.entryId] : [])));
    for (let i = 0; i < 20; i++) expect(entries.has(`R${i}`)).toBe(true);
    // Live items continue after the replay without a gap.
    await post('events/call', ivrCall('LIVE1'));
    await c2.waitFor(() => c2.callItems('LIVE1').length > 0, 5000, 'live item');
    const ids = [...all, ...c2.items].map((i) => i.id);
    expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
    const fromDb = await r.relay.ctx.db.query<{ id: number }>('SELECT id FROM feed WHERE employee_id = $1 ORDER BY id', [to2.employee.id]);
    expect(ids).toEqual(fromDb.rows.map((x) => Number(x.id)));
    c2.close();
  });

  it('pushes status changes live to the employee and to admins', async () => {
    const emp = await TestFeedClient.connect(r.url, to2.token);
    const adm = await TestFeedClient.connect(r.url, r.adminToken);
    await Promise.all([emp.synced(), adm.synced()]);
    await r.api('PATCH', `/api/admin/employees/${to2.employee.id}`, r.adminToken, { acceptCalls: false });
    const isChange = (c: TestFeedClient) => c.items.some((i) => i.payload.kind === 'status' && i.payload.change.employeeId === to2.employee.id && !i.payload.change.acceptCalls);
    await emp.waitFor(() => isChange(emp), 2000, 'employee sees status');
    await adm.waitFor(() => isChange(adm), 2000, 'admin sees status');
    expect(adm.items.some((i) => i.payload.kind === 'presence' && i.payload.employeeId === to2.employee.id && i.payload.online)).toBe(true);
    emp.close();
    adm.close();
    await r.api('PATCH', `/api/admin/employees/${to2.employee.id}`, r.adminToken, { acceptCalls: true });
  });
});

describe('a relay whose database went back in time', () => {
  it('rewinds an app whose lastId is past the newest item, then replays everything in order', async () => {
    const first = await TestFeedClient.connect(r.url, to2.token);
    await first.synced();
    const all = first.items.map((i) => i.id);
    first.close();
    expect(all.length).toBeGreaterThan(0);
    // As after a restore: the app remembers an id the database no longer has.
    const c = await TestFeedClient.connect(r.url, to2.token, all.at(-1)! + 1000);
    await c.synced();
    const types = c.messages.map((m) => (m as { type: string }).type);
    expect(types.indexOf('rewind')).toBeGreaterThan(-1);
    expect(types.indexOf('rewind')).toBeLessThan(types.indexOf('item'));
    expect(c.items.map((i) => i.id)).toEqual(all);
    c.close();
    // An app that is merely up to date is not rewound.
    const d = await TestFeedClient.connect(r.url, to2.token, all.at(-1)!);
    await d.synced();
    expect(d.messages.some((m) => (m as { type: string }).type === 'rewind')).toBe(false);
    expect(d.items).toEqual([]);
    d.close();
  });

  it('rewinds an app whose last item is not the relay’s item with that id (restored, ids issued again); not one whose item matches', async () => {
    const first = await TestFeedClient.connect(r.url, to2.token);
    await first.synced();
    const all = first.items;
    first.close();
    expect(all.length).toBeGreaterThan(1);
    const last = all.at(-1)!;
    const hello = async (lastId: number, lastAt?: string) => {
      const c = await TestFeedClient.connect(r.url, to2.token, lastId, { lastAt });
      await c.synced();
      c.close();
      return { rewound: c.messages.some((m) => m.type === 'rewind'), ids: c.items.map((i) => i.id) };
    };
    // The same item (its `at` in another spelling of the same instant): a normal reconnect.
    const sameInstant = new Date(last.at).toISOString().replace('Z', '+00:00');
    expect(await hello(last.id, last.at)).toEqual({ rewound: false, ids: [] });
    expect(await hello(last.id, sameInstant)).toEqual({ rewound: false, ids: [] });
    expect(await hello(all[0].id, all[0].at)).toEqual({ rewound: false, ids: all.slice(1).map((i) => i.id) });
    // The relay has an item with that id, but not the one the app saw: rewound, everything replayed.
    const otherAt = new Date(Date.parse(last.at) - 3_600_000).toISOString();
    expect(await hello(last.id, otherAt)).toEqual({ rewound: true, ids: all.map((i) => i.id) });
    // The id is another employee's item now (ids are issued for everyone): rewound too.
    const a = await TestFeedClient.connect(r.url, to.token);
    await a.synced();
    a.close();
    const foreign = a.items.filter((i) => i.id < last.id && !all.some((x) => x.id === i.id)).at(-1)!;
    expect(foreign).toBeDefined();
    expect(await hello(foreign.id, foreign.at)).toEqual({ rewound: true, ids: all.map((i) => i.id) });
  });
});

describe('direct delivery of an instance’s own commits', () => {
  it('reads from the table instead when another commit for the employee came first and its notice has not arrived', async () => {
    const client = await TestFeedClient.connect(r.url, to2.token);
    await client.synced();
    const from = client.lastId();
    // Another instance's item, committed with no NOTIFY reaching this one yet.
    const other = await r.relay.ctx.db.query<{ id: number }>(
      `INSERT INTO feed (employee_id, prev_id, payload) VALUES ($1, (SELECT max(id) FROM feed WHERE employee_id = $1), $2::jsonb) RETURNING id`,
      [to2.employee.id, JSON.stringify({ kind: 'presence', employeeId: to.employee.id, online: true })],
    );
    await post('events/call', legTo('DIRECT1', '102', 'Appeared', 1, false));
    await client.waitFor(() => client.callItems('DIRECT1').length > 0, 5000, 'own item');
    expect(client.items.filter((i) => i.id > from).map((i) => i.id)[0]).toBe(Number(other.rows[0].id));
    client.close();
  });

  /** Counts the hub's reads of one employee's feed (the pump) while `fn` runs. */
  async function feedReadsDuring(fn: () => Promise<void>): Promise<number> {
    const db = r.relay.ctx.db;
    const real = db.query.bind(db);
    let reads = 0;
    db.query = ((text: string, params?: unknown[]) => {
      if (text.includes('FROM feed WHERE employee_id = $1 AND id > $2')) reads++;
      return real(text, params);
    }) as typeof db.query;
    try {
      await fn();
    } finally {
      db.query = real;
    }
    return reads;
  }

  it('does not read its own commits back from the table: their notice often arrives before the commit is answered', async () => {
    const client = await TestFeedClient.connect(r.url, to2.token);
    await client.synced();
    // As under load: the notice is handled before the commit's answer reaches deliver().
    const hub = r.relay.ctx.hub;
    const deliver = hub.deliver;
    hub.deliver = (items) => void setTimeout(() => deliver.call(hub, items), 100);
    const reads = await feedReadsDuring(async () => {
      // One after the other: overlapping commits may reach deliver() out of id order, and then
      // the socket is rightly pumped from the table, which is not what this test is about.
      for (let i = 0; i < 10; i++) await post('events/call', legTo(`OWN${i}`, '102', 'Appeared', 1, false));
      await client.waitFor(() => Array.from({ length: 10 }, (_, i) => `OWN${i}`).every((e) => client.callItems(e).length === 1), 5000, 'own items');
      await new Promise((res) => setTimeout(res, 1500)); // past the own-notice check
    }).finally(() => (hub.deliver = deliver));
    expect(reads).toBe(0);
    const ids = client.items.map((i) => i.id);
    expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
    client.close();
  });

  it('still sends an item committed here with its notice if deliver() never got it', async () => {
    const client = await TestFeedClient.connect(r.url, to2.token);
    await client.synced();
    const from = client.lastId();
    const hub = r.relay.ctx.hub;
    // Appended for this hub's delivery, then not handed to it: only the notice's check can send it.
    const [item] = await r.relay.ctx.db.tx((q) => appendFeed(q, [{ employeeId: to2.employee.id, payload: { kind: 'presence', employeeId: to.employee.id, online: true } }], hub.instanceId));
    const t0 = performance.now();
    await client.waitFor(() => client.lastId() >= item.id, 5000, 'undelivered own item');
    expect(performance.now() - t0).toBeGreaterThan(500); // by the check, not at the notice
    expect(client.items.filter((i) => i.id > from).map((i) => i.id)).toEqual([item.id]);
    client.close();
  });
});

describe('reduction inside the ingest transaction', () => {
  type Reduce = (...a: unknown[]) => Promise<unknown>;
  type Tx = { query: (t: string) => Promise<unknown> };

  /**
   * Posts a call event while the inline reduction misbehaves once (`first` stands in for its
   * first run, given the real one). The webhook is answered 200 and the app gets the call,
   * reduced by the background reducer, whose queue is then empty. Returns the open client.
   */
  async function reducedDespiteFailure(entry: string, first: (real: () => Promise<unknown>, tx: Tx) => Promise<unknown>): Promise<TestFeedClient> {
    const client = await TestFeedClient.connect(r.url, to2.token);
    await client.synced();
    const reducer = r.relay.ctx.reducer as unknown as { reduceEntries: Reduce };
    const real = reducer.reduceEntries;
    let runs = 0;
    reducer.reduceEntries = async function (this: unknown, ...a: unknown[]) {
      return runs++ === 0 ? first(() => real.apply(this, a), a[0] as Tx) : real.apply(this, a);
    };
    try {
      await post('events/call', legTo(entry, '102', 'Appeared', 1, false));
      await client.waitFor(() => client.callItems(entry).length > 0, 5000, 'item reduced in the background');
      expect(runs).toBeGreaterThanOrEqual(2);
      const ev = await r.relay.ctx.db.query<{ queued: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM reduce_queue q WHERE q.event_id = m.id) AS queued FROM mango_events m WHERE entry_id = $1',
        [entry],
      );
      expect(ev.rows).toEqual([{ queued: false }]); // stored once, queued after the failure, then reduced
      return client;
    } catch (err) {
      client.close();
      throw err;
    } finally {
      reducer.reduceEntries = real;
    }
  }

  it('stores the event and leaves it to the background reducer when the inline reduction fails', async () => {
    const client = await reducedDespiteFailure('INLINEFAIL', async (_real, tx) => {
      // Fail after a write in the ingest transaction, as a real SQL error would.
      await tx.query("UPDATE employees SET name = name || '!' WHERE id = 1");
      throw new Error('injected reduction failure');
    });
    client.close();
    // The failed attempt was rolled back with its writes.
    const admin = await r.relay.ctx.db.query<{ name: string }>('SELECT name FROM employees WHERE id = 1');
    expect(admin.rows[0].name.endsWith('!')).toBe(false);
  });

  it('does the same when a statement the reduction left in flight fails', async () => {
    const client = await reducedDespiteFailure('INFLIGHTFAIL', async (real, tx) => {
      const out = await real();
      // Like the call writes and the feed insert: issued, not awaited; it fails at the database.
      tx.query('SELECT 1 / 0').catch(() => {});
      return out;
    });
    try {
      // The failed attempt's call record and feed items were rolled back: one of each.
      const calls = await r.relay.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM calls WHERE entry_id = 'INFLIGHTFAIL'");
      expect(calls.rows[0].n).toBe(1);
      await new Promise((res) => setTimeout(res, 200));
      expect(client.callItems('INFLIGHTFAIL')).toHaveLength(1);
    } finally {
      client.close();
    }
  });
});

describe('two relay instances on one Postgres', () => {
  it('delivers an event posted to instance A to a client connected to instance B', async () => {
    const b = await startTestRelay({ databaseUrl: r.databaseUrl! });
    try {
      const client = await TestFeedClient.connect(b.url, to2.token);
      await client.synced();
      await post('events/call', ivrCall('X1'));
      await client.waitFor(() => client.callItems('X1').length > 0, 5000, 'fan-out item');
      expect(popupFor(client, 'X1')).toMatchObject({ popup: true });
      // Presence is seen across instances.
      const emps = await r.api<{ employees: Employee[] }>('GET', '/api/admin/employees', r.adminToken);
      expect(emps.body.employees.find((e) => e.id === to2.employee.id)?.online).toBe(true);
      client.close();
    } finally {
      await b.close();
    }
  });

  it('interleaved commits from both instances reach a socket exactly once and in id order', async () => {
    // Instance A hands its own commits straight to the socket when the socket holds the
    // employee's previous item; B's commits reach it through NOTIFY and a read. Both at once
    // must neither skip nor repeat an item.
    const b = await startTestRelay({ databaseUrl: r.databaseUrl! });
    try {
      const client = await TestFeedClient.connect(r.url, to2.token);
      await client.synced();
      const from = client.lastId();
      const posts: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        const base = i % 2 === 0 ? r.webhookBase : b.webhookBase;
        posts.push(postSigned(base, 'events/call', legTo(`MIX${i}`, '102', 'Appeared', 1, false)).then((res) => expect(res.status).toBe(200)));
      }
      await Promise.all(posts);
      // Bigger batches are reduced right after their commit, by either instance.
      await Promise.all([r.settle(), b.settle()]);
      const fromDb = async () =>
        (await r.relay.ctx.db.query<{ id: number }>('SELECT id FROM feed WHERE employee_id = $1 AND id > $2 ORDER BY id', [to2.employee.id, from])).rows.map((x) => Number(x.id));
      const expected = await fromDb();
      expect(expected.length).toBeGreaterThanOrEqual(40);
      await client.waitFor(() => client.lastId() >= expected.at(-1)!, 10_000, 'all interleaved items');
      const got = client.items.filter((i) => i.id > from).map((i) => i.id);
      expect(got).toEqual(expected);
      client.close();
    } finally {
      await b.close();
    }
  });
});
