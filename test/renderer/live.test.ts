/**
 * Browser-mode missed-call notifications (src-renderer/stores/live.ts): news is what the core
 * marks as happened during this session, whatever this computer's clock says against the relay's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppliedFeedItem } from '../../src-shared/ipc/telephony';
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
