/**
 * «Комментарий к звонку» on the relay, on PostgreSQL and on PGlite: PUT /api/calls/:id/comment
 * saves, edits and clears; who may write one; the comment survives the reducer re-reducing the
 * call; every app that has the call gets it live, and the next call's popup lists it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { TestFeedClient } from '../support/feed-client';
import { postSigned } from '../support/webhook';
import { buildScenario, deliver } from '../../tools/mango-sim/index';
import type { Call, Employee, FeedPayload } from '../../src-shared/wire';
import { feedItems } from '../../server/calls/feed-items';
import type { ReducedCall } from '../../server/calls/reduce';

type Person = { employee: Employee; token: string };
type CallItem = Extract<FeedPayload, { kind: 'call' }>;

const LINE = '74951234567';
const CALLER = '79161112233';

describe.each([['PostgreSQL', false], ['PGlite', true]] as const)('call comments on %s', (_db, pglite) => {
  let r: TestRelay;
  let to1: Person; // took the incoming call
  let to2: Person; // was offered it (accepting calls while it waited in the IVR)
  let pm: Person; // not accepting calls: sees the company line's incoming calls, took no part
  let incoming: Call;
  let outgoing: Call; // pm's own outgoing call: to1 cannot even see it
  let lastEvent: Parameters<typeof deliver>[1];
  let seq = 0;
  const start = Math.floor(Date.now() / 1000) - 3600;

  const put = (id: number, token: string | null, body: unknown) => r.api<Call & { error?: string; message?: string }>('PUT', `/api/calls/${id}/comment`, token, body);
  const get = async (id: number, token = r.adminToken) => (await r.api<Call>('GET', `/api/calls/${id}`, token)).body;
  const send = async (events: Parameters<typeof deliver>[1]) => {
    expect((await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT, concurrency: 1 })).failed).toBe(0);
    await r.settle();
  };
  const ivr = (entry: string, state: 'Appeared' | 'Disconnected', s: number) => ({
    entry_id: entry, call_id: `${entry}-ivr`, timestamp: start + 1000 + ++seq, seq: s, call_state: state, location: 'ivr',
    from: { number: CALLER }, to: { number: LINE, line_number: LINE }, dct: { type: 0 }, ...(state === 'Disconnected' ? { disconnect_reason: 1100 } : {}),
  });
  const callItems = (c: TestFeedClient, entry: string) => c.items.flatMap((i) => (i.payload.kind === 'call' && i.payload.call.entryId === entry ? [i.payload] : []));

  beforeAll(async () => {
    r = await startTestRelay({ pglite });
    to1 = await r.createEmployee({ login: 'cm-to1', name: 'Иванов Иван', role: 'to', extension: '101' });
    to2 = await r.createEmployee({ login: 'cm-to2', name: 'Петров Пётр', role: 'to', extension: '102' });
    pm = await r.createEmployee({ login: 'cm-pm', name: 'Волков Андрей', role: 'pm', extension: '201' });
    // IVR (to1 and to2 accept calls: both offered) → the group rings 101 → answered; its last
    // event (the recording's record/added) comes later, to re-reduce a commented call.
    const answered = buildScenario('incomingAnswered', { entryId: 'CM-IN', extension: '101', caller: CALLER, start, withRecording: true });
    expect(answered.at(-1)!.path).toBe('events/record/added');
    lastEvent = answered.slice(-1);
    await send(answered.slice(0, -1));
    await send(buildScenario('outgoing', { entryId: 'CM-OUT', extension: '201', caller: '79990001122', start: start + 300, talkSeconds: 20 }));
    const list = (await r.api<{ calls: Call[] }>('GET', '/api/calls', r.adminToken)).body.calls;
    incoming = list.find((c) => c.entryId === 'CM-IN')!;
    outgoing = list.find((c) => c.entryId === 'CM-OUT')!;
    expect(incoming).toMatchObject({ status: 'answered', employee: { id: to1.employee.id }, comment: null });
    expect(outgoing).toMatchObject({ direction: 'out', employee: { id: pm.employee.id } });
  }, 60_000);
  afterAll(async () => r?.close());

  it('saves a comment (trimmed), edits it, clears it with empty text; every read of the call carries it', async () => {
    const saved = await put(incoming.id, to1.token, { text: '  Договорились выслать КП до пятницы \n' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ id: incoming.id, entryId: 'CM-IN', comment: { text: 'Договорились выслать КП до пятницы', by: { id: to1.employee.id, name: 'Иванов Иван' } } });
    const at = saved.body.comment!.at;
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(at) - Date.now())).toBeLessThan(60_000);

    // Colleagues see it: the call itself, the history list, a search by its words, the contact card.
    expect((await get(incoming.id, to2.token)).comment).toEqual(saved.body.comment);
    expect((await get(incoming.id, pm.token)).comment).toEqual(saved.body.comment);
    const found = (await r.api<{ calls: Call[] }>('GET', `/api/calls?search=${encodeURIComponent('выслать кп')}`, to2.token)).body.calls;
    expect(found.map((c) => c.entryId)).toEqual(['CM-IN']);
    const contact = (await r.api<{ id: number }>('POST', '/api/contacts', to1.token, { name: 'ООО «Ромашка»', phones: ['+' + CALLER] })).body;
    const card = (await r.api<{ calls: Call[] }>('GET', `/api/contacts/${contact.id}`, pm.token)).body;
    expect(card.calls.find((c) => c.id === incoming.id)?.comment?.text).toBe('Договорились выслать КП до пятницы');

    // Edited by a colleague who was offered the call: the text and the author change.
    const edited = await put(incoming.id, to2.token, { text: 'КП отправлено, ждём ответа' });
    expect(edited.status).toBe(200);
    expect(edited.body.comment).toMatchObject({ text: 'КП отправлено, ждём ответа', by: { id: to2.employee.id, name: 'Петров Пётр' } });
    expect((await get(incoming.id)).comment).toEqual(edited.body.comment);

    // Empty (or only spaces) removes it.
    const cleared = await put(incoming.id, to1.token, { text: '   ' });
    expect(cleared.status).toBe(200);
    expect(cleared.body.comment).toBeNull();
    expect((await get(incoming.id)).comment).toBeNull();
    expect((await put(incoming.id, to1.token, { text: '' })).body.comment).toBeNull(); // nothing to remove: still fine
  });

  it('lets the employee who took, made or was offered the call and admins write; others get 403 or 404 as for reading the call', async () => {
    expect((await put(incoming.id, r.adminToken, { text: 'Админ: проверено' })).status).toBe(200);
    expect((await put(incoming.id, to1.token, { text: 'Принял звонок' })).status).toBe(200);
    expect((await put(incoming.id, to2.token, { text: 'Был в очереди' })).status).toBe(200);
    expect((await put(outgoing.id, pm.token, { text: 'Мой исходящий' })).status).toBe(200);
    expect((await put(outgoing.id, r.adminToken, { text: 'Админ: исходящий' })).status).toBe(200);

    // pm sees the company line's incoming call but took no part in it.
    const refused = await put(incoming.id, pm.token, { text: 'чужой' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden', message: expect.stringMatching(/^Комментарий к звонку может оставить/) });
    // to1 cannot see pm's outgoing call at all: the same 404 as GET /api/calls/:id.
    expect((await r.api('GET', `/api/calls/${outgoing.id}`, to1.token)).status).toBe(404);
    const hidden = await put(outgoing.id, to1.token, { text: 'чужой' });
    expect(hidden.status).toBe(404);
    expect(hidden.body.message).toBe('Звонок не найден');
    expect((await put(999_999, r.adminToken, { text: 'x' })).status).toBe(404);
    // No session.
    expect((await put(incoming.id, null, { text: 'x' })).status).toBe(401);
    expect((await put(incoming.id, 'not-a-token', { text: 'x' })).status).toBe(401);
    // Nothing the refused ones sent was stored.
    expect((await get(incoming.id)).comment?.text).toBe('Был в очереди');
    expect((await get(outgoing.id)).comment?.text).toBe('Админ: исходящий');
  });

  it('tells each viewer whether they may write the comment (canComment): in the history, the call, their feed', async () => {
    const listed = async (who: Person | null, id: number) =>
      (await r.api<{ calls: Call[] }>('GET', '/api/calls?limit=50', who ? who.token : r.adminToken)).body.calls.find((c) => c.id === id)?.canComment;
    // The admin: every call. to1 took the incoming call, to2 was offered it; pm sees it (the
    // company line's) but took no part, and made the outgoing one, which to1 does not see.
    expect(await listed(null, incoming.id)).toBe(true);
    expect(await listed(null, outgoing.id)).toBe(true);
    expect(await listed(to1, incoming.id)).toBe(true);
    expect(await listed(to2, incoming.id)).toBe(true);
    expect(await listed(pm, incoming.id)).toBe(false);
    expect(await listed(pm, outgoing.id)).toBe(true);
    expect(await listed(to1, outgoing.id)).toBeUndefined();
    expect((await get(incoming.id, pm.token)).canComment).toBe(false);
    expect((await get(incoming.id, to2.token)).canComment).toBe(true);
    expect((await get(outgoing.id)).canComment).toBe(true);
    // A call nobody took (no employee): a plain no for pm, not a null; yes for those it was offered.
    await postSigned(r.webhookBase, 'events/call', ivr('CM-NOBODY', 'Appeared', 1));
    await postSigned(r.webhookBase, 'events/call', ivr('CM-NOBODY', 'Disconnected', 2));
    const at = start + 1000 + ++seq;
    await postSigned(r.webhookBase, 'events/summary', {
      entry_id: 'CM-NOBODY', call_direction: 1, from: { number: CALLER }, to: { number: LINE }, line_number: LINE,
      create_time: at - 30, forward_time: 0, talk_time: 0, end_time: at, entry_result: 0, disconnect_reason: 1110,
    });
    await r.settle();
    const nobody = (await r.api<{ calls: Call[] }>('GET', '/api/calls', r.adminToken)).body.calls.find((c) => c.entryId === 'CM-NOBODY')!;
    expect(nobody).toMatchObject({ status: 'missed', employee: null });
    expect(await listed(pm, nobody.id)).toBe(false);
    expect(await listed(to1, nobody.id)).toBe(true);
    expect((await r.api<{ calls: Call[] }>('GET', '/api/missed', to2.token)).body.calls.find((c) => c.id === nobody.id)?.canComment).toBe(true);
    expect((await r.api<{ calls: Call[] }>('GET', '/api/missed', r.adminToken)).body.calls.find((c) => c.id === nobody.id)?.canComment).toBe(true);
    // A saved comment's answer is the writer's copy.
    expect((await put(outgoing.id, pm.token, { text: 'Мой исходящий' })).body.canComment).toBe(true);
    // Each one's feed copies say it for them (the replay here; live items are built the same way).
    for (const [who, id] of [[to1, incoming.id], [to2, incoming.id], [pm, outgoing.id]] as const) {
      const c = await TestFeedClient.connect(r.url, who.token);
      await c.synced();
      const copies = c.items.flatMap((i) => (i.payload.kind === 'call' && i.payload.call.id === id ? [i.payload.call] : []));
      expect(copies.length, who.employee.name).toBeGreaterThan(0);
      expect(copies.map((x) => x.canComment)).toEqual(copies.map(() => true));
      // pm's feed never had the incoming call: nothing there to offer the action on.
      if (who === pm) expect(c.items.some((i) => i.payload.kind === 'call' && i.payload.call.id === incoming.id)).toBe(false);
      c.close();
    }
  });

  it('refuses malformed comments with 400 naming the field; 2000 characters (emoji count once) are fine', async () => {
    for (const body of [{}, { text: 5 }, { text: null }, { text: 'x'.repeat(2001) }, { text: '😀'.repeat(2001) }, { text: 'a\u0000b' }, { text: 'x\ud800' }]) {
      const res = await put(incoming.id, to1.token, body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(res.body.message).toMatch(/^Неверный запрос: text — /);
    }
    expect((await put(incoming.id, to1.token, { text: 'x'.repeat(2001) })).body.message).toContain('не длиннее 2000 символов');
    expect((await r.api('PUT', '/api/calls/1.5/comment', to1.token, { text: 'x' })).status).toBe(400);
    const emoji = await put(incoming.id, to1.token, { text: '😀'.repeat(2000) });
    expect(emoji.status).toBe(200);
    expect([...emoji.body.comment!.text]).toHaveLength(2000);
    expect((await put(incoming.id, to1.token, { text: 'x'.repeat(2000) })).status).toBe(200);
  });

  it('keeps the comment when the reducer re-reduces the call: on a later event, and from all its events again', async () => {
    expect((await put(incoming.id, to1.token, { text: 'Перезвонить в понедельник' })).status).toBe(200);
    const before = await get(incoming.id);
    expect(before.recordings.map((x) => x.state)).not.toContain('available');

    // The recording's record/added arrives: the call is reduced again and its view rewritten.
    const socket = await TestFeedClient.connect(r.url, to2.token);
    await socket.synced();
    const seen = socket.items.length;
    await send(lastEvent);
    const after = await get(incoming.id);
    expect(after.recordings.map((x) => x.state)).toContain('available');
    expect(after.comment).toEqual(before.comment);
    // And the item that update sent carries it: the apps' copies keep the comment too.
    await socket.waitFor(() => socket.items.slice(seen).some((i) => i.payload.kind === 'call' && i.payload.call.id === incoming.id), 5000, 'the re-reduced call');
    const pushed = socket.items.slice(seen).filter((i) => i.payload.kind === 'call' && i.payload.call.id === incoming.id).at(-1)!.payload as CallItem;
    expect(pushed.call.recordings.map((x) => x.state)).toContain('available');
    expect(pushed.call.comment).toEqual(before.comment);
    socket.close();

    // Every event reduced again from scratch (the stored view spoilt first, to see it rewritten).
    await r.relay.ctx.db.query(`UPDATE calls SET reduced = NULL, view = view || '{"talkSeconds": 1}'::jsonb WHERE id = $1`, [incoming.id]);
    expect((await get(incoming.id)).talkSeconds).toBe(1);
    await r.relay.ctx.db.query("INSERT INTO reduce_queue (event_id) SELECT id FROM mango_events WHERE entry_id = 'CM-IN' ON CONFLICT DO NOTHING");
    r.relay.ctx.reducer.schedule();
    await r.settle();
    const again = await get(incoming.id);
    expect(again.talkSeconds).toBe(before.talkSeconds);
    expect(again.comment).toEqual(before.comment);
  });

  it('pushes the commented call to everyone who has it, live; a ringing popup stays open; the next call lists it with its comment', async () => {
    const [a, b, p] = await Promise.all([to1, to2, pm].map((e) => TestFeedClient.connect(r.url, e.token)));
    await Promise.all([a, b, p].map((c) => c.synced()));
    const mark = (c: TestFeedClient) => c.items.length;
    const [ma, mb, mp] = [mark(a), mark(b), mark(p)];

    const saved = await put(incoming.id, to1.token, { text: 'Договорились выслать КП до пятницы' });
    expect(saved.status).toBe(200);
    const pushedTo = async (c: TestFeedClient, from: number) => {
      await c.waitFor(() => c.items.slice(from).some((i) => i.payload.kind === 'call' && i.payload.call.id === incoming.id), 5000, 'the commented call');
      return c.items.slice(from).find((i) => i.payload.kind === 'call' && i.payload.call.id === incoming.id)!.payload as CallItem;
    };
    for (const [c, from] of [[a, ma], [b, mb]] as const) {
      const item = await pushedTo(c, from);
      expect(item.call.comment).toEqual(saved.body.comment);
      expect(item).toMatchObject({ popup: false, offered: true, contact: { name: 'ООО «Ромашка»' } });
    }
    // Saved again unchanged: nothing new is sent.
    const [na, nb] = [mark(a), mark(b)];
    expect((await put(incoming.id, to1.token, { text: 'Договорились выслать КП до пятницы' })).status).toBe(200);

    // The same caller rings again: the popup's «Последние звонки» carries the comment.
    await postSigned(r.webhookBase, 'events/call', ivr('CM-NEXT', 'Appeared', 1));
    await b.waitFor(() => callItems(b, 'CM-NEXT').some((x) => x.popup), 5000, 'the next call’s popup');
    const popup = callItems(b, 'CM-NEXT').find((x) => x.popup)!;
    expect(popup.recentCalls.find((c) => c.id === incoming.id)?.comment?.text).toBe('Договорились выслать КП до пятницы');
    expect(a.items.slice(na).filter((i) => i.payload.kind === 'call' && i.payload.call.id === incoming.id)).toEqual([]);
    expect(b.items.slice(nb).filter((i) => i.payload.kind === 'call' && i.payload.call.id === incoming.id)).toEqual([]);

    // A comment on the ringing call (to2 is offered it): everyone's popup stays open.
    const next = callItems(b, 'CM-NEXT').at(-1)!.call;
    const mb2 = mark(b);
    const live = await put(next.id, to2.token, { text: 'Звонит снова, по КП' });
    expect(live.status).toBe(200);
    await b.waitFor(() => callItems(b, 'CM-NEXT').length > 0 && b.items.slice(mb2).some((i) => i.payload.kind === 'call' && i.payload.call.id === next.id), 5000, 'the commented ringing call');
    const ringing = b.items.slice(mb2).find((i) => i.payload.kind === 'call' && i.payload.call.id === next.id)!.payload as CallItem;
    expect(ringing).toMatchObject({ popup: true, call: { phase: 'ivr', comment: { text: 'Звонит снова, по КП' } } });
    expect(ringing.recentCalls.find((c) => c.id === incoming.id)?.comment?.text).toBe('Договорились выслать КП до пятницы');
    await postSigned(r.webhookBase, 'events/call', ivr('CM-NEXT', 'Disconnected', 2));
    await r.settle();

    // pm took no part in either call: nothing about them reached pm's app.
    await new Promise((res) => setTimeout(res, 200));
    expect(p.items.slice(mp).filter((i) => i.payload.kind === 'call' && [incoming.id, next.id].includes(i.payload.call.id))).toEqual([]);
    [a, b, p].forEach((c) => c.close());
  });
});

describe('feed items’ canComment', () => {
  const view = { id: 7, comment: null } as unknown as Call;
  const plan = (involved?: Set<number>) => ({
    callId: 7,
    call: { clientNumber: null } as unknown as ReducedCall,
    view,
    popups: new Set<number>(),
    offered: new Set([1]),
    involved,
    audience: new Set([1, 2, 3]),
  });
  const flags = (items: ReturnType<typeof feedItems>) =>
    items.map((i) => (i.payload.kind === 'call' ? [i.employeeId, i.payload.call.canComment] : null));

  it('is each recipient’s own: offered or took part, yes; otherwise no; the shared view is not touched', () => {
    expect(flags(feedItems([plan(new Set([2]))], []))).toEqual([[1, true], [2, true], [3, false]]);
    expect(view).not.toHaveProperty('canComment');
  });

  it('is left out where the plan does not know who took part, except for the offered', () => {
    expect(flags(feedItems([plan()], []))).toEqual([[1, true], [2, undefined], [3, undefined]]);
  });
});
