/**
 * What waits for the user (sidebar badges, window title, tray, taskbar): the core counts missed
 * calls to call back from a real relay and unread inbox mail from the real mail service on
 * Dovecot, and pushes a new figure to the renderer and the shell when one changes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRelay, TEST_MANGO_KEY, TEST_MANGO_SALT, type TestRelay } from '../support/relay';
import { buildScenario, deliver } from '../../tools/mango-sim/index';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { accountInput, testMessages } from '../mail/helpers';
import { connected, liveCoreHarness } from './live-core';
import { createMailFactory } from '../../src-main/core/mail-adapter';
import { AttentionTracker } from '../../src-main/core/attention';
import type { Attention } from '../../src-shared/ipc/app';
import type { Call } from '../../src-shared/wire';
import type { MailAccountView, MailSummary } from '../../src-shared/ipc/mail';

const PASSWORD = 'password-attention';
const mailUser = { user: 'attention@example.test', pass: 'attention-pass' };
let r: TestRelay;
let dc: Dovecot;
let seq = 0;
// Recent: the relay lists missed calls of the last days only.
const T0 = Math.floor(Date.now() / 1000) - 3600;

beforeAll(async () => {
  r = await startTestRelay();
  await r.createEmployee({ login: 'att-to', role: 'to', extension: '131', password: PASSWORD });
  dc = await startDovecot({ users: [mailUser] });
}, 60_000);
afterAll(async () => {
  await r?.close();
  await dc?.stop();
});

const { openCore } = liveCoreHarness('asgard-attention-');

async function missedCall(entryId: string, caller = `7903111${String(seq + 1).padStart(4, '0')}`): Promise<void> {
  const events = buildScenario('directToExtension', { entryId, extension: '131', answered: false, caller, start: T0 + ++seq * 10 });
  expect((await deliver(r.webhookBase, events, { apiKey: TEST_MANGO_KEY, apiSalt: TEST_MANGO_SALT })).failed).toBe(0);
}

describe('attention counts', () => {
  it('counts callers to call back, from the same read as the list: new ones, a dismissed caller, none after logging out', async () => {
    const { core } = await openCore();
    const pushed: Attention[] = [];
    const shell: Attention[] = [];
    const lists: Call[][] = [];
    core.on('attention', (a) => pushed.push(a));
    core.on('missed', (calls) => lists.push(calls));
    core.onShell('attention', (a) => shell.push(a));
    await core.api.invoke('session:login', { relayUrl: r.url, login: 'att-to', password: PASSWORD });
    await connected(core);
    expect(await core.api.invoke('app:attention', undefined)).toEqual({ missedCalls: 0, unreadMail: 0 });

    await missedCall('ATT-1');
    await missedCall('ATT-2');
    await r.settle();
    await vi.waitFor(async () => expect(await core.api.invoke('app:attention', undefined)).toEqual({ missedCalls: 2, unreadMail: 0 }), { timeout: 10_000 });
    // Pushed as it changed, the same to the renderer and to the shell; never a repeat.
    expect(pushed.at(-1)).toEqual({ missedCalls: 2, unreadMail: 0 });
    expect(shell).toEqual(pushed);
    for (let i = 1; i < pushed.length; i++) expect(pushed[i]).not.toEqual(pushed[i - 1]);

    // The list the renderer gets is the read the figure was counted from.
    expect(lists.at(-1)).toHaveLength(2);

    // The first caller again: three calls, still two callers (one row each).
    await missedCall('ATT-3', '79031110001');
    await r.settle();
    await vi.waitFor(() => expect(lists.at(-1)).toHaveLength(3), { timeout: 10_000 });
    expect(pushed.at(-1)).toEqual({ missedCalls: 2, unreadMail: 0 });

    // «×» on that caller's row: both of their calls in one request.
    const listed = await core.api.invoke('missed:list', undefined);
    const again = listed.filter((c) => c.clientNumber === listed.find((x) => x.entryId === 'ATT-3')!.clientNumber);
    expect(again.map((c) => c.entryId).sort()).toEqual(['ATT-1', 'ATT-3']);
    await core.api.invoke('missed:dismiss', { callIds: again.map((c) => c.id) });
    await vi.waitFor(() => expect(pushed.at(-1)).toEqual({ missedCalls: 1, unreadMail: 0 }), { timeout: 5_000 });
    expect(lists.at(-1)!.map((c) => c.entryId)).toEqual(['ATT-2']);
    // The older single-call form still works.
    await core.api.invoke('missed:dismiss', { callId: lists.at(-1)![0].id });
    await vi.waitFor(() => expect(pushed.at(-1)).toEqual({ missedCalls: 0, unreadMail: 0 }), { timeout: 5_000 });
    expect(lists.at(-1)).toEqual([]);
    await missedCall('ATT-4');
    await r.settle();
    await vi.waitFor(() => expect(pushed.at(-1)).toEqual({ missedCalls: 1, unreadMail: 0 }), { timeout: 10_000 });

    await core.api.invoke('session:logout', undefined);
    await vi.waitFor(() => expect(pushed.at(-1)).toEqual({ missedCalls: 0, unreadMail: 0 }), { timeout: 5_000 });
  }, 60_000);

  it('counts unread mail in the inbox, following reads and new mail', async () => {
    dc.seedMaildir(mailUser.user, testMessages(mailUser.user, 'Входящее', 5));
    const { core } = await openCore(undefined, { mailFactory: createMailFactory() });
    const pushed: Attention[] = [];
    core.on('attention', (a) => pushed.push(a));
    const acc = (await core.api.invoke('mail:accounts:save', accountInput(dc, mailUser, { smtpPort: 1 }))) as MailAccountView;
    await vi.waitFor(() => expect(pushed.at(-1)?.unreadMail).toBe(5), { timeout: 20_000 });

    const inbox = (await core.api.invoke('mail:folders:list', { accountId: acc.id })).find((f) => f.path === 'INBOX')!;
    const { items } = (await core.api.invoke('mail:messages:list', { folderId: inbox.id, offset: 0, limit: 10 })) as { items: MailSummary[] };
    await core.api.invoke('mail:messages:setFlags', { ids: items.slice(0, 2).map((m) => m.id), seen: true });
    await vi.waitFor(() => expect(pushed.at(-1)?.unreadMail).toBe(3), { timeout: 5_000 });

    // Mail in other folders does not count; new inbox mail does.
    await dc.deliver(mailUser.user, testMessages(mailUser.user, 'Новое', 1)[0]);
    await core.api.invoke('mail:accounts:syncNow', { id: acc.id });
    await vi.waitFor(() => expect(pushed.at(-1)?.unreadMail).toBe(4), { timeout: 10_000 });
    await core.api.invoke('mail:folders:markSeen', { folderId: inbox.id });
    await vi.waitFor(() => expect(pushed.at(-1)?.unreadMail).toBe(0), { timeout: 5_000 });
  }, 60_000);
});

describe('AttentionTracker', () => {
  it('reads once per quiet spell, skips unreadable figures and repeats, stops when closed', async () => {
    let reads = 0;
    let missed: number | null = 3;
    const out: Attention[] = [];
    const t: AttentionTracker = new AttentionTracker({
      // As the core's reader: it reports what it read, unless it could not read.
      refreshMissed: async () => {
        reads++;
        if (missed !== null) t.setMissed(missed);
      },
      readUnreadMail: async () => null,
      emit: (a) => out.push(a),
      debounceMs: 20,
      log: () => undefined,
    });
    for (let i = 0; i < 1000; i++) t.missedChanged();
    t.mailChanged();
    await vi.waitFor(() => expect(out).toEqual([{ missedCalls: 3, unreadMail: 0 }]));
    expect(reads).toBe(1);
    t.missedChanged();
    await new Promise((res) => setTimeout(res, 60));
    expect(reads).toBe(2);
    expect(out).toHaveLength(1); // the same figure again is not news
    missed = null; // the relay unreachable: the last figure stays
    t.missedChanged();
    await new Promise((res) => setTimeout(res, 60));
    expect(t.current()).toEqual({ missedCalls: 3, unreadMail: 0 });
    t.close();
    t.setMissed(7);
    t.missedChanged();
    await new Promise((res) => setTimeout(res, 60));
    expect(out).toHaveLength(1);
  });
});
