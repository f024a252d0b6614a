import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Call, Employee, FeedItem } from '../../src-shared/wire';
import { countMissedCallers, groupMissed } from '../../src-shared/missed';
import { applyFeedToEmployees, applyFeedToLog, useAdmin } from '../../src-renderer/stores/admin';
import {
  appendPage,
  applyFeedBatch,
  applyFeedToList,
  emptyCallList,
  matchesFilter,
  upsertCall,
} from '../../src-renderer/stores/callsModel';
import { useHistory } from '../../src-renderer/stores/history';
import { useHome } from '../../src-renderer/stores/home';
import { applyPopup } from '../../src-renderer/stores/popups';
import { useSession } from '../../src-renderer/stores/session';
import { secondsLeft } from '../../src-renderer/stores/connection';
import { periodRange, useStats } from '../../src-renderer/stores/stats';
import { searchTerm, toQuery } from '../../src-renderer/stores/history';
import { callItem, makeCall, makeContact } from './fixtures';

const ids = (l: { id: number }[]) => l.map((c) => c.id);

// What the stats store asks the core: `stats:get` answers here; every other request goes on as
// without a bridge, as before.
const statsAsked = vi.hoisted(() => [] as unknown[]);
vi.mock('../../src-renderer/api', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src-renderer/api')>();
  const call = (async (name: string, args?: unknown) => {
    if (name !== 'stats:get') return (orig.call as (n: string, a?: unknown) => Promise<unknown>)(name, args);
    statsAsked.push(args);
    return { days: [], byHour: [], byEmployee: [], totals: { total: 0, answered: 0, missed: 0, missedRate: 0 } };
  }) as typeof orig.call;
  return { ...orig, call };
});

describe('call list reducer', () => {
  it('keeps newest first whatever order calls arrive in', () => {
    let s = emptyCallList();
    for (const id of [3, 1, 5, 2, 4]) s = applyFeedToList(s, callItem(makeCall({ id })));
    expect(ids(s.calls)).toEqual([5, 4, 3, 2, 1]);
  });

  it('dedupes by call id: updates replace, never duplicate', () => {
    let s = emptyCallList();
    s = applyFeedToList(s, callItem(makeCall({ id: 7, status: 'active', phase: 'ringing' }), { id: 10 }));
    s = applyFeedToList(s, callItem(makeCall({ id: 7, status: 'active', phase: 'talking' }), { id: 11 }));
    s = applyFeedToList(s, callItem(makeCall({ id: 7, status: 'answered', phase: 'ended' }), { id: 12 }));
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0].status).toBe('answered');
  });

  it('ignores a replayed older state of a call it already has newer', () => {
    let s = emptyCallList();
    s = applyFeedToList(s, callItem(makeCall({ id: 7, status: 'answered', phase: 'ended' }), { id: 12 }));
    const again = applyFeedToList(s, callItem(makeCall({ id: 7, status: 'active', phase: 'ringing' }), { id: 10 }));
    expect(again).toBe(s);
    const same = applyFeedToList(s, callItem(makeCall({ id: 7, status: 'active', phase: 'ringing' }), { id: 12 }));
    expect(same).toBe(s);
  });

  it('applies a shuffled batch with repeats in feed order', () => {
    const items: FeedItem[] = [
      callItem(makeCall({ id: 1, status: 'active', phase: 'ringing' }), { id: 1 }),
      callItem(makeCall({ id: 2 }), { id: 2 }),
      callItem(makeCall({ id: 1, status: 'missed', phase: 'ended' }), { id: 3 }),
    ];
    const s = applyFeedBatch(emptyCallList(), [items[2], items[0], items[1], items[0], items[2]]);
    expect(ids(s.calls)).toEqual([2, 1]);
    expect(s.calls.find((c) => c.id === 1)?.status).toBe('missed');
  });

  it('a big batch (a replay) ends as the same items applied one by one, filter and stale copies included', () => {
    // 3 000 items over 400 calls: statuses change, some leave the filter and come back, start
    // times collide; the batch takes the merge path, one by one takes the in-place path.
    let rnd = 7;
    const next = (n: number) => ((rnd = (rnd * 48271) % 2147483647) % n);
    const statuses = ['answered', 'missed', 'active'] as const;
    const items = Array.from({ length: 3000 }, (_, i) => {
      const id = next(400) + 1;
      const status = statuses[next(3)];
      return callItem(makeCall({ id, status, phase: status === 'active' ? 'ringing' : 'ended', startedAt: new Date(Date.UTC(2025, 2, 5) + (id % 50) * 60_000).toISOString() }), { id: i + 1 });
    });
    const shuffled = items.slice().sort(() => next(3) - 1);
    const start = applyFeedBatch(emptyCallList(), items.slice(0, 40));
    for (const filter of [{}, { result: 'missed' as const }]) {
      const oneByOne = items.slice(40).reduce((s, it) => applyFeedToList(s, it, filter), applyFeedBatch(start, [], filter));
      const batch = applyFeedBatch(start, shuffled.filter((it) => it.id > 40), filter);
      expect(batch.calls.map((c) => [c.id, c.status])).toEqual(oneByOne.calls.map((c) => [c.id, c.status]));
      expect(batch.feedIdByCall).toEqual(oneByOne.feedIdByCall);
    }
    // Nothing new: the same object back.
    const done = applyFeedBatch(start, items.slice(0, 40));
    expect(done).toBe(start);
  });

  it('ties on start time are ordered by id', () => {
    const t = '2025-03-05T10:00:00.000Z';
    let l = upsertCall([], makeCall({ id: 1, startedAt: t }));
    l = upsertCall(l, makeCall({ id: 3, startedAt: t }));
    l = upsertCall(l, makeCall({ id: 2, startedAt: t }));
    expect(ids(l)).toEqual([3, 2, 1]);
  });

  it('drops a call from a filtered list when it stops matching', () => {
    const f = { result: 'missed' as const };
    let s = applyFeedToList(emptyCallList(), callItem(makeCall({ id: 1, status: 'missed' }), { id: 1 }), f);
    expect(ids(s.calls)).toEqual([1]);
    s = applyFeedToList(s, callItem(makeCall({ id: 1, status: 'answered' }), { id: 2 }), f);
    expect(s.calls).toHaveLength(0);
    s = applyFeedToList(s, callItem(makeCall({ id: 2, status: 'answered' }), { id: 3 }), f);
    expect(s.calls).toHaveLength(0);
  });

  it('pages append without duplicates of live calls', () => {
    const live = [makeCall({ id: 10 }), makeCall({ id: 9 })];
    const page = [makeCall({ id: 9 }), makeCall({ id: 8 }), makeCall({ id: 7 })];
    expect(ids(appendPage(live, page))).toEqual([10, 9, 8, 7]);
    expect(appendPage(live, [])).toBe(live);
  });
});

