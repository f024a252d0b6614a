/**
 * Preferences of this computer. The IPC contract has no settings requests yet, so they live in
 * localStorage (see the report: `settings:get` / `settings:set` would let the shell honour them).
 */
import { create } from 'zustand';

export type PopupWhen = 'ring' | 'answer' | 'never';
export type PopupPosition = 'bottom-right' | 'top-right' | 'bottom-left' | 'top-left';

export interface LocalSettings {
  startAtLogin: boolean;
  popupWhen: PopupWhen;
  popupPosition: PopupPosition;
  /** Seconds a popup stays after its call ended. */
  popupLingerSec: number;
  /** Caller IDs shorter than this (internal extensions) do not pop up. */
  minCallerDigits: number;
  sound: boolean;
}

export const DEFAULT_SETTINGS: LocalSettings = {
  startAtLogin: true,
  popupWhen: 'ring',
  popupPosition: 'bottom-right',
  popupLingerSec: 5,
  minCallerDigits: 5,
  sound: true,
};

const KEY = 'asgard.settings.v1';

function load(): LocalSettings {
  try {
    const raw = typeof localStorage !== 'undefined' ? localStorage.getItem(KEY) : null;
    if (!raw) return { ...DEFAULT_SETTINGS };
    const parsed = JSON.parse(raw) as Partial<LocalSettings>;
    return { ...DEFAULT_SETTINGS, ...parsed };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

interface SettingsStore {
  settings: LocalSettings;
  update(patch: Partial<LocalSettings>): void;
}

export const useSettings = create<SettingsStore>((set, get) => ({
  settings: load(),
  update(patch) {
    const settings = { ...get().settings, ...patch };
    set({ settings });
    try {
      localStorage.setItem(KEY, JSON.stringify(settings));
    } catch {
      // Storage full or disabled: keep in memory.
    }
  },
}));
