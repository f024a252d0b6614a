/**
 * `AsgardApi` over the browser bridge (src-main/bridge): the same IPC contract the Electron
 * preload exposes as `window.asgard`, carried on a loopback WebSocket. Browser APIs only.
 *
 * Convention (shared with src-main/bridge/bridge-server.ts):
 * - The app prints/opens the page as `http://127.0.0.1:<port>/?bridge=<token>#/`.
 * - On start the client takes `bridge` from `location.search`, keeps it in sessionStorage
 *   (so a reload of the tab still works) and removes it from the address bar.
 * - It connects to `ws://<location.host>/bridge?token=<token>`; the bridge refuses the
 *   upgrade (HTTP 401) without the right token, and refuses foreign Origin/Host headers.
 * - Requests: `{id, name, args}` → `{id, result: IpcResult}`; events: `{event, payload}`.
 * - `invoke` resolves with the result value, or rejects with a `BridgeError` ({code, message}
 *   with a Russian message), like the Electron preload which rejects with a plain
 *   `{code, message}` object.
 * - If the socket drops, pending requests fail with code 'bridge-closed' and the client
 *   reconnects with backoff; event listeners stay subscribed.
 */
import type { AsgardApi, EventName, PayloadOf, RequestName } from './contract';
import type { IpcResult } from './define';

export const BRIDGE_PAGE_PARAM = 'bridge';
export const BRIDGE_WS_PATH = '/bridge';
export const BRIDGE_WS_TOKEN_PARAM = 'token';
const STORAGE_KEY = 'asgard.bridge.token';

export interface BridgeRequest {
  id: number;
  name: string;
  args?: unknown;
}
export type BridgeServerMessage =
  | { id: number | null; result: IpcResult<unknown> }
  | { event: string; payload: unknown };

export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

export interface BridgeClientOptions {
  /** Defaults to the `bridge` page parameter / sessionStorage. */
  token?: string;
  /** Defaults to `ws://<location.host>/bridge`. */
  url?: string;
  WebSocketImpl?: typeof WebSocket;
  /** Per-request timeout (ms); a request unanswered by then fails. */
  timeoutMs?: number;
}

/** Reads the token from `?bridge=` (then hides it) or from this tab's sessionStorage. */
export function takeBridgeToken(): string | null {
  if (typeof location === 'undefined') return null;
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get(BRIDGE_PAGE_PARAM);
  if (fromUrl) {
    try {
      sessionStorage.setItem(STORAGE_KEY, fromUrl);
      params.delete(BRIDGE_PAGE_PARAM);
      const search = params.toString();
      history.replaceState(history.state, '', location.pathname + (search ? '?' + search : '') + location.hash);
    } catch {
      // Storage or history unavailable (sandboxed frame): the token just stays in the URL.
    }
    return fromUrl;
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function createBridgeClient(o: BridgeClientOptions = {}): AsgardApi {
  const token = o.token ?? takeBridgeToken();
  if (!token) throw new BridgeError('no-bridge', 'Нет ключа подключения к приложению: откройте адрес, который напечатало приложение');
  const WS = o.WebSocketImpl ?? WebSocket;
  const base = o.url ?? `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${BRIDGE_WS_PATH}`;
  const url = `${base}?${BRIDGE_WS_TOKEN_PARAM}=${encodeURIComponent(token)}`;
  const timeoutMs = o.timeoutMs ?? 60_000;

  type Pending = { resolve: (v: unknown) => void; reject: (e: BridgeError) => void; timer: ReturnType<typeof setTimeout> };
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const outbox: { id: number; msg: string }[] = [];
  let nextId = 1;
  let ws: WebSocket | null = null;
  let open = false;
  let attempt = 0;
  let everOpened = false;

  function connect(): void {
    const sock = new WS(url);
    ws = sock;
    sock.onopen = () => {
      open = true;
      everOpened = true;
      attempt = 0;
      // Requests made while disconnected go out now, unless they already failed.
      for (const m of outbox.splice(0)) if (pending.has(m.id)) sock.send(m.msg);
    };
    sock.onmessage = (ev) => {
      let msg: BridgeServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as BridgeServerMessage;
      } catch {
        return;
      }
      if ('event' in msg) {
        for (const l of listeners.get(msg.event) ?? []) {
          try {
            l(msg.payload);
          } catch (e) {
            console.error('asgard event listener failed', e);
          }
        }
        return;
      }
      if (msg.id == null) return;
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.result.ok) p.resolve(msg.result.value);
      else p.reject(new BridgeError(msg.result.error.code, msg.result.error.message));
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      open = false;
      ws = null;
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new BridgeError('bridge-closed', 'Связь с приложением прервана'));
        pending.delete(id);
      }
      // The app restarted (new token) or went away: retry with backoff, slowly when it never worked.
      const delay = Math.min(30_000, 500 * 2 ** attempt++) * (everOpened ? 1 : 2);
      setTimeout(connect, delay);
    };
  }
  connect();

  return {
    invoke<N extends RequestName>(name: N, args: unknown) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new BridgeError('timeout', 'Приложение не ответило вовремя'));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        const msg = JSON.stringify({ id, name, args } satisfies BridgeRequest);
        if (open && ws) ws.send(msg);
        else outbox.push({ id, msg });
      }) as never;
    },
    on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => void set.delete(l);
    },
  };
}
