/**
 * The app core (plain Node, no Electron) for tests against a real relay: a fresh user-data dir,
 * fast reconnects, everything it emits recorded, and all of it cleaned up after each test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, vi } from 'vitest';
import { createAppCore, type AppCore, type AppCoreOptions } from '../../src-main/core/app-core';
import { KeyFileSecretBox } from '../../src-main/core/secrets/key-file-secret-box';
import { silentLogger } from '../../src-main/core/log';
import type { AppliedFeedItem, ConnectionState, CallPopup, SessionState } from '../../src-shared/ipc/telephony';

export interface Recorder {
  feed: AppliedFeedItem[];
  connection: ConnectionState[];
  popups: CallPopup[];
  sessions: SessionState[];
}

/** Registers the per-test cleanup; `cleanup` takes more (relays, proxies) in the order to undo. */
export function liveCoreHarness(dirPrefix: string) {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  }, 60_000);

  function tmpDir(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix));
    cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
    return d;
  }

  async function openCore(dir = tmpDir(), extra: Partial<AppCoreOptions> = {}): Promise<{ core: AppCore; rec: Recorder }> {
    const core = await createAppCore({
      ...extra,
      userDataDir: dir,
      secretBox: new KeyFileSecretBox(dir),
      log: silentLogger,
      feed: { backoff: { baseMs: 50, maxMs: 200 }, heartbeatTimeoutMs: 1500, pingIntervalMs: 300, handshakeTimeoutMs: 2000 },
    });
    const rec: Recorder = { feed: [], connection: [], popups: [], sessions: [] };
    core.on('feed', (i) => rec.feed.push(i));
    core.on('connection', (c) => rec.connection.push(c));
    core.on('popup', (p) => rec.popups.push(p));
    core.on('session', (s) => rec.sessions.push(s));
    // A test may close it itself (an app quitting): not closed twice.
    let closed = false;
    cleanup.push(() => !closed && core.close());
    const origClose = core.close;
    core.close = async () => {
      closed = true;
      await origClose();
    };
    return { core, rec };
  }

  return { cleanup, tmpDir, openCore };
}

export const connected = (core: AppCore, timeout = 10_000) =>
  vi.waitFor(async () => expect(await core.api.invoke('connection:state', undefined)).toMatchObject({ state: 'connected' }), { timeout, interval: 20 });
