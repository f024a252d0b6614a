/**
 * The update channel's logic, plain Node: which update server URLs are acceptable, and the
 * state machine the settings page shows (checking → available → downloading → downloaded →
 * "Перезапустить и обновить"). The Electron shell plugs electron-updater in through
 * `UpdaterPort` (src-main/electron/updater.ts); the browser bridge has no updater at all.
 *
 *   const ctl = new UpdateController({ port, emit: (s) => …, log });
 *   ctl.configure(settings.updateUrl);   // at start and whenever the setting changes
 */
import type { UpdateState } from '../../src-shared/ipc/app';
import { CoreError } from './errors';
import type { Logger } from './log';

export type UpdateUrlCheck = { ok: true; url: string | null } | { ok: false; message: string };

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(h) || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * An update server address as the admin typed it: '' turns updates off; otherwise https only
 * (an update is code the app will run), plain http only on this computer (a test server).
 */
export function validateUpdateUrl(raw: string): UpdateUrlCheck {
  const text = raw.trim();
  if (!text) return { ok: true, url: null };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'Неверный адрес сервера обновлений: укажите его полностью, например https://updates.example.ru/asgard-phone/' };
  }
  if (url.username || url.password) return { ok: false, message: 'Адрес сервера обновлений не должен содержать логин и пароль' };
  if (url.protocol === 'https:') return { ok: true, url: clean(url) };
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return { ok: true, url: clean(url) };
  if (url.protocol === 'http:')
    return { ok: false, message: 'Сервер обновлений должен работать по https:// (http:// допустим только для адреса этого компьютера)' };
  return { ok: false, message: 'Адрес сервера обновлений должен начинаться с https://' };
}

function clean(url: URL): string {
  url.hash = '';
  return url.toString();
}

/** What the updater reports (electron-updater's events, reduced to what the UI needs). */
export type UpdaterEvent =
  | { type: 'checking' }
  | { type: 'available'; version: string }
  | { type: 'not-available' }
  | { type: 'progress'; percent: number }
  | { type: 'downloaded'; version: string }
  | { type: 'error'; message: string };

