/** The core's connection to the relay, with a local countdown for "Переподключение через N с". */
import { create } from 'zustand';
import type { ConnectionState } from '../../src-shared/ipc/telephony';
import { call } from '../api';

interface ConnectionStore {
  state: ConnectionState;
  /** performance.now() when the current state arrived; the countdown runs from there. */
  receivedAt: number;
  init(): Promise<void>;
  apply(s: ConnectionState): void;
}

export const useConnection = create<ConnectionStore>((set) => ({
  state: { state: 'connecting' },
  receivedAt: 0,
  async init() {
    try {
      const s = await call('connection:state');
      set({ state: s, receivedAt: Date.now() });
    } catch {
      // The event stream will bring it.
    }
  },
  apply(s) {
    set({ state: s, receivedAt: Date.now() });
  },
}));

/** Seconds left before the next reconnect attempt (never negative). */
export function secondsLeft(state: ConnectionState, receivedAt: number, now: number): number {
  if (state.state !== 'reconnecting') return 0;
  return Math.max(0, Math.ceil(state.retryInSec - (now - receivedAt) / 1000));
}
