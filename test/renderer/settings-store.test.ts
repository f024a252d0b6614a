/**
 * The renderer's settings store: no copy in localStorage, every change through the core
 * (`settings:update`), a refused change goes back to what the core has, and the defaults shown
 * before the core answers are the core's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsgardApi } from '../../src-shared/ipc/contract';
import { SettingsSchema, type Settings } from '../../src-shared/ipc/app';

const calls: { name: string; args: unknown }[] = [];
let core: Settings = SettingsSchema.parse({});
let refuse: string | null = null;
const fake: AsgardApi = {
  invoke: (async (name: string, args: unknown) => {
    calls.push({ name, args });
    if (name === 'settings:get') return core;
    if (name === 'update:state') return { state: 'unsupported', reason: 'нет' };
    if (name === 'settings:update') {
      if (refuse) throw { code: 'bad-update-url', message: refuse };
      const a = args as { popup?: object };
      core = { ...core, ...(args as object), popup: { ...core.popup, ...(a.popup ?? {}) } } as Settings;
      return { settings: core, loggedOut: false };
    }
    throw { code: 'unknown-request', message: 'нет' };
  }) as AsgardApi['invoke'],
  on: () => () => {},
};

let mod: typeof import('../../src-renderer/stores/settings');
const stored: Record<string, string> = {};
beforeAll(async () => {
  (globalThis as { window?: unknown }).window = { asgard: fake };
  (globalThis as { localStorage?: unknown }).localStorage = {
    getItem: (k: string) => stored[k] ?? null,
    setItem: (k: string, v: string) => void (stored[k] = v),
    removeItem: (k: string) => void delete stored[k],
  };
  mod = await import('../../src-renderer/stores/settings');
});
afterAll(() => {
  delete (globalThis as { window?: unknown }).window;
  delete (globalThis as { localStorage?: unknown }).localStorage;
});

describe('settings store', () => {
  it('shows the core’s defaults before the answer, then what the core has', async () => {
    expect(mod.DEFAULT_SETTINGS).toEqual(SettingsSchema.parse({}));
    core = { ...core, popup: { ...core.popup, position: 'top-right' } };
    await mod.useSettings.getState().init();
    expect(mod.useSettings.getState().settings.popup.position).toBe('top-right');
    expect(mod.useSettings.getState().update).toEqual({ state: 'unsupported', reason: 'нет' });
  });

  it('saves through the core, merging popup fields one by one; nothing in localStorage', async () => {
    const s = mod.useSettings.getState();
    const pending = s.save({ popup: { durationSec: 7 } });
    // Shown at once, before the core answers.
    expect(mod.useSettings.getState().settings.popup).toMatchObject({ durationSec: 7, position: 'top-right' });
    await pending;
    await mod.useSettings.getState().save({ popup: { sound: false } });
    expect(calls.filter((c) => c.name === 'settings:update').map((c) => c.args)).toEqual([{ popup: { durationSec: 7 } }, { popup: { sound: false } }]);
    expect(mod.useSettings.getState().settings.popup).toMatchObject({ durationSec: 7, sound: false, position: 'top-right' });
    expect(stored).toEqual({});
  });

  it('a refused change goes back and shows the core’s message', async () => {
    refuse = 'Сервер обновлений должен работать по https://';
    const res = await mod.useSettings.getState().save({ updateUrl: 'http://x.ru/' });
    expect(res).toBeNull();
    expect(mod.useSettings.getState().settings.updateUrl).toBe('');
    expect(mod.useSettings.getState().error).toBe(refuse);
    refuse = null;
    await mod.useSettings.getState().save({ updateUrl: 'https://x.ru/' });
    expect(mod.useSettings.getState().error).toBeNull();
  });

  it('the settings event from another window (or the tray) replaces the view', () => {
    mod.useSettings.getState().apply({ ...core, popup: { ...core.popup, when: 'never' } });
    expect(mod.useSettings.getState().settings.popup.when).toBe('never');
  });

  it('mergeSettings ignores undefined values', () => {
    const base = SettingsSchema.parse({});
    expect(mod.mergeSettings(base, { startAtLogin: undefined, popup: { sound: undefined, minDigits: 3 } })).toEqual({ ...base, popup: { ...base.popup, minDigits: 3 } });
  });
});
