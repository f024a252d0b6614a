/**
 * The one main↔renderer contract. Electron's ipcMain wrapper, the loopback bridge and the
 * renderer's client are all typed from this object; nothing else crosses the boundary.
 */
import type { z } from 'zod';
import type { EventDef, RequestDef } from './define';
import { telephonyEvents, telephonyRequests } from './telephony';
import { mailEvents, mailRequests } from './mail';
import { appEvents, appRequests } from './app';

export const requests = { ...telephonyRequests, ...mailRequests, ...appRequests };
export const events = { ...telephonyEvents, ...mailEvents, ...appEvents };

export type Requests = typeof requests;
export type Events = typeof events;
export type RequestName = keyof Requests;
export type EventName = keyof Events;

export type ArgsOf<N extends RequestName> = Requests[N] extends RequestDef<infer A, unknown> ? z.input<A> : never;
export type ResultOf<N extends RequestName> = Requests[N] extends RequestDef<z.ZodType, infer R> ? R : never;
export type PayloadOf<E extends EventName> = Events[E] extends EventDef<infer P> ? P : never;

/** The object the core implements and `window.asgard` exposes. */
export interface AsgardApi {
  invoke<N extends RequestName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>>;
  on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void): () => void;
}

export const REQUEST_NAMES = Object.keys(requests) as RequestName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isRequestName(x: unknown): x is RequestName {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(requests, x);
}
export function isEventName(x: unknown): x is EventName {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(events, x);
}
