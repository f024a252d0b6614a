/** Contacts known to the app, indexed by phone so lists can show names next to numbers. */
import { create } from 'zustand';
import type { Contact } from '../../src-shared/wire';
import { normalizePhone } from '../format';
import { call } from '../api';

interface ContactsStore {
  byId: Map<number, Contact>;
  byPhone: Map<string, Contact>;
  loaded: boolean;
  load(): Promise<void>;
  upsert(c: Contact): void;
  upsertMany(list: Contact[]): void;
  remove(id: number): void;
}

function rebuild(byId: Map<number, Contact>): Map<string, Contact> {
  const m = new Map<string, Contact>();
  for (const c of byId.values()) {
    for (const ph of c.phones) {
      const n = normalizePhone(ph);
      if (n) m.set(n, c);
    }
  }
  return m;
}

export const useContacts = create<ContactsStore>((set, get) => ({
  byId: new Map(),
  byPhone: new Map(),
  loaded: false,
  async load() {
    try {
      const list = await call('contacts:list', {});
      const byId = new Map(list.map((c) => [c.id, c] as const));
      set({ byId, byPhone: rebuild(byId), loaded: true });
    } catch {
      set({ loaded: true });
    }
  },
  upsert(c) {
    get().upsertMany([c]);
  },
  upsertMany(list) {
    let byId: Map<number, Contact> | null = null;
    for (const c of list) {
      const prev = (byId ?? get().byId).get(c.id);
      if (prev && prev.updatedAt === c.updatedAt && prev.phones.join() === c.phones.join() && prev.name === c.name) continue;
      byId ??= new Map(get().byId);
      byId.set(c.id, c);
    }
    // The phone index is rebuilt once per batch (a replay brings thousands of cards).
    if (byId) set({ byId, byPhone: rebuild(byId) });
  },
  remove(id) {
    if (!get().byId.has(id)) return;
    const byId = new Map(get().byId);
    byId.delete(id);
    set({ byId, byPhone: rebuild(byId) });
  },
}));

export function contactForNumber(byPhone: Map<string, Contact>, raw: string | null | undefined): Contact | null {
  const n = normalizePhone(raw);
  return n ? (byPhone.get(n) ?? null) : null;
}
