/**
 * «Комментарий к звонку» through the app core against a REAL relay: `calls:setComment` answers
 * the commented call; a colleague's core gets it live into its SQLite cache (as any call
 * update); an employee who took no part gets the relay's Russian refusal; the ended call's popup
 * stays for a comment after one's own conversation, and the next call's popup lists the comment.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { buildScenario, deliver } from '../../tools/mango-sim/index';
import type { Call, Employee } from '../../src-shared/wire';
import type { AppCore } from '../../src-main/core/app-core';
import { connected, liveCoreHarness } from './live-core';
import { appendFeed } from '../../server/hub/feed-store';

let r: TestRelay;
let to1: { employee: Employee; token: string };
let to2: { employee: Employee; token: string };
const PASSWORD = 'password-comments';
const CALLER = '79035550101';
// Recent: the relay's queries of live calls look at the last day.
const T0 = Math.floor(Date.now() / 1000) - 1800;

beforeAll(async () => {
  r = await startTestRelay();
  to1 = await r.createEmployee({ login: 'cm-app-to1', name: 'Иванов Иван', role: 'to', extension: '101', password: PASSWORD });
  to2 = await r.createEmployee({ login: 'cm-app-to2', name: 'Петров Пётр', role: 'to', extension: '102', password: PASSWORD });
  await r.createEmployee({ login: 'cm-app-pm', name: 'Волков Андрей', role: 'pm', extension: '201', password: PASSWORD });
}, 60_000);
afterAll(async () => r?.close());

const { tmpDir, openCore } = liveCoreHarness('asgard-app-comments-');

async function signedIn(login: string) {
  const opened = await openCore(tmpDir());
  await opened.core.api.invoke('session:login', { relayUrl: r.url, login, password: PASSWORD });
  await connected(opened.core);
  return opened;
}

/** Waits until the core has applied every feed item the relay holds for the employee. */
async function caughtUp(core: AppCore, employeeId: number): Promise<void> {
  await r.settle();
  const ids = (await r.relay.ctx.db.query<{ id: number }>('SELECT max(id) AS id FROM feed WHERE employee_id = $1', [employeeId])).rows;
  await vi.waitFor(() => expect(Number(core.store.kv.get('feed.lastId'))).toBe(Number(ids[0].id)), { timeout: 10_000, interval: 20 });
}

async function deliverAll(events: Parameters<typeof deliver>[1]): Promise<void> {
  expect((await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, concurrency: 1 })).failed).toBe(0);
  await r.settle();
}

