/**
 * The checks the Electron IPC wrapper runs on every request, as plain functions so they are
 * unit-tested without Electron: the sender must be a window we created, the calling frame its
 * top frame with our own app:// origin, the request a contract name the window's role may
 * use, and the arguments must pass the contract's zod schema.
 */
import type { z } from 'zod';
import { isEventName, isRequestName, requests, type EventName, type RequestName } from '../../src-shared/ipc/contract';
import type { IpcResult } from '../../src-shared/ipc/define';
import { badRequest } from './errors';

export type WindowRole = 'main' | 'popup';

/** Our renderer's origin: `app://asgard/…` (see src-main/electron/protocol.ts). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'asgard';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** What Electron tells us about a request's sender, reduced to plain data. */
export interface SenderInfo {
  /** webContents.id of the sender, or null when it is gone. */
  webContentsId: number | null;
  /** event.senderFrame?.url; null when the frame was destroyed or navigated. */
  frameUrl: string | null | undefined;
  /** Whether the calling frame is the window's top frame (iframes never talk to main). */
  isMainFrame: boolean;
}

/**
 * A call popup can do what its buttons do plus the reads the renderer's shared start-up makes,
 * nothing more: no admin, no logout, no mail; settings it may read (its corner, its sound),
 * never change, and updates are not its business.
 */
export const POPUP_REQUESTS: ReadonlySet<string> = new Set<RequestName>([
  'session:state',
  'connection:state',
  'popups:list',
  'popups:dismiss',
  'popups:keep',
  'calls:setComment',
  'contacts:lookup',
  'contacts:get',
  'contacts:list',
  'contacts:create',
  'calls:callback',
  'calls:list',
  'missed:list',
  'settings:get',
] as RequestName[]);

export type GuardError = { code: 'forbidden-sender' | 'unknown-request' | 'bad-request'; message: string };
export type GuardResult =
  | { ok: true; role: WindowRole; name: RequestName; args: unknown }
  | { ok: false; error: GuardError };

/** True for `app://asgard/...` exactly: no other scheme, host, port or credentials. */
export function isOwnFrameUrl(frameUrl: string | null | undefined): boolean {
  if (!frameUrl) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  // Custom schemes have an opaque WHATWG origin ("null"), so compare the parts instead.
  return url.protocol === `${APP_SCHEME}:` && url.host.toLowerCase() === APP_HOST && !url.username && !url.password;
}

/**
 * True for a blob: URL our own page made (`blob:app://asgard/<uuid>`): a file the renderer built
 * and saves (a CSV export, an attachment). Blobs of a sandboxed mail frame are `blob:null/…`.
 */
export function isOwnBlobUrl(raw: string | null | undefined): boolean {
  return !!raw && raw.slice(0, 5).toLowerCase() === 'blob:' && isOwnFrameUrl(raw.slice(5));
}

export function checkSender(sender: SenderInfo, roleOf: (webContentsId: number) => WindowRole | null): { ok: true; role: WindowRole } | { ok: false; error: GuardError } {
  const deny = (why: string) => ({ ok: false as const, error: { code: 'forbidden-sender' as const, message: `Запрос отклонён: ${why}` } });
  if (sender.webContentsId == null) return deny('окно закрыто');
  const role = roleOf(sender.webContentsId);
  if (!role) return deny('чужое окно');
  if (!sender.isMainFrame) return deny('вложенный фрейм');
  if (!isOwnFrameUrl(sender.frameUrl)) return deny('чужой адрес страницы');
  return { ok: true, role };
}

export function guardRequest(
  sender: SenderInfo,
  roleOf: (webContentsId: number) => WindowRole | null,
  name: unknown,
  args: unknown,
): GuardResult {
  const who = checkSender(sender, roleOf);
  if (!who.ok) return who;
  if (!isRequestName(name)) return { ok: false, error: { code: 'unknown-request', message: 'Неизвестный запрос' } };
  if (who.role === 'popup' && !POPUP_REQUESTS.has(name))
    return { ok: false, error: { code: 'forbidden-sender', message: `Запрос ${name} недоступен из окна звонка` } };
  const parsed = (requests[name].args as z.ZodType).safeParse(args);
  if (!parsed.success) return { ok: false, error: badRequest(name, parsed.error) as GuardError };
  return { ok: true, role: who.role, name, args: parsed.data };
}

export function guardFailure(r: Extract<GuardResult, { ok: false }>): IpcResult<never> {
  return { ok: false, error: { code: r.error.code, message: r.error.message } };
}

/**
 * Main→renderer events for one window, held until its page says it is ready (so a popup
 * opened for a call never misses that call's next update), then passed straight through.
 */
export class ReadyQueue {
  private ready = false;
  private readonly pending: { event: EventName; payload: unknown }[] = [];

  constructor(
    private readonly send: (event: EventName, payload: unknown) => void,
    private readonly limit = 1000,
  ) {}

  push(event: string, payload: unknown): void {
    if (!isEventName(event)) return;
    if (this.ready) return this.send(event, payload);
    // A window that never gets ready must not grow without bound: drop the oldest.
    if (this.pending.length >= this.limit) this.pending.shift();
    this.pending.push({ event, payload });
  }

  markReady(): void {
    if (this.ready) return;
    this.ready = true;
    for (const { event, payload } of this.pending.splice(0)) this.send(event, payload);
  }

  /** The page reloaded: hold events again until it says ready. */
  reset(): void {
    this.ready = false;
  }

  get isReady(): boolean {
    return this.ready;
  }
}