/** The updater as the controller drives it (electron-updater behind it in the Electron shell). */
export interface UpdaterPort {
  setFeedUrl(url: string): void;
  /** Starts a check; the outcome arrives as events (a rejection is reported as an error). */
  check(): Promise<void>;
  quitAndInstall(): void;
  onEvent(listener: (e: UpdaterEvent) => void): () => void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => unref(setTimeout(fn, ms)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => unref(setInterval(fn, ms)),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

function unref<T>(t: T): T {
  (t as { unref?: () => void }).unref?.();
  return t;
}

export interface UpdateControllerOptions {
  /** null: no updater in this shell; the state stays `unsupported` with `unsupportedReason`. */
  port: UpdaterPort | null;
  unsupportedReason?: string;
  emit: (state: UpdateState) => void;
  log?: Pick<Logger, 'info' | 'warn'>;
  /** First check after start (default 30 s: the app settles and the network comes up first). */
  startDelayMs?: number;
  /** Then every (default 4 h). */
  intervalMs?: number;
  timers?: Timers;
  now?: () => Date;
}

export const DEFAULT_CHECK_INTERVAL_MS = 4 * 60 * 60_000;
const DEFAULT_START_DELAY_MS = 30_000;

export class UpdateController {
  private current: UpdateState;
  private url: string | null = null;
  private startTimer: unknown = null;
  private interval: unknown = null;
  private lastCheckedAt: string | null = null;
  private readonly timers: Timers;
  private readonly now: () => Date;
  private readonly offPort: (() => void) | null;

  constructor(private readonly o: UpdateControllerOptions) {
    this.timers = o.timers ?? realTimers;
    this.now = o.now ?? (() => new Date());
    this.current = o.port ? { state: 'disabled' } : { state: 'unsupported', reason: o.unsupportedReason ?? 'Обновления недоступны' };
    this.offPort = o.port?.onEvent((e) => this.onEvent(e)) ?? null;
  }

  state(): UpdateState {
    return this.current;
  }

  /** Points the updater at `rawUrl` ('' or invalid: off). Repeating the same URL changes nothing. */
  configure(rawUrl: string): void {
    const port = this.o.port;
    if (!port) return;
    const checked = validateUpdateUrl(rawUrl);
    const url = checked.ok ? checked.url : null;
    if (!checked.ok) this.o.log?.warn(`update URL ignored: ${checked.message}`);
    if (url === this.url) return;
    this.url = url;
    this.stopTimers();
    // An update already downloaded stays installable whatever the server is now.
    if (this.current.state === 'downloaded') return;
    if (!url) return this.set({ state: 'disabled' });
    port.setFeedUrl(url);
    this.set({ state: 'idle', lastCheckedAt: this.lastCheckedAt });
    this.startTimer = this.timers.setTimeout(() => void this.check(), this.o.startDelayMs ?? DEFAULT_START_DELAY_MS);
    this.interval = this.timers.setInterval(() => void this.check(), this.o.intervalMs ?? DEFAULT_CHECK_INTERVAL_MS);
  }

  /** The "Проверить обновления" button. */
  async checkNow(): Promise<UpdateState> {
    if (this.current.state === 'unsupported') throw new CoreError('updates-unsupported', this.current.reason);
    if (!this.url) throw new CoreError('updates-disabled', 'Сервер обновлений не указан');
    await this.check();
    return this.current;
  }

  /** "Перезапустить и обновить": only once an update is downloaded. */
  install(): void {
    if (this.current.state === 'unsupported') throw new CoreError('updates-unsupported', this.current.reason);
    if (this.current.state !== 'downloaded') throw new CoreError('update-not-ready', 'Обновление ещё не загружено');
    this.o.log?.info(`installing update ${this.current.version}`);
    this.o.port!.quitAndInstall();
  }

  close(): void {
    this.stopTimers();
    this.offPort?.();
  }

  private async check(): Promise<void> {
    const port = this.o.port;
    if (!port || !this.url) return;
    // Busy or done: a periodic tick must not restart a download or hide "перезапустить".
    if (['checking', 'available', 'downloading', 'downloaded'].includes(this.current.state)) return;
    this.set({ state: 'checking' });
    try {
      await port.check();
    } catch (e) {
      this.onEvent({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  }

  private onEvent(e: UpdaterEvent): void {
    if (!this.url && this.current.state !== 'downloaded') return; // turned off meanwhile
    const cur = this.current;
    switch (e.type) {
      case 'checking':
        if (cur.state !== 'checking') this.set({ state: 'checking' });
        return;
      case 'available':
        return this.set({ state: 'available', version: e.version });
      case 'progress': {
        const version = cur.state === 'available' || cur.state === 'downloading' ? cur.version : '';
        const percent = Math.max(0, Math.min(100, Math.round(e.percent)));
        return this.set({ state: 'downloading', version, percent });
      }
      case 'downloaded':
        return this.set({ state: 'downloaded', version: e.version });
      case 'not-available':
        this.lastCheckedAt = this.now().toISOString();
        return this.set({ state: 'up-to-date', checkedAt: this.lastCheckedAt });
      case 'error':
        // A failed check or download; a downloaded update stays ready to install.
        if (cur.state === 'downloaded') return;
        this.o.log?.warn(`update check failed: ${e.message}`);
        return this.set({ state: 'error', message: updateErrorMessage(e.message), at: this.now().toISOString() });
    }
  }

  private set(s: UpdateState): void {
    this.current = s;
    this.o.emit(s);
  }

  private stopTimers(): void {
    if (this.startTimer != null) this.timers.clearTimeout(this.startTimer);
    if (this.interval != null) this.timers.clearInterval(this.interval);
    this.startTimer = this.interval = null;
  }
}

/** electron-updater's messages are English and long; the user gets a Russian sentence first. */
export function updateErrorMessage(detail: string): string {
  const d = detail.replace(/\s+/g, ' ').trim();
  let head = 'Не удалось проверить обновления';
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|net::ERR_/i.test(d)) head = 'Сервер обновлений недоступен';
  else if (/\b404\b|Cannot find latest|latest.*\.yml/i.test(d)) head = 'На сервере обновлений нет описания версии (latest.yml)';
  else if (/sha512|checksum|signature/i.test(d)) head = 'Загруженное обновление не прошло проверку';
  return d ? `${head}: ${d.slice(0, 200)}` : head;
}
