/**
 * The relay's telephony setup as an employee may know it (switched on, how calls are routed):
 * read when the main page opens and kept current by the feed's `telephony` items, so the page
 * rewords «Приём звонков» the moment an admin changes it.
 */
import { create } from 'zustand';
import type { TelephonyInfo } from '../../src-shared/wire';
import { call } from '../api';

interface TelephonyStore {
  info: TelephonyInfo | null;
  load(): Promise<void>;
  apply(info: TelephonyInfo): void;
}

export const useTelephony = create<TelephonyStore>((set) => ({
  info: null,
  async load() {
    try {
      set({ info: await call('telephony:info') });
    } catch {
      // Offline or an older relay: the generic wording stays.
    }
  },
  apply(info) {
    set({ info });
  },
}));
