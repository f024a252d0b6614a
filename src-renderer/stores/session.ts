/** Session (login, logout, who am I) and the live "Приём звонков" flag of the current employee. */
import { create } from 'zustand';
import type { SessionState } from '../../src-shared/ipc/telephony';
import type { Employee, StatusChange } from '../../src-shared/wire';
import { call, toAppError } from '../api';

interface SessionStore {
  /** null until the first answer from the core. */
  session: SessionState | null;
  loadError: string | null;
  /** Why the user was logged out (token expired…), shown on the login screen. */
  loggedOutReason: string | null;
  togglingAccept: boolean;
  /** Set when someone else (an admin) changed my flag; cleared on my own change. */
  acceptChangedBy: string | null;
  init(): Promise<void>;
  login(relayUrl: string, login: string, password: string): Promise<void>;
  logout(): Promise<void>;
  setAcceptCalls(on: boolean): Promise<void>;
  applySession(s: SessionState): void;
  applyEmployee(e: Employee): void;
  applyStatus(c: StatusChange): void;
  setLoggedOutReason(reason: string | null): void;
}

export const useSession = create<SessionStore>((set, get) => ({
  session: null,
  loadError: null,
  loggedOutReason: null,
  togglingAccept: false,
  acceptChangedBy: null,

  async init() {
    try {
      const s = await call('session:state');
      set({ session: s, loadError: null });
    } catch (e) {
      set({ loadError: toAppError(e).message });
    }
  },

  async login(relayUrl, login, password) {
    const s = await call('session:login', { relayUrl, login, password });
    set({ session: s, loggedOutReason: null, acceptChangedBy: null });
  },

  async logout() {
    try {
      await call('session:logout');
    } finally {
      const s = get().session;
      set({ session: s ? { ...s, loggedIn: false, me: null } : s, acceptChangedBy: null });
    }
  },

  async setAcceptCalls(on) {
    const s = get().session;
    if (!s?.me) return;
    const before = s.me;
    set({ togglingAccept: true, session: { ...s, me: { ...before, acceptCalls: on } }, acceptChangedBy: null });
    try {
      const me = await call('me:setAcceptCalls', { acceptCalls: on });
      get().applyEmployee(me);
    } catch (e) {
      const cur = get().session;
      if (cur?.me && cur.me.id === before.id) set({ session: { ...cur, me: { ...cur.me, acceptCalls: before.acceptCalls } } });
      throw toAppError(e);
    } finally {
      set({ togglingAccept: false });
    }
  },

  applySession(s) {
    const prev = get().session;
    set({ session: s, ...(prev?.loggedIn && !s.loggedIn ? { acceptChangedBy: null } : {}) });
  },

  applyEmployee(e) {
    const s = get().session;
    if (!s?.me || s.me.id !== e.id) return;
    set({ session: { ...s, me: { ...s.me, ...e } } });
  },

  applyStatus(c) {
    const s = get().session;
    if (!s?.me || s.me.id !== c.employeeId) return;
    const byOther = c.changedBy != null && c.changedBy !== s.me.id;
    set({
      session: { ...s, me: { ...s.me, acceptCalls: c.acceptCalls } },
      acceptChangedBy: byOther ? (c.changedByName ?? '') : null,
    });
  },

  setLoggedOutReason(reason) {
    set({ loggedOutReason: reason });
  },
}));

export function useMe(): Employee | null {
  return useSession((s) => s.session?.me ?? null);
}

export function useIsAdmin(): boolean {
  return useSession((s) => s.session?.me?.role === 'admin');
}
