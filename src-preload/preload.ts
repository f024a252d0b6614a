/**
 * The preload of every window (bundled to one CommonJS file: sandboxed preloads cannot
 * require our modules). Exposes `window.asgard` with exactly the contract: `invoke(name, args)`
 * for request names of the contract and `on(event, listener)` for its event names. Never the
 * raw ipcRenderer, never an IpcRendererEvent.
 *
 * `invoke` resolves with the result or rejects with a plain `{code, message}` object (custom
 * Error properties do not survive contextBridge; a plain object does).
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcResult } from '../src-shared/ipc/define';

// The contract's names, injected by scripts/build.ts (esbuild `define`) from src-shared/ipc:
// the preload stays a few kilobytes instead of carrying zod and every schema.
declare const __ASGARD_REQUEST_NAMES__: readonly string[];
declare const __ASGARD_EVENT_NAMES__: readonly string[];
const REQUESTS = new Set<string>(__ASGARD_REQUEST_NAMES__);
const EVENTS = new Set<string>(__ASGARD_EVENT_NAMES__);
const isRequestName = (x: unknown): x is string => typeof x === 'string' && REQUESTS.has(x);
const isEventName = (x: unknown): x is string => typeof x === 'string' && EVENTS.has(x);

const EVENT_CHANNEL = 'asgard:event';
const READY_CHANNEL = 'asgard:ready';

const listeners = new Map<string, Set<(payload: unknown) => void>>();
let readySent = false;

ipcRenderer.on(EVENT_CHANNEL, (_e, event: unknown, payload: unknown) => {
  if (typeof event !== 'string') return;
  for (const l of listeners.get(event) ?? []) {
    try {
      l(payload);
    } catch (err) {
      console.error('asgard event listener failed', err);
    }
  }
});

async function invoke(name: unknown, args: unknown): Promise<unknown> {
  if (!isRequestName(name)) throw { code: 'unknown-request', message: 'Неизвестный запрос' };
  const res = (await ipcRenderer.invoke(name, args)) as IpcResult<unknown>;
  if (res && res.ok) return res.value;
  throw { code: res?.error?.code ?? 'internal', message: res?.error?.message ?? 'Внутренняя ошибка приложения' };
}

function on(name: unknown, listener: unknown): () => void {
  if (!isEventName(name) || typeof listener !== 'function') throw new Error('Неизвестное событие');
  let set = listeners.get(name);
  if (!set) listeners.set(name, (set = new Set()));
  const l = listener as (payload: unknown) => void;
  set.add(l);
  // The page subscribes to its streams together on start: tell main once they are all in place,
  // so events it queued for this window are delivered, none to an empty page.
  if (!readySent) {
    readySent = true;
    setTimeout(() => ipcRenderer.send(READY_CHANNEL), 0);
  }
  return () => void set.delete(l);
}

contextBridge.exposeInMainWorld('asgard', Object.freeze({ invoke, on }));
