/**
 * Browser-mode missed-call notifications (src-renderer/stores/live.ts): news is what the core
 * marks as happened during this session, whatever this computer's clock says against the relay's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppliedFeedItem } from '../../src-shared/ipc/telephony';
import type { CommandFailure } from '../../src-shared/wire';
import { callItem, makeCall } from './fixtures';

const HOUR = 3_600_000;

/** A browser's Notification that records what was shown. */
function fakeNotifications() {
  const shown: { title: string; tag?: string }[] = [];
  class FakeNotification {
    static permission = 'granted';
    constructor(title: string, opts?: { tag?: string }) {
      shown.push({ title, tag: opts?.tag });
    }
  }
  vi.stubGlobal('Notification', FakeNotification);
  return shown;
}

/** live.ts as a window whose clock is `skewMs` off the relay's starts it (fresh module state). */
async function rendererWithClock(skewMs: number) {
  const relayNow = Date.now();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(relayNow + skewMs);
  vi.resetModules();
  const live = await import('../../src-renderer/stores/live');
  return { live, relayNow };
}

const missed = (id: number, at: number, news: boolean, extra: Partial<Parameters<typeof makeCall>[0]> = {}): AppliedFeedItem => ({
  ...callItem(makeCall({ id, status: 'missed', phase: 'ended', ...extra }), { id: 1000 + id + (news ? 500 : 0) }),
  at: new Date(at).toISOString(),
  news,
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('missed-call notifications in the browser', () => {
  for (const [name, skew] of [
    ['2 hours ahead of', 2 * HOUR],
    ['2 hours behind', -2 * HOUR],
    ['in step with', 0],
  ] as const) {
    it(`clock ${name} the relay's: a missed call of this session notifies once, the history replayed at start never`, async () => {
      const shown = fakeNotifications();
      const { live, relayNow } = await rendererWithClock(skew);
      // The replay at start: calls missed five minutes and a day ago (by the relay's clock).
      live.applyFeedItems([missed(1, relayNow - 5 * 60_000, false)]);
      live.applyFeedItems([missed(2, relayNow - 24 * HOUR, false)]);
      expect(shown).toEqual([]);
      // Live: a call is missed now; its recording arrives in a later item of the same call.
      live.applyFeedItems([missed(3, relayNow, true)]);
      live.applyFeedItems([missed(3, relayNow + 30_000, true, { recordings: [{ id: 'r3', state: 'available' }] })]);
      // A live answered call and a missed one that rang for others only say nothing.
      const othersOnly = missed(4, relayNow, true);
      if (othersOnly.payload.kind === 'call') othersOnly.payload.offered = false;
      live.applyFeedItems([othersOnly]);
      live.applyFeedItems([{ ...callItem(makeCall({ id: 5, status: 'answered' })), at: new Date(relayNow).toISOString(), news: true }]);
      // A call missed while the connection was down comes in a reconnect's replay: news too.
      live.applyFeedItems([missed(6, relayNow + 60_000, true)]);
      expect(shown.map((n) => n.tag)).toEqual(['missed-3', 'missed-6']);
    });
  }
});

describe('a command Mango reported as failed after accepting it', () => {
  const failed = (id: number, news: boolean, command: Partial<CommandFailure> = {}): AppliedFeedItem => ({
    id,
    at: new Date().toISOString(),
    news,
    payload: {
      kind: 'command-failed',
      command: { commandId: `c${id}`, action: 'callback', target: '+79167654321', callId: null, result: 2240, reason: 'нет денег (код 2240)', ...command },
    },
  });

  it('a click-to-call’s failure is a toast with the number; a transfer’s waits in its call’s popup card; history says nothing', async () => {
    vi.resetModules();
    const live = await import('../../src-renderer/stores/live');
    const { useToasts } = await import('../../src-renderer/stores/toasts');
    const { useCommandFailures } = await import('../../src-renderer/stores/command-failures');
    const { usePopups } = await import('../../src-renderer/stores/popups');
    live.applyFeedItems([failed(1, false), failed(2, false, { action: 'transfer', callId: 7, target: 'Петров Пётр' })]);
    expect(useToasts.getState().toasts).toEqual([]);
    expect(useCommandFailures.getState().transfers.size).toBe(0);

    live.applyFeedItems([failed(3, true)]);
    expect(useToasts.getState().toasts.map((t) => [t.kind, t.title, t.text])).toEqual([['error', 'Не удалось позвонить на +7 (916) 765-43-21', 'нет денег (код 2240)']]);

    // The call's card is open here: the failure is said in it, not in a toast over it.
    usePopups.setState({ popups: [{ callId: 7 } as never] });
    live.applyFeedItems([failed(4, true, { action: 'transfer', callId: 7, target: 'Петров Пётр', result: 4101, reason: 'ваш разговор уже завершился' })]);
    expect(useCommandFailures.getState().transfers.get(7)).toMatchObject({ commandId: 'c4', reason: 'ваш разговор уже завершился' });
    expect(useToasts.getState().toasts).toHaveLength(1);
    // No card for the call (closed meanwhile): the main window says it.
    live.applyFeedItems([failed(5, true, { action: 'transfer', callId: 8, target: 'Петров Пётр', result: 4101, reason: 'ваш разговор уже завершился' })]);
    expect(useToasts.getState().toasts.at(-1)).toMatchObject({ title: 'Не удалось перевести звонок (кому: Петров Пётр)', text: 'ваш разговор уже завершился' });
    useCommandFailures.getState().clearTransfer(7);
    expect([...useCommandFailures.getState().transfers.keys()]).toEqual([8]);
  });

  it('in a browser tab in the background, also a browser notification', async () => {
    const shown = fakeNotifications();
    vi.resetModules();
    const live = await import('../../src-renderer/stores/live');
    vi.stubGlobal('document', { hidden: false });
    live.applyFeedItems([failed(10, true)]);
    expect(shown).toEqual([]);
    vi.stubGlobal('document', { hidden: true });
    live.applyFeedItems([failed(11, true)]);
    expect(shown).toEqual([{ title: 'Не удалось позвонить на +7 (916) 765-43-21', tag: 'command-c11' }]);
  });
});

describe('a contact an admin deleted', () => {
  it('is forgotten by the window’s contacts, replayed or live', async () => {
    vi.resetModules();
    const live = await import('../../src-renderer/stores/live');
    const { useContacts } = await import('../../src-renderer/stores/contacts');
    const contact = (id: number) => ({ id, name: `К${id}`, company: '', phones: [`+7916000000${id}`], emails: [], note: '', createdAt: '', updatedAt: '' });
    useContacts.getState().upsertMany([contact(1), contact(2), contact(3)]);
    live.applyFeedItems([{ id: 1, at: new Date().toISOString(), news: false, payload: { kind: 'contact-deleted', contactIds: [1, 3] } }]);
    expect([...useContacts.getState().byId.keys()]).toEqual([2]);
    expect(useContacts.getState().byPhone.has('+79160000001')).toBe(false);
  });
});
