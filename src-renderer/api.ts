/**
 * The renderer's one door to the app core: `window.asgard` (Electron preload) when present,
 * otherwise the loopback bridge client (browser mode). `call()` turns failures into AppError
 * carrying the core's code and Russian message.
 */
import type { ArgsOf, AsgardApi, EventName, PayloadOf, RequestName, ResultOf } from '../src-shared/ipc/contract';
import { createBridgeClient } from '../src-shared/ipc/bridge-client';
import { S } from './strings';

/** An error the user can read: `message` is Russian, `code` is the core's/relay's code. */
export class AppError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}

function unavailableApi(message: string = S.noBridge): AsgardApi {
  return {
    invoke: () => Promise.reject(new AppError('no-bridge', message)),
    on: () => () => {},
  };
}

function pickApi(): AsgardApi {
  const w = (typeof window !== 'undefined' ? window : undefined) as unknown as { asgard?: AsgardApi } | undefined;
  if (w?.asgard) return w.asgard;
  if (typeof window === 'undefined') return unavailableApi();
  try {
    return createBridgeClient();
  } catch (e) {
    // No bridge token: the page was not opened from the address the app printed.
    const msg = e instanceof Error && e.message ? e.message : S.noBridge;
    return unavailableApi(msg);
  }
}

/** True in the Electron app (preload present): the shell shows popups in their own window. */
export const hasShell: boolean =
  typeof window !== 'undefined' && !!(window as unknown as { asgard?: AsgardApi }).asgard;

export const api: AsgardApi = pickApi();

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/** Electron wraps remote errors: "Error invoking remote method 'x': Error: <message>". */
function cleanMessage(message: string): string {
  const m = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?([\s\S]*)$/.exec(message);
  return (m ? m[1] : message).trim();
}

/** Normalizes anything thrown by the api into an AppError with a Russian message. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (isRecord(e)) {
    const inner = isRecord(e.error) ? e.error : e;
    const code = typeof inner.code === 'string' ? inner.code : 'error';
    // An older core or relay that does not know the request yet: never the raw
    // «Неизвестный запрос: admin:webhookJournal», but what it means and what to do.
    if (code === 'unknown-request') return new AppError(code, S.needsUpdate);
    const message = typeof inner.message === 'string' && inner.message ? cleanMessage(inner.message) : S.unknownError;
    return new AppError(code, message);
  }
  if (typeof e === 'string' && e) return new AppError('error', cleanMessage(e));
  return new AppError('error', S.unknownError);
}

/** Whether a resolved value is an IpcResult envelope ({ok,value} / {ok:false,error}). */
function isEnvelope(x: unknown): x is { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } } {
  if (!isRecord(x) || typeof x.ok !== 'boolean') return false;
  const keys = Object.keys(x);
  if (x.ok === true) return keys.length === 2 && keys.includes('value');
  return keys.length === 2 && isRecord(x.error) && typeof x.error.message === 'string';
}

type ArgsTuple<N extends RequestName> = undefined extends ArgsOf<N> ? [args?: ArgsOf<N>] : [args: ArgsOf<N>];

/** Invokes a request of the contract; resolves with its result or throws an AppError. */
export async function call<N extends RequestName>(name: N, ...rest: ArgsTuple<N>): Promise<ResultOf<N>> {
  let res: unknown;
  try {
    res = await api.invoke(name, rest[0] as ArgsOf<N>);
  } catch (e) {
    throw toAppError(e);
  }
  if (isEnvelope(res)) {
    if (res.ok) return res.value as ResultOf<N>;
    throw toAppError(res.error);
  }
  return res as ResultOf<N>;
}

/** Subscribes to an event stream of the contract; returns the unsubscribe function. */
export function on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void): () => void {
  return api.on(name, listener);
}
