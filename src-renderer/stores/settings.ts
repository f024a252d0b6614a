/**
 * The app's settings on this computer, owned by the core (`settings:get` / `settings:update`,
 * the `settings` event keeps every window in step: the main window, the popup window, the
 * tray's changes). "О программе" and the update channel's state live here too.
 */
import { create } from 'zustand';
import type { AboutInfo, Settings, SettingsPatch, SettingsUpdateResult, UpdateState } from '../../src-shared/ipc/app';
import { call, toAppError } from '../api';
import { isPopupWindow } from '../router';

export type { PopupPosition, PopupWhen } from '../../src-shared/ipc/app';

/** The core's defaults (src-shared/ipc/app.ts SettingsSchema), shown until its answer arrives. */
export const DEFAULT_SETTINGS: Settings = {
  relayUrl: '',
  login: '',
  popup: { when: 'ring', minDigits: 5, display: 'cursor', notification: true, position: 'bottom-right', durationSec: 0, sound: true },
  startAtLogin: false,
  mailNotifications: true,
  mailUndoSendSec: 5,
  updateUrl: '',
  language: 'ru',
};

/** Pure: the settings as they will be after `patch` (popup fields merged one by one). */
export function mergeSettings(s: Settings, patch: SettingsPatch): Settings {
  const { popup, ...rest } = patch;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const popupDefined = Object.fromEntries(Object.entries(popup ?? {}).filter(([, v]) => v !== undefined));
  return { ...s, ...defined, popup: { ...s.popup, ...popupDefined } } as Settings;
}

interface SettingsStore {
  settings: Settings;
  loaded: boolean;
  /** The last failed save, in Russian; cleared by the next successful one. */
  error: string | null;
  about: AboutInfo | null;
  update: UpdateState | null;
  init(): Promise<void>;
  /** Shows the change at once, saves through the core, and goes back if the core refuses. */
  save(patch: SettingsPatch): Promise<SettingsUpdateResult | null>;
  apply(s: Settings): void;
  loadAbout(): Promise<void>;
  applyUpdate(u: UpdateState): void;
  checkUpdates(): Promise<void>;
  installUpdate(): Promise<void>;
}

export const useSettings = create<SettingsStore>((set, get) => ({
  settings: DEFAULT_SETTINGS,
  loaded: false,
  error: null,
  about: null,
  update: null,

  async init() {
    try {
      // The popup window may only read the settings (src-main/core/ipc-guard.ts).
      const popupWindow = isPopupWindow();
      const [settings, update] = await Promise.all([call('settings:get'), popupWindow ? null : call('update:state').catch(() => null)]);
      set({ settings, loaded: true, ...(update ? { update } : {}) });
    } catch {
      // The core is not reachable yet: defaults until the `settings` event or a retry.
    }
  },

  async save(patch) {
    const before = get().settings;
    set({ settings: mergeSettings(before, patch), error: null });
    try {
      const res = await call('settings:update', patch);
      set({ settings: res.settings, loaded: true });
      return res;
    } catch (e) {
      set({ settings: before, error: toAppError(e).message });
      return null;
    }
  },

  apply(settings) {
    set({ settings, loaded: true });
  },

  async loadAbout() {
    try {
      set({ about: await call('app:about') });
    } catch (e) {
      set({ error: toAppError(e).message });
    }
  },

  applyUpdate(update) {
    set({ update });
  },

  async checkUpdates() {
    try {
      set({ update: await call('update:check') });
    } catch (e) {
      set({ error: toAppError(e).message });
    }
  },

  async installUpdate() {
    try {
      await call('update:install');
    } catch (e) {
      set({ error: toAppError(e).message });
    }
  },
}));