describe('filter matching of live calls', () => {
  const call = makeCall({ id: 1, direction: 'in', status: 'missed', employee: { id: 4, name: 'Сидорова Анна', extension: '104' } });
  it('direction, status, employee, period', () => {
    expect(matchesFilter(call, { direction: 'in' })).toBe(true);
    expect(matchesFilter(call, { direction: 'out' })).toBe(false);
    expect(matchesFilter(call, { result: 'missed' })).toBe(true);
    expect(matchesFilter(call, { result: 'answered' })).toBe(false);
    expect(matchesFilter(call, { employeeId: 4 })).toBe(true);
    expect(matchesFilter(call, { employeeId: 5 })).toBe(false);
    expect(matchesFilter(call, { since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z' })).toBe(true);
    expect(matchesFilter(call, { since: '2100-01-01T00:00:00Z' })).toBe(false);
  });
  it('search by number in any spelling, by contact or employee name', () => {
    expect(matchesFilter(call, { search: '1234567' })).toBe(true);
    expect(matchesFilter(call, { search: '8 916 123' })).toBe(true);
    expect(matchesFilter(call, { search: '999888' })).toBe(false);
    expect(matchesFilter(call, { search: 'ромашка' }, makeContact({ id: 1 }))).toBe(true);
    expect(matchesFilter(call, { search: 'сидорова' })).toBe(true);
    expect(matchesFilter(call, { search: 'ромашка' }, null)).toBe(false);
  });
  it('search by the words of the call’s comment, as the relay searches', () => {
    const commented = { ...call, comment: { text: 'Договорились выслать КП до пятницы', by: { id: 4, name: 'Сидорова Анна' }, at: '2025-01-01T10:00:00.000Z' } };
    expect(matchesFilter(commented, { search: 'выслать кп' })).toBe(true);
    expect(matchesFilter(call, { search: 'выслать кп' })).toBe(false);
  });
  it('sends a whole phone number in E.164 however it was typed', () => {
    expect(searchTerm('8 (916) 123-45-67')).toBe('+79161234567');
    expect(searchTerm('89161234567')).toBe('+79161234567');
    expect(searchTerm(' 916 123 ')).toBe('916 123');
    expect(searchTerm('Ромашка')).toBe('Ромашка');
    expect(searchTerm('   ')).toBeUndefined();
  });
  it('translates to the contract query', () => {
    expect(toQuery({ direction: 'in', result: 'missed', employeeId: 3, search: '  916 ' }, 55, 100)).toEqual({
      limit: 100,
      before: 55,
      direction: 'in',
      status: 'missed',
      employeeId: 3,
      search: '916',
    });
  });
});

describe('missed-call reminders', () => {
  const missed = (id: number, number: string | null, extra: Partial<Call> = {}) =>
    makeCall({ id, status: 'missed', clientNumber: number, from: { number, extension: null }, ...extra });

  it('one row per caller, newest first, with all of their calls; a hidden number is a row of its own', () => {
    const calls = [
      missed(1, '+79265554433'),
      missed(2, '+79161234567'),
      missed(3, '+7 (926) 555-44-33'), // the same caller, written otherwise
      missed(4, null),
      missed(5, null),
      missed(6, '+79265554433'),
    ];
    const groups = groupMissed(calls);
    expect(groups.map((g) => [g.key, ids(g.calls)])).toEqual([
      ['+79265554433', [6, 3, 1]],
      ['#5', [5]],
      ['#4', [4]],
      ['+79161234567', [2]],
    ]);
    expect(groups[0].number).toBe('+79265554433');
    expect(groups[1].number).toBeNull();
    // The badge counts what the list shows.
    expect(countMissedCallers(calls)).toBe(groups.length);
    expect(countMissedCallers([])).toBe(0);
  });

  it('an internal missed call is grouped by the extension that called', () => {
    const a = makeCall({ id: 1, status: 'missed', direction: 'internal', clientNumber: null, from: { number: null, extension: '105' } });
    const b = makeCall({ id: 2, status: 'missed', direction: 'internal', clientNumber: null, from: { number: null, extension: '105' } });
    expect(groupMissed([a, b]).map((g) => [g.number, ids(g.calls)])).toEqual([['105', [2, 1]]]);
  });

  it('the list is the core\'s read less what was dismissed here; a caller goes and comes back whole', () => {
    useHome.setState({ missed: [], missedLoaded: false, dismissed: new Set() });
    useHome.getState().applyMissed([missed(1, '+79265554433'), missed(2, '+79161234567'), missed(3, '+79265554433')]);
    expect(useHome.getState().missedLoaded).toBe(true);
    const hidden = useHome.getState().hideMissed([3, 1]);
    expect(ids(hidden).sort()).toEqual([1, 3]);
    expect(ids(useHome.getState().missed)).toEqual([2]);
    // A read that started before the dismissal does not bring them back.
    useHome.getState().applyMissed([missed(1, '+79265554433'), missed(2, '+79161234567'), missed(3, '+79265554433')]);
    expect(ids(useHome.getState().missed)).toEqual([2]);
    useHome.getState().restoreMissed(hidden);
    expect(groupMissed(useHome.getState().missed).map((g) => ids(g.calls))).toEqual([[3, 1], [2]]);
  });
});

describe('stores fed by events', () => {
  beforeEach(() => {
    useSession.setState({
      session: {
        relayUrl: 'http://relay',
        login: 'ivanov',
        loggedIn: true,
        me: {
          id: 1,
          login: 'ivanov',
          name: 'Иванов Иван',
          role: 'to',
          extension: '101',
          mangoUserId: null,
          email: null,
          phones: [],
          active: true,
          acceptCalls: true,
          acceptCallsManual: false,
        },
      },
      acceptChangedBy: null,
    });
    useHome.setState({ today: emptyCallList(), missed: [], dismissed: new Set(), dayStart: new Date(new Date().setHours(0, 0, 0, 0)).toISOString() });
    useHistory.setState({ list: emptyCallList(), filter: {}, total: null });
  });

  it('an admin switching my status flips my switch and says who did it', () => {
    useSession.getState().applyStatus({ employeeId: 1, acceptCalls: false, changedBy: 9, changedByName: 'Админ', at: new Date().toISOString() });
    expect(useSession.getState().session?.me?.acceptCalls).toBe(false);
    expect(useSession.getState().acceptChangedBy).toBe('Админ');
    // Someone else's change does not touch mine.
    useSession.getState().applyStatus({ employeeId: 2, acceptCalls: true, changedBy: 9, changedByName: 'Админ', at: new Date().toISOString() });
    expect(useSession.getState().session?.me?.acceptCalls).toBe(false);
    useSession.getState().applyEmployee({ ...useSession.getState().session!.me!, acceptCalls: true, extension: '111' });
    expect(useSession.getState().session?.me?.extension).toBe('111');
  });

  it("today's list takes only today's calls; history takes all, once each", () => {
    const now = new Date();
    const today = makeCall({ id: 50, startedAt: now.toISOString() });
    const old = makeCall({ id: 40, startedAt: '2020-01-01T10:00:00.000Z' });
    for (const item of [callItem(today), callItem(old), callItem(today)]) {
      useHome.getState().applyFeed([item]);
      useHistory.getState().applyFeed([item]);
    }
    expect(ids(useHome.getState().today.calls)).toEqual([50]);
    expect(ids(useHistory.getState().list.calls)).toEqual([50, 40]);
  });

  it('a saved comment’s answer replaces the listed call in history and today’s list, and adds none', () => {
    const now = new Date().toISOString();
    for (const c of [makeCall({ id: 70, startedAt: now }), makeCall({ id: 71, startedAt: now })]) {
      useHome.getState().applyFeed([callItem(c)]);
      useHistory.getState().applyFeed([callItem(c)]);
    }
    const comment = { text: 'КП до пятницы', by: { id: 1, name: 'Иванов Иван' }, at: now };
    useHistory.getState().applyCall(makeCall({ id: 70, startedAt: now, comment }));
    useHome.getState().applyCall(makeCall({ id: 70, startedAt: now, comment }));
    useHistory.getState().applyCall(makeCall({ id: 99, startedAt: now, comment }));
    expect(useHistory.getState().list.calls.map((c) => [c.id, c.comment?.text ?? null])).toEqual([[71, null], [70, 'КП до пятницы']]);
    expect(useHome.getState().today.calls.find((c) => c.id === 70)?.comment?.text).toBe('КП до пятницы');
    // A later feed item of the call still applies (the answer set no feed id).
    useHistory.getState().applyFeed([callItem(makeCall({ id: 70, startedAt: now, comment: null }))]);
    expect(useHistory.getState().list.calls.find((c) => c.id === 70)?.comment).toBeNull();
  });

  it("history's total grows by the live calls added to the list, not by updates of listed ones", () => {
    useHistory.setState({ list: emptyCallList(), filter: {}, total: { count: 2500, capped: false } });
    useHistory.getState().applyFeed([callItem(makeCall({ id: 60, status: 'active', phase: 'ringing' }))]);
    useHistory.getState().applyFeed([callItem(makeCall({ id: 60, status: 'answered', phase: 'ended' }))]);
    expect(useHistory.getState().total).toEqual({ count: 2501, capped: false });
    useHistory.setState({ total: null });
    useHistory.getState().applyFeed([callItem(makeCall({ id: 61 }))]);
    expect(useHistory.getState().total).toBeNull();
  });
});

describe('admin reducers', () => {
  const emp = (id: number, name: string, acceptCalls = false): Employee => ({
    id,
    login: 'u' + id,
    name,
    role: 'to',
    extension: String(100 + id),
    mangoUserId: null,
    email: null,
    phones: [],
    active: true,
    acceptCalls,
    acceptCallsManual: false,
    online: false,
  });
  it('status, presence and employee items update the table', () => {
    let l = [emp(1, 'Б'), emp(2, 'А')];
    l = applyFeedToEmployees(l, { id: 1, at: '', payload: { kind: 'status', change: { employeeId: 1, acceptCalls: true, changedBy: 2, changedByName: 'А', at: '' } } });
    expect(l[0].acceptCalls).toBe(true);
    l = applyFeedToEmployees(l, { id: 2, at: '', payload: { kind: 'presence', employeeId: 2, online: true } });
    expect(l[1].online).toBe(true);
    l = applyFeedToEmployees(l, { id: 3, at: '', payload: { kind: 'employee', employee: { ...emp(3, 'В'), online: undefined } } });
    expect(l.map((e) => e.name)).toEqual(['А', 'Б', 'В']);
  });
  it('status log gets each change once, newest first', () => {
    const change = (at: string, on: boolean) => ({ id: 1, at, payload: { kind: 'status' as const, change: { employeeId: 1, acceptCalls: on, changedBy: 1, changedByName: null, at } } });
    let log = applyFeedToLog([], change('2025-03-05T10:00:00Z', true));
    log = applyFeedToLog(log, change('2025-03-05T11:00:00Z', false));
    log = applyFeedToLog(log, change('2025-03-05T11:00:00Z', false));
    expect(log.map((c) => c.acceptCalls)).toEqual([false, true]);
  });
  it('a call event marks the webhook as having delivered', () => {
    useAdmin.setState({
      mango: {
        apiKey: 'k',
        apiSaltMasked: '****',
        saltConfigured: true,
        vpbxId: '',
        apiUrl: '',
        enabled: true,
        routingMode: 'popup',
        groupId: null,
        webhookUrl: 'https://x/api/mango-webhook',
        lastTest: null,
        lastWebhookAt: null,
        lastGroupSync: null,
      },
    });
    useAdmin.getState().applyFeed(callItem(makeCall({ id: 1 })));
    expect(useAdmin.getState().mango?.lastWebhookAt).not.toBeNull();
  });
});

describe('popups', () => {
  const popup = (callId: number, open = true) => ({
    callId,
    open,
    call: makeCall({ id: callId, status: 'active', phase: 'ringing' }),
    contact: null,
    recentCalls: [],
    recentMails: [],
  });
  it('stacks newest first, updates in place, closes on open=false', () => {
    let l = applyPopup([], popup(1));
    l = applyPopup(l, popup(2));
    expect(l.map((p) => p.callId)).toEqual([2, 1]);
    l = applyPopup(l, { ...popup(1), call: makeCall({ id: 1, status: 'active', phase: 'talking' }) });
    expect(l.map((p) => p.callId)).toEqual([2, 1]);
    expect(l[1].call.phase).toBe('talking');
    l = applyPopup(l, popup(2, false));
    expect(l.map((p) => p.callId)).toEqual([1]);
    expect(applyPopup(l, popup(9, false))).toBe(l);
  });
});

describe('connection countdown and periods', () => {
  it('counts down from the moment the state arrived', () => {
    const s = { state: 'reconnecting' as const, retryInSec: 5, error: 'x' };
    expect(secondsLeft(s, 1000, 1000)).toBe(5);
    expect(secondsLeft(s, 1000, 2500)).toBe(4);
    expect(secondsLeft(s, 1000, 9000)).toBe(0);
    expect(secondsLeft({ state: 'connected', since: '' }, 0, 0)).toBe(0);
  });
  it('periods cover whole local days', () => {
    const now = new Date(2025, 2, 5, 15, 30);
    const r = periodRange('7d', now);
    expect(r.since.getTime()).toBe(new Date(2025, 1, 27).getTime());
    expect(r.until.getTime()).toBe(new Date(2025, 2, 6).getTime());
    const c = periodRange('custom', now, '2025-01-01', '2025-01-31');
    expect(c.since.getTime()).toBe(new Date(2025, 0, 1).getTime());
    expect(c.until.getTime()).toBe(new Date(2025, 1, 1).getTime());
  });
});

describe('stats store', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    // Node follows TZ at once (Date and Intl): restore the machine's zone for the other tests.
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('sends the computer’s time zone with the local-day bounds, so the relay counts days and hours on the same clock', async () => {
    process.env.TZ = 'Asia/Yekaterinburg';
    expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toBe('Asia/Yekaterinburg');
    statsAsked.length = 0;
    await useStats.getState().set({ period: 'custom', customFrom: '2024-03-11', customTo: '2024-03-11', employeeId: 7 });
    // Midnight to midnight in Yekaterinburg (UTC+5), and that zone named.
    expect(statsAsked).toEqual([{ since: '2024-03-10T19:00:00.000Z', until: '2024-03-11T19:00:00.000Z', employeeId: 7, tz: 'Asia/Yekaterinburg' }]);
    expect(useStats.getState()).toMatchObject({ error: null, loading: false, since: '2024-03-10T19:00:00.000Z' });

    process.env.TZ = 'Europe/Kaliningrad';
    await useStats.getState().set({ employeeId: null });
    expect(statsAsked[1]).toEqual({ since: '2024-03-10T22:00:00.000Z', until: '2024-03-11T22:00:00.000Z', tz: 'Europe/Kaliningrad' });
  });
});
