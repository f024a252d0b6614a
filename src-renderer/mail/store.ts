/**
 * Mail UI state: accounts with their sync state, folders, the outbox count. Subscribes once to
 * the core's `mail:*` events; lists listen to `changed` ticks to reload what they show.
 */
import { create } from 'zustand';
import { call, on } from '../api';
import { saveBlob } from '../download';
import { base64ToBytes } from '../text-file';
import type { MailAccountState, MailAccountView, MailFolderView, MailOutboxItem } from '../../src-shared/ipc/mail';

interface MailState {
  loaded: boolean;
  error: string | null;
  accounts: MailAccountView[];
  states: Record<number, MailAccountState>;
  folders: MailFolderView[];
  outboxPending: number;
  /** Bumped per folder when its messages changed (lists reload). */
  changedTick: Record<number, number>;
  /** Bumped when anything changed (folder counts). */
  tick: number;
  load(): Promise<void>;
  reloadFolders(): Promise<void>;
  reloadOutbox(): Promise<void>;
}

let subscribed = false;
let folderTimer: ReturnType<typeof setTimeout> | null = null;

export const useMail = create<MailState>((set, get) => ({
  loaded: false,
  error: null,
  accounts: [],
  states: {},
  folders: [],
  outboxPending: 0,
  changedTick: {},
  tick: 0,
  async load() {
    subscribe();
    try {
      const [accounts, folders] = await Promise.all([call('mail:accounts:list'), call('mail:folders:list', {})]);
      const states: Record<number, MailAccountState> = { ...get().states };
      for (const a of accounts) states[a.id] = a.state;
      set({ accounts, folders, states, loaded: true, error: null });
      void get().reloadOutbox();
    } catch (e) {
      set({ loaded: true, error: e instanceof Error ? e.message : String(e) });
    }
  },
  async reloadFolders() {
    try {
      set({ folders: await call('mail:folders:list', {}) });
    } catch {
      /* shown on next load */
    }
  },
  async reloadOutbox() {
    try {
      const items = await call('mail:outbox:list', { includeSent: false });
      // Scheduled mail waits by choice: only mail stuck on its way counts as pending.
      set({ outboxPending: items.filter((i) => i.status !== 'scheduled').length });
    } catch {
      /* ignore */
    }
  },
}));

function scheduleFolders(): void {
  if (folderTimer) return;
  folderTimer = setTimeout(() => {
    folderTimer = null;
    void useMail.getState().reloadFolders();
  }, 300);
}

function subscribe(): void {
  if (subscribed) return;
  subscribed = true;
  on('mail:state', ({ accountId, state }) => {
    useMail.setState((s) => ({ states: { ...s.states, [accountId]: state } }));
    if (state.state === 'synced') scheduleFolders();
  });
  on('mail:changed', ({ folderIds }) => {
    useMail.setState((s) => {
      const changedTick = { ...s.changedTick };
      for (const id of folderIds) changedTick[id] = (changedTick[id] ?? 0) + 1;
      return { changedTick, tick: s.tick + 1 };
    });
    scheduleFolders();
  });
  on('mail:accounts', ({ accounts }) => {
    useMail.setState((s) => {
      const states = { ...s.states };
      for (const a of accounts) states[a.id] = states[a.id] ?? a.state;
      return { accounts, states };
    });
    scheduleFolders();
  });
  on('mail:outbox', (_item: MailOutboxItem) => {
    void useMail.getState().reloadOutbox();
  });
}

export function useFolder(id: number | null): MailFolderView | undefined {
  return useMail((s) => (id === null ? undefined : s.folders.find((f) => f.id === id)));
}

/**
 * Draft saves under way (the compose form's autosave, also the one made as it closes): the drafts
 * page waits for them, so a letter left a moment ago is already listed.
 */
let draftSaves: Promise<unknown> = Promise.resolve();
export function trackDraftSave<T>(p: Promise<T>): Promise<T> {
  draftSaves = Promise.all([draftSaves, p.catch(() => undefined)]);
  return p;
}
export function draftSavesSettled(): Promise<void> {
  return draftSaves.then(() => undefined);
}

/** Reads a File as base64 (without the data: prefix). */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error ?? new Error('read failed'));
    r.readAsDataURL(file);
  });
}

/** Saves base64 content as a download in the browser. */
export function downloadBase64(filename: string, contentType: string, dataBase64: string): void {
  saveBlob(new Blob([base64ToBytes(dataBase64)], { type: contentType || 'application/octet-stream' }), filename);
}
