/** Missed calls to call back and unread inbox mail, as the core counts them (sidebar badges, title). */
import { create } from 'zustand';
import type { Attention } from '../../src-shared/ipc/app';
import { call } from '../api';

interface AttentionStore extends Attention {
  init(): Promise<void>;
  apply(a: Attention): void;
}

export const useAttention = create<AttentionStore>((set) => ({
  missedCalls: 0,
  unreadMail: 0,
  async init() {
    try {
      set(await call('app:attention'));
    } catch {
      // The event brings it with the next change.
    }
  },
  apply(a) {
    set(a);
  },
}));
