/**
 * The app: one object implementing the IPC contract of src-shared/ipc. The Electron shell
 * binds it to ipcMain, the bridge to a loopback WebSocket, tests call it directly. Plain
 * Node: no `electron` import here or anywhere under src-main/core.
 *
 *   const core = await createAppCore({ userDataDir, secretBox });
 *   const res = await core.handle('session:state', undefined);   // IpcResult, never throws
 *   const off = core.on('popup', (p) => …);                         // contract events
 */
import os from 'node:os';
import type { z } from 'zod';
import {
  requests,
  isRequestName,
  type AsgardApi,
  type EventName,
  type PayloadOf,
  type RequestName,
  type Requests,
  type ResultOf,
} from '../../src-shared/ipc/contract';
import type { IpcResult } from '../../src-shared/ipc/define';
import type { telephonyRequests, ConnectionState, SessionState, CallPopup } from '../../src-shared/ipc/telephony';
import type { appRequests, AboutInfo, Attention, SettingsUpdateResult } from '../../src-shared/ipc/app';
import type { MailFolderView } from '../../src-shared/ipc/mail';
import { version as APP_VERSION } from '../../package.json';
import type { Call, Employee, FeedItem } from '../../src-shared/wire';
import { openStore, type Store } from './store/store';
import type { SecretBox } from './secrets/secret-box';
import { SettingsStore, type Settings, type SettingsPatch } from './settings';
import { RelayHttpClient, normalizeRelayUrl } from './relay/http-client';
import { FeedClient, type FeedClientOptions } from './relay/feed-client';
import { MSG, RelayError } from './relay/errors';
import { PopupManager } from './popups';
import { Emitter } from './emitter';
import { CoreError, badRequest, toIpcError } from './errors';
import { consoleLogger, type Logger } from './log';
import type { MailFactory, MailHandler } from './mail-port';
import { UpdateController, validateUpdateUrl, type UpdaterPort } from './updater';
import { AttentionTracker } from './attention';
import { countMissedCallers } from '../../src-shared/missed';

export const APP_NAME = 'АСГАРД Телефония';

/** What only the shell knows for "о программе". */
export interface ShellInfo {
  shell: 'electron' | 'browser';
  electron?: string | null;
  chromium?: string | null;
  buildDate?: string | null;
}

export type EventMap = { [E in EventName]: PayloadOf<E> };

/** Events for the shells only (tray, notifications), never sent to a renderer. */
export interface ShellEventMap extends Record<string, unknown> {
  /** Missed calls not yet called back nor dismissed (relay /api/missed), repeated periodically. */
  'missed-reminder': { calls: Call[] };
  settings: Settings;
  /** Missed calls and unread mail, for the tray and the taskbar. */
  attention: Attention;
  /** The popup window's content height (popups:layout): the Electron shell fits the window to it. */
  'popup-layout': { height: number };
}

export interface AppCoreOptions {
  userDataDir: string;
  secretBox: SecretBox;
  /** Relay address offered on the login form when none was saved yet. */
  relayUrl?: string;
  mailFactory?: MailFactory;
  log?: Logger;
  /** Tuning for tests: backoff, heartbeat. */
  feed?: Pick<FeedClientOptions, 'backoff' | 'heartbeatTimeoutMs' | 'pingIntervalMs' | 'handshakeTimeoutMs'>;
  /** How often missed-call reminders repeat while there are any (default 15 min). */
  missedReminderMs?: number;
  /** How often the missed calls are re-read without a signal (default 1 min): see scheduleMissedReminders. */
  missedRefreshMs?: number;
  httpTimeoutMs?: number;
  /** For "о программе" (default: the browser bridge, no Electron). */
  shellInfo?: ShellInfo;
  /** electron-updater behind a port (Electron shell only); absent: updates `unsupported`. */
  updater?: UpdaterPort | null;
  /** Why there is no updater, shown on the settings page. */
  updaterUnavailableReason?: string;
  /** Update checks: first after start, then every (tests shorten them). */
  updateTiming?: { startDelayMs?: number; intervalMs?: number };
}