describe('call comments in the app core ↔ real relay', () => {
  it('saves a comment and answers the call; a colleague’s app gets it live in its cache; the ended popup stays for it; the next popup lists it', async () => {
    const a = await signedIn('cm-app-to1');
    const b = await signedIn('cm-app-to2');
    await Promise.all([caughtUp(a.core, to1.employee.id), caughtUp(b.core, to2.employee.id)]);

    // The company line rings both (both accept calls); to1 answers and hangs up.
    await deliverAll(buildScenario('incomingAnswered', { entryId: 'CM-APP-1', extension: '101', caller: CALLER, start: T0 }));
    await Promise.all([caughtUp(a.core, to1.employee.id), caughtUp(b.core, to2.employee.id)]);
    const ended = a.core.store.calls.list({ limit: 20 }).find((c) => c.entryId === 'CM-APP-1')!;
    expect(ended).toMatchObject({ phase: 'ended', employee: { id: to1.employee.id }, comment: null });
    // to1 talked on it: the card stays, ended, for «Добавить комментарий»; to2's closed.
    expect(a.rec.popups.filter((p) => p.callId === ended.id).at(-1)).toMatchObject({ open: true, call: { phase: 'ended' } });
    expect(await a.core.api.invoke('popups:list', undefined)).toEqual([expect.objectContaining({ callId: ended.id })]);
    expect(b.rec.popups.filter((p) => p.callId === ended.id).at(-1)).toMatchObject({ open: false });
    await a.core.api.invoke('popups:keep', { callId: ended.id });

    const seenByB = b.rec.feed.length;
    const saved = await a.core.api.invoke('calls:setComment', { callId: ended.id, text: 'Договорились выслать КП до пятницы' });
    expect(saved).toMatchObject({ id: ended.id, comment: { text: 'Договорились выслать КП до пятницы', by: { id: to1.employee.id, name: 'Иванов Иван' } } });

    // Live, to the colleague's app and into its cache; and into the author's own cache.
    await vi.waitFor(() => expect(b.rec.feed.slice(seenByB).some((i) => i.payload.kind === 'call' && i.payload.call.id === ended.id)).toBe(true), { timeout: 5000 });
    expect(b.core.store.calls.get(ended.id)?.comment).toEqual(saved.comment);
    await vi.waitFor(() => expect(a.core.store.calls.get(ended.id)?.comment).toEqual(saved.comment), { timeout: 5000 });
    // Its history (from the relay) and, offline, its cache search find it by its words.
    expect((await b.core.api.invoke('calls:list', { search: 'выслать КП', limit: 5 })).calls.map((c: Call) => c.id)).toEqual([ended.id]);
    expect(b.core.store.calls.list({ search: 'выслать КП', limit: 5 }).map((c) => c.id)).toEqual([ended.id]);

    // The popup kept for the comment stays until closed.
    expect((await a.core.api.invoke('popups:list', undefined)).map((p) => p.callId)).toEqual([ended.id]);
    await a.core.api.invoke('popups:dismiss', { callId: ended.id });

    // The same number rings again: «Последние звонки» of the popup carry the comment.
    await deliverAll(buildScenario('incomingMissed', { entryId: 'CM-APP-2', extension: '102', caller: CALLER, start: T0 + 600 }).slice(0, 1));
    await vi.waitFor(() => expect(b.rec.popups.some((p) => p.call.entryId === 'CM-APP-2' && p.open)).toBe(true), { timeout: 5000 });
    const popup = b.rec.popups.find((p) => p.call.entryId === 'CM-APP-2' && p.open)!;
    expect(popup.recentCalls.find((c) => c.id === ended.id)?.comment?.text).toBe('Договорились выслать КП до пятницы');

    // Cleared by the colleague (offered the call): gone everywhere.
    const cleared = await b.core.api.invoke('calls:setComment', { callId: ended.id, text: '' });
    expect(cleared.comment).toBeNull();
    await vi.waitFor(() => expect(a.core.store.calls.get(ended.id)?.comment).toBeNull(), { timeout: 5000 });
  });

  it('an update from a relay instance older than comments (no comment field) keeps the cached comment', async () => {
    const a = await signedIn('cm-app-to1');
    await caughtUp(a.core, to1.employee.id);
    const call = a.core.store.calls.list({ limit: 20 }).find((c) => c.entryId === 'CM-APP-1')!;
    const saved = await a.core.api.invoke('calls:setComment', { callId: call.id, text: 'Ждём КП' });
    await vi.waitFor(() => expect(a.core.store.calls.get(call.id)?.comment?.text).toBe('Ждём КП'), { timeout: 5000 });
    const seen = a.rec.feed.length;
    // What an old instance appends for this call during a rolling upgrade: its view has no comment.
    const { comment: _dropped, ...oldView } = saved;
    await r.relay.ctx.db.tx((q) => appendFeed(q, [{ employeeId: to1.employee.id, payload: { kind: 'call', call: { ...oldView, talkSeconds: oldView.talkSeconds + 1 }, popup: false, contact: null, recentCalls: [] } }]));
    await caughtUp(a.core, to1.employee.id);
    expect(a.core.store.calls.get(call.id)).toMatchObject({ talkSeconds: saved.talkSeconds + 1, comment: { text: 'Ждём КП' } });
    // The stores in the window get the same, comment included.
    const emitted = a.rec.feed.slice(seen).filter((i) => i.payload.kind === 'call' && i.payload.call.id === call.id).at(-1)!;
    expect(emitted.payload.kind === 'call' && emitted.payload.call.comment?.text).toBe('Ждём КП');
    // A new instance's explicit null still clears it.
    await r.relay.ctx.db.tx((q) => appendFeed(q, [{ employeeId: to1.employee.id, payload: { kind: 'call', call: { ...oldView, comment: null }, popup: false, contact: null, recentCalls: [] } }]));
    await caughtUp(a.core, to1.employee.id);
    expect(a.core.store.calls.get(call.id)?.comment).toBeNull();
  });

  it('passes the relay’s refusals on in Russian: not one’s call, not logged in, too long', async () => {
    const call = (await r.api<{ calls: Call[] }>('GET', '/api/calls', r.adminToken)).body.calls.find((c) => c.entryId === 'CM-APP-1')!;
    const pm = await signedIn('cm-app-pm');
    const refused = await pm.core.handle('calls:setComment', { callId: call.id, text: 'чужой звонок' });
    expect(refused).toEqual({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/^Комментарий к звонку может оставить сотрудник/) } });
    const missing = await pm.core.handle('calls:setComment', { callId: 999_999, text: 'x' });
    expect(missing).toEqual({ ok: false, error: { code: 'not-found', message: 'Звонок не найден' } });
    const long = await pm.core.handle('calls:setComment', { callId: call.id, text: 'я'.repeat(2001) });
    expect(long).toMatchObject({ ok: false, error: { message: expect.stringContaining('не длиннее 2000 символов') } });
    expect(await pm.core.handle('calls:setComment', { callId: call.id })).toMatchObject({ ok: false, error: { code: 'bad-request' } });

    const { core } = await openCore(tmpDir());
    expect(await core.handle('calls:setComment', { callId: call.id, text: 'x' })).toMatchObject({ ok: false, error: { code: 'not-logged-in' } });
  });
});