export interface AppCore {
  /** Validates `args` against the contract and runs the request. Never throws. */
  handle(name: unknown, args: unknown): Promise<IpcResult<unknown>>;
  on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void): () => void;
  /** Every contract event, for transports that forward them all. */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void;
  onShell<K extends keyof ShellEventMap>(event: K, listener: (payload: ShellEventMap[K]) => void): () => void;
  /** The contract as a typed in-process API (rejects with CoreError). */
  readonly api: AsgardApi;
  readonly store: Store;
  getSettings(): Settings;
  updateSettings(patch: SettingsPatch): Settings;
  /** Where the shell serves recordings (it proxies them with the token): id → URL for <audio>. */
  setRecordingUrl(fn: ((recordingId: string) => string) | null): void;
  /** Streams a recording from the relay, for the shell's proxy. */
  fetchRecording(recordingId: string): Promise<Response>;
  /** After sleep/resume or a network change: reconnect at once, keeping the last feed id. */
  resume(): void;
  close(): Promise<void>;
}

type TelephonyName = keyof typeof telephonyRequests | keyof typeof appRequests;
type ParsedArgs<N extends RequestName> = z.output<Requests[N]['args']>;
type Handlers = { [N in TelephonyName]: (args: ParsedArgs<N>) => Promise<ResultOf<N>> };

export async function createAppCore(opts: AppCoreOptions): Promise<AppCore> {
  const log = opts.log ?? consoleLogger;
  const store = openStore(opts.userDataDir);
  const settings = new SettingsStore(store.kv, opts.secretBox);
  const events = new Emitter<EventMap>();
  const shellEvents = new Emitter<ShellEventMap>();

  let token: string | null = null;
  let me: Employee | null = settings.loadMe();
  let http: RelayHttpClient | null = null;
  let feed: FeedClient | null = null;
  let connection: ConnectionState = { state: 'logged-out' };
  let recordingUrl: ((id: string) => string) | null = null;
  let missedTimer: NodeJS.Timeout | null = null;
  let missedRefreshTimer: NodeJS.Timeout | null = null;
  let closed = false;
  let mail: MailHandler | null = null;

  const updates = new UpdateController({
    port: opts.updater ?? null,
    unsupportedReason:
      opts.updaterUnavailableReason ?? 'Обновления устанавливает приложение для компьютера; в браузерном режиме их нет',
    emit: (s) => events.emit('update', s),
    log,
    ...opts.updateTiming,
  });

  const attention = new AttentionTracker({
    refreshMissed: async () => {
      if (token && http) await readMissed(http);
    },
    readUnreadMail: async () => {
      if (!mail) return null;
      const folders = (await mail.handle('mail:folders:list', {})) as MailFolderView[];
      return folders.filter((f) => f.specialUse === '\\Inbox' || f.path.toUpperCase() === 'INBOX').reduce((n, f) => n + f.unread, 0);
    },
    emit: (a) => {
      events.emit('attention', a);
      shellEvents.emit('attention', a);
    },
    log: (m, e) => log.info(m, e),
  });

  const popups = new PopupManager({
    emit: (p) => events.emit('popup', p),
    options: () => settings.get().popup,
    me: () => me,
    lookupContact: (phone) => store.contacts.lookup(phone),
    recentMails: (call, contact) => {
      try {
        return mail?.recentMailsFor?.(call, contact) ?? [];
      } catch (e) {
        log.warn('recent mails for popup failed', e);
        return [];
      }
    },
  });

  // ---- session ---------------------------------------------------------------------------
  function sessionState(): SessionState {
    const s = settings.get();
    return { relayUrl: s.relayUrl || opts.relayUrl || '', login: s.login, loggedIn: token != null, me };
  }

  function setConnection(s: ConnectionState): void {
    connection = s;
    events.emit('connection', s);
  }

  function setMe(next: Employee | null): void {
    me = next;
    settings.saveMe(next);
    events.emit('session', sessionState());
  }

  function relay(): RelayHttpClient {
    if (!http || !token) throw new RelayError('not-logged-in', MSG.notLoggedIn);
    return http;
  }

  function makeHttp(baseUrl: string): RelayHttpClient {
    return new RelayHttpClient({
      baseUrl,
      getToken: () => token,
      timeoutMs: opts.httpTimeoutMs,
      onSessionExpired: () => endSession(MSG.sessionExpired),
    });
  }

  /** Connects the feed for the current token; the calls cache belongs to `owner`. */
  function startSession(relayUrl: string): void {
    http = makeHttp(relayUrl);
    feed?.stop();
    sessionSynced = false;
    const client = new FeedClient({
      ...opts.feed,
      relayUrl,
      token: token!,
      lastId: () => settings.lastFeedId(),
      lastAt: () => settings.lastFeedAt(),
      // The relay's database was restored: calls and contacts after its backup are gone there and
      // their ids are issued again, so cached rows would linger as ghosts or be overwritten by other
      // calls. A full replay (lastId 0) rebuilds the cache from the feed, which carries every call.
      rewind: (lastId) => {
        // What the full replay brings back is history, not news.
        if (lastId === 0) sessionSynced = false;
        store.transaction(() => {
          if (lastId === 0) {
            store.calls.clear();
            store.contacts.clear();
          }
          settings.setLastFeedId(lastId);
        });
        popups.forgetDismissed();
      },
      apply: applyItem,
      skip: (id, at) => {
        log.info(`feed: item ${id} is of a kind this version does not know; skipped`);
        store.transaction(() => {
          if (id > settings.lastFeedId()) settings.setLastFeedId(id, at);
        });
      },
      onState: (s) => {
        if (feed === client) setConnection(s);
      },
      onWelcome: (employee) => {
        if (feed !== client) return;
        popups.beginBatch();
        setMe(employee);
      },
      onSynced: () => {
        if (feed !== client) return;
        sessionSynced = true;
        popups.endBatch();
        void popups.reconcile((id) => relay().call(id).catch((e) => (e instanceof RelayError && e.status === 404 ? null : Promise.reject(e))));
        void remindMissed();
      },
      onAuthFailed: () => {
        if (feed === client) endSession(MSG.sessionExpired);
      },
      log: (m, e) => log.warn(m, e),
    });
    feed = client;
    client.start();
    scheduleMissedReminders();
  }

  /** Logged out (by the user, or because the relay refused the token). Keeps URL and login. */
  function endSession(reason: string | undefined): void {
    if (token == null && feed == null) return;
    const f = feed;
    feed = null;
    f?.stop();
    token = null;
    settings.clearToken();
    if (missedTimer) clearInterval(missedTimer);
    if (missedRefreshTimer) clearInterval(missedRefreshTimer);
    missedTimer = missedRefreshTimer = null;
    missed = { seq: ++missedSeq, calls: [] };
    attention.setMissed(0);
    events.emit('missed', []);
    popups.endBatch();
    popups.closeAll();
    setConnection(reason ? { state: 'logged-out', reason } : { state: 'logged-out' });
    events.emit('session', sessionState());
  }

  async function login(relayUrlRaw: string, loginName: string, password: string): Promise<SessionState> {
    const relayUrl = normalizeRelayUrl(relayUrlRaw);
    const client = new RelayHttpClient({ baseUrl: relayUrl, getToken: () => null, timeoutMs: opts.httpTimeoutMs });
    const res = await client.login(loginName, password);
    // The feed position and the calls cache belong to one employee on one relay.
    const owner = `${relayUrl}|${res.employee.id}`;
    if (settings.owner() !== owner) {
      store.transaction(() => {
        store.calls.clear();
        store.contacts.clear();
        settings.setLastFeedId(0);
        settings.setOwner(owner);
      });
    }
    endSession(undefined);
    await settings.saveToken(res.token);
    token = res.token;
    settings.update({ relayUrl, login: loginName });
    setMe(res.employee);
    startSession(relayUrl);
    return sessionState();
  }

  async function logout(): Promise<void> {
    const client = http;
    if (client && token) {
      // Best effort: the relay forgets the token; being offline must not keep us logged in.
      await client.logout().catch((e) => log.info('logout request failed', e));
    }
    endSession(undefined);
  }

  // ---- feed ------------------------------------------------------------------------------
  /**
   * A call update without a `comment` field comes from a relay instance older than comments
   * (a rolling upgrade): it says nothing about the comment, so the cached one is kept. A newer
   * relay always sends the field (null when there is none).
   */
  function withKnownComment(item: FeedItem): FeedItem {
    const p = item.payload;
    if (p.kind !== 'call' || p.call.comment !== undefined) return item;
    const known = store.calls.get(p.call.id)?.comment;
    return known ? { ...item, payload: { ...p, call: { ...p.call, comment: known } } } : item;
  }

  /** The session's first replay is done: what a reconnect replays happened while it was down. */
  let sessionSynced = false;

  function applyItem(received: FeedItem, phase: 'replay' | 'live'): void {
    let nextMe: Employee | null = null;
    let item = received;
    const applied = store.transaction(() => {
      if (item.id <= settings.lastFeedId()) return false;
      item = withKnownComment(item);
      const p = item.payload;
      if (p.kind === 'call') {
        store.calls.upsert(p.call);
        if (p.contact) store.contacts.upsert(p.contact);
      } else if (p.kind === 'status' && me && p.change.employeeId === me.id) {
        nextMe = { ...me, acceptCalls: p.change.acceptCalls };
      } else if (p.kind === 'employee' && me && p.employee.id === me.id) {
        nextMe = p.employee;
      } else if (p.kind === 'contact-deleted') {
        for (const id of p.contactIds) store.contacts.remove(id);
      }
      if (nextMe) settings.saveMe(nextMe);
      settings.setLastFeedId(item.id, item.at);
      return true;
    });
    if (!applied) return;
    // Effects outside SQLite run after the commit: a listener failing cannot undo the item.
    if (nextMe) {
      me = nextMe;
      events.emit('session', sessionState());
    }
    events.emit('feed', { ...item, news: phase === 'live' || sessionSynced });
    const p = item.payload;
    if (p.kind === 'call') {
      if (phase === 'replay') popups.beginBatch();
      popups.onCall(p);
      // An ended call may be a new missed one or the callback that settles one.
      if (p.call.endedAt) attention.missedChanged();
    }
  }

  // ---- missed-call reminders -------------------------------------------------------------
  /** The last read of /api/missed applied (its sequence number): the list and the badge of it. */
  let missed: { seq: number; calls: Call[] } = { seq: 0, calls: [] };
  let missedSeq = 0;
  /**
   * Reads /api/missed, and from that one read sets the badge (callers: countMissedCallers) and
   * tells the renderer the list. Reads overlap (a call ended, the list opened, the reminder):
   * one that started before the last applied one is dropped, so an old answer arriving late
   * cannot undo a newer figure. Returns the newest list applied.
   */
  async function readMissed(client: RelayHttpClient): Promise<Call[]> {
    const seq = ++missedSeq;
    const calls = await client.missed();
    if (seq > missed.seq && client === http && token) {
      missed = { seq, calls };
      attention.setMissed(countMissedCallers(calls));
      events.emit('missed', calls);
    }
    return missed.calls;
  }

  let lastReminder = { at: 0, ids: '' };
  /**
   * Tells the shell about missed calls still to call back: at once when the set changed (a new
   * one, or after start), else at most once per reminder period, so a flapping connection
   * does not repeat the same notification on every reconnect.
   */
  async function remindMissed(): Promise<void> {
    if (!token || !http) return;
    try {
      const calls = await readMissed(http);
      const ids = calls.map((c) => c.id).sort((a, b) => a - b).join(',');
      const period = opts.missedReminderMs ?? 15 * 60_000;
      const now = Date.now();
      if (calls.length && (ids !== lastReminder.ids || now - lastReminder.at >= period)) {
        lastReminder = { at: now, ids };
        shellEvents.emit('missed-reminder', { calls });
      } else if (!calls.length) {
        lastReminder = { at: 0, ids: '' };
      }
    } catch (e) {
      log.info('missed reminder failed', e);
    }
  }

  function scheduleMissedReminders(): void {
    if (missedTimer) clearInterval(missedTimer);
    missedTimer = setInterval(() => void remindMissed(), opts.missedReminderMs ?? 15 * 60_000);
    missedTimer.unref?.();
    // A colleague's dismissal or call back, the 7-day limit, and (for an admin, who sees every
    // missed call) calls that never ring here change /api/missed with no feed item to this app.
    if (missedRefreshTimer) clearInterval(missedRefreshTimer);
    missedRefreshTimer = setInterval(() => attention.missedChanged(), opts.missedRefreshMs ?? 60_000);
    missedRefreshTimer.unref?.();
  }

  // ---- settings --------------------------------------------------------------------------
  /** Validates a patch (addresses normalized); throws a CoreError the user can read. */
  function preparePatch(patch: SettingsPatch): { patch: SettingsPatch; relayChanged: boolean } {
    const out: SettingsPatch = { ...patch };
    let relayChanged = false;
    if (patch.relayUrl !== undefined) {
      const raw = patch.relayUrl.trim();
      try {
        out.relayUrl = raw ? normalizeRelayUrl(raw) : '';
      } catch (e) {
        if (e instanceof RelayError) throw new CoreError('bad-url', e.message);
        throw new CoreError('bad-url', 'Неверный адрес сервера: укажите его полностью, например https://crm.asgard-service.ru');
      }
      relayChanged = (out.relayUrl || opts.relayUrl || '') !== sessionState().relayUrl;
    }
    if (patch.updateUrl !== undefined) {
      const checked = validateUpdateUrl(patch.updateUrl);
      if (!checked.ok) throw new CoreError('bad-update-url', checked.message);
      out.updateUrl = checked.url ?? '';
    }
    return { patch: out, relayChanged };
  }

  function commitSettings(patch: SettingsPatch): Settings {
    const next = settings.update(patch);
    events.emit('settings', next);
    shellEvents.emit('settings', next);
    updates.configure(next.updateUrl);
    return next;
  }

  /**
   * `settings:update`. A new relay address while logged in ends the session: the token and
   * the calls cache belong to the old relay, so the user logs in again on the new one (the
   * login form comes up with the new address filled in).
   */
  async function updateSettingsRequest(raw: SettingsPatch): Promise<SettingsUpdateResult> {
    const { patch, relayChanged } = preparePatch(raw);
    const loggedOut = relayChanged && token != null;
    // Saved first, so the session event of the logout already carries the new address.
    const next = commitSettings(patch);
    if (loggedOut) await logout();
    else if (relayChanged) events.emit('session', sessionState());
    return { settings: next, loggedOut };
  }

  async function about(): Promise<AboutInfo> {
    const shell = opts.shellInfo ?? { shell: 'browser' as const };
    let relayVersion: string | null = null;
    const base = sessionState().relayUrl;
    if (base) {
      try {
        relayVersion = await new RelayHttpClient({ baseUrl: base, getToken: () => null, timeoutMs: 3000 }).relayVersion();
      } catch {
        relayVersion = null; // offline or an old relay: "о программе" still opens
      }
    }
    return {
      name: APP_NAME,
      version: APP_VERSION,
      shell: shell.shell,
      electron: shell.shell === 'electron' ? (shell.electron ?? null) : null,
      chromium: shell.shell === 'electron' ? (shell.chromium ?? null) : null,
      node: process.versions.node,
      os: osDescription(),
      relayVersion,
      buildDate: shell.buildDate ?? null,
    };
  }

  // ---- requests --------------------------------------------------------------------------
  const handlers: Handlers = {
    'session:state': async () => sessionState(),
    'session:login': async (a) => login(a.relayUrl, a.login, a.password),
    'session:logout': async () => logout(),
    'me:setAcceptCalls': async (a) => {
      const updated = await relay().setAcceptCalls(a.acceptCalls);
      if (me && updated.id === me.id) setMe(updated);
      // The relay keeps the calls offered before the switch on the list, but the user looks at
      // it now: a fresh read costs one request and settles anything a colleague changed.
      attention.missedChanged();
      return updated;
    },
    'connection:state': async () => connection,
    'calls:list': async (q) => {
      try {
        return await relay().calls(q);
      } catch (e) {
        // Offline: the employee's own calls from the cache are better than an error page.
        if (e instanceof RelayError && e.code === 'relay-unreachable' && token && (q.employeeId == null || q.employeeId === me?.id))
          return { calls: store.calls.list(q) };
        throw e;
      }
    },
    // No offline fallback: the cache holds only one's own calls, and a report must not be partial.
    'calls:export': async (q) => relay().exportCalls(q),
    // The local cache is not written here: the relay's feed item brings the commented call,
    // in order with the call's other updates, to every app that has it (this one included).
    'calls:setComment': async (a) => relay().setCallComment(a.callId, a.text),
    'calls:callback': async (a) => {
      await relay().callback(a.toNumber);
      return { ok: true as const };
    },
    'calls:transfer': async (a) => relay().transfer(a.callId, a.toEmployeeId, a.method),
    'colleagues:list': async () => relay().colleagues(),
    'telephony:info': async () => relay().telephony(),
    'calls:recordingUrl': async (a) => {
      relay();
      if (!recordingUrl) throw new CoreError('unavailable', 'Прослушивание записей недоступно');
      return { url: recordingUrl(a.recordingId) };
    },
    'popups:list': async () => popups.list(),
    'popups:dismiss': async (a) => popups.dismiss(a.callId),
    'popups:keep': async (a) => popups.keep(a.callId, a.keep ?? true),
    'popups:layout': async (a) => {
      shellEvents.emit('popup-layout', { height: a.height });
    },
    'contacts:lookup': async (a) => {
      try {
        const c = await relay().lookupContact(a.phone);
        if (c) store.contacts.upsert(c);
        return c;
      } catch (e) {
        if (e instanceof RelayError && e.code === 'relay-unreachable') return store.contacts.lookup(a.phone);
        throw e;
      }
    },
    'contacts:get': async (a) => {
      const res = await relay().getContact(a.id);
      store.contacts.upsert(res.contact);
      return res;
    },
    'contacts:list': async (a) => {
      try {
        const list = await relay().contacts(a.search);
        store.transaction(() => list.forEach((c) => store.contacts.upsert(c)));
        return list;
      } catch (e) {
        if (e instanceof RelayError && e.code === 'relay-unreachable') return store.contacts.list(a.search);
        throw e;
      }
    },
    // The directory pages on the relay: no offline fallback (the cache holds what the app saw, not the directory).
    'contacts:page': async (a) => {
      const page = await relay().contactsPage(a);
      // Only contacts the cache already holds are refreshed: 50,000 browsed rows are not copied into it.
      const known = page.contacts.filter((c) => store.contacts.get(c.id));
      if (known.length) store.transaction(() => known.forEach(({ lastCallAt: _, ...c }) => store.contacts.upsert(c)));
      return page;
    },
    'contacts:export': async (a) => relay().exportContacts(a),
    'contacts:import': async (a) => relay().importContacts(a.csv, a.dryRun),
    'contacts:create': async (a) => {
      const c = await relay().createContact(a);
      store.contacts.upsert(c);
      return c;
    },
    'contacts:update': async (a) => {
      const c = await relay().updateContact(a.id, a.patch);
      store.contacts.upsert(c);
      return c;
    },
    'contacts:delete': async (a) => {
      await relay().deleteContact(a.id);
      store.contacts.remove(a.id);
    },
    'contacts:merge': async (a) => {
      const c = await relay().mergeContacts(a.keepId, a.mergeId);
      store.transaction(() => {
        store.contacts.remove(a.mergeId);
        store.contacts.upsert(c);
      });
      return c;
    },
    'missed:list': async () => readMissed(relay()),
    'missed:dismiss': async (a) => {
      await relay().dismissMissed('callIds' in a ? a.callIds : [a.callId]);
      attention.missedChanged();
    },
    'stats:get': async (a) => relay().stats(a),
    'stats:export': async (a) => relay().exportStats(a),
    'admin:employees': async () => relay().employees(),
    'admin:createEmployee': async (a) => relay().createEmployee(a),
    'admin:updateEmployee': async (a) => {
      const e = await relay().updateEmployee(a.id, a.patch);
      if (me && e.id === me.id) setMe(e);
      return e;
    },
    'admin:statusLog': async () => relay().statusLog(),
    'admin:mangoGet': async () => relay().mangoGet(),
    'admin:mangoSave': async (a) => relay().mangoSave(a),
    'admin:mangoTest': async (draft) => relay().mangoTest(draft),
    'admin:webhookJournal': async (a) => relay().webhookJournal(a?.hours),
    'admin:importUsers': async () => relay().importUsers(),
    'settings:get': async () => settings.get(),
    'settings:update': async (a) => updateSettingsRequest(a),
    'app:about': async () => about(),
    'app:attention': async () => attention.current(),
    'update:state': async () => updates.state(),
    'update:check': async () => updates.checkNow(),
    'update:install': async () => updates.install(),
  };

  async function run(name: unknown, args: unknown): Promise<unknown> {
    if (closed) throw new CoreError('closed', 'Приложение завершает работу');
    if (!isRequestName(name)) throw new CoreError('unknown-request', `Неизвестный запрос: ${String(name).slice(0, 60)}`);
    const parsed = (requests[name].args as z.ZodType).safeParse(args);
    if (!parsed.success) throw badRequest(name, parsed.error);
    if (name.startsWith('mail:')) {
      if (!mail) throw new CoreError('mail-unavailable', 'Почта недоступна');
      return mail.handle(name, parsed.data);
    }
    const handler = (handlers as Record<string, (a: unknown) => Promise<unknown>>)[name];
    if (!handler) throw new CoreError('unknown-request', `Неизвестный запрос: ${name}`);
    return handler(parsed.data);
  }

  async function handle(name: unknown, args: unknown): Promise<IpcResult<unknown>> {
    try {
      const value = await run(name, args);
      return { ok: true, value };
    } catch (e) {
      const error = toIpcError(e);
      if (error.code === 'internal') log.error(`request ${String(name)} failed`, e);
      return { ok: false, error };
    }
  }

  const api: AsgardApi = {
    async invoke(name, args) {
      const res = await handle(name, args);
      if (!res.ok) throw new CoreError(res.error.code, res.error.message);
      return res.value as never;
    },
    on: (name, listener) => events.on(name, listener as never),
  };

  // ---- start -----------------------------------------------------------------------------
  if (opts.mailFactory) {
    try {
      mail = await opts.mailFactory({
        store,
        secretBox: opts.secretBox,
        userDataDir: opts.userDataDir,
        emit: (event, payload) => {
          events.emit(event, payload as EventMap[typeof event]);
          if (event === 'mail:changed' || event === 'mail:new' || event === 'mail:accounts') attention.mailChanged();
        },
        log,
        settings: () => settings.get(),
      });
    } catch (e) {
      log.error('mail capability failed to start', e);
    }
    attention.mailChanged();
  }

  token = await settings.loadToken();
  const saved = settings.get();
  updates.configure(saved.updateUrl);
  if (token && saved.relayUrl) {
    try {
      startSession(saved.relayUrl);
    } catch (e) {
      log.error('could not resume the session', e);
      endSession(undefined);
    }
  } else {
    token = null;
  }

  return {
    handle,
    on: (event, listener) => events.on(event, listener as never),
    onAny: (listener) => events.onAny(listener as (e: EventName, p: unknown) => void),
    onShell: (event, listener) => shellEvents.on(event, listener),
    api,
    store,
    getSettings: () => settings.get(),
    updateSettings: (patch) => {
      const prepared = preparePatch(patch);
      // Only settings:update may end the session for a new relay address.
      if (prepared.relayChanged && token != null) throw new CoreError('bad-request', 'Адрес сервера меняется только на странице настроек');
      return commitSettings(prepared.patch);
    },
    setRecordingUrl: (fn) => {
      recordingUrl = fn;
    },
    fetchRecording: (id) => relay().recording(id),
    resume: () => feed?.reconnectNow(),
    close: async () => {
      if (closed) return;
      closed = true;
      updates.close();
      attention.close();
      feed?.stop();
      feed = null;
      if (missedTimer) clearInterval(missedTimer);
      if (missedRefreshTimer) clearInterval(missedRefreshTimer);
      try {
        await mail?.close?.();
      } catch (e) {
        log.warn('mail close failed', e);
      }
      store.close();
    },
  };
}

export type { CallPopup };

/** "Windows 10.0.19045 (x64)", "macOS 14.5 (arm64)", "Linux 6.1.0-18-amd64 (x64)". */
export function osDescription(): string {
  const arch = process.arch;
  switch (process.platform) {
    case 'win32':
      return `${os.version?.() || 'Windows'} ${os.release()} (${arch})`;
    case 'darwin':
      return `macOS (Darwin ${os.release()}) (${arch})`;
    default:
      return `${os.type()} ${os.release()} (${arch})`;
  }
}
