/**
 * The relay's REST API (docs/relay-api.md) as typed methods. Every answer is parsed with the
 * wire schemas; every failure becomes a RelayError with a Russian message. A 401 on an
 * authenticated route means the session is over: it is reported through `onSessionExpired`.
 */
import { z } from 'zod';
import {
  ApiErrorSchema,
  CallSchema,
  ContactSchema,
  ContactsImportResultSchema,
  ContactsPageSchema,
  EmployeeSchema,
  LoginResponseSchema,
  MangoSettingsViewSchema,
  MangoTestResultSchema,
  StatusChangeSchema,
  WebhookJournalSchema,
  type Call,
  type Contact,
  type ContactsCursor,
  type ContactsImportResult,
  type ContactsPage,
  type Employee,
  type LoginResponse,
  type MangoSettingsView,
  type MangoTestDraft,
  type MangoTestResult,
  type StatusChange,
  ColleagueSchema,
  type Colleague,
  TelephonyInfoSchema,
  type TelephonyInfo,
  type TransferMethod,
  type WebhookJournal,
} from '../../../src-shared/wire';
import type { CallsExport, CallsPage, ContactsExport, StatsExport, StatsResult } from '../../../src-shared/ipc/telephony';
import { MSG, RelayError, networkError } from './errors';

export interface RelayHttpOptions {
  baseUrl: string;
  /** The current session token; null when logged out. */
  getToken: () => string | null;
  /** Called once per request that found the token expired or unknown. */
  onSessionExpired?: (code: 'token-expired' | 'unauthorized') => void;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/** Trims, drops trailing slashes, insists on http(s): what the user typed into the login form. */
export function normalizeRelayUrl(raw: string): string {
  const url = new URL(raw.trim());
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RelayError('bad-url', 'Адрес сервера должен начинаться с http:// или https://');
  url.hash = '';
  url.search = '';
  return url.toString().replace(/\/+$/, '');
}

export function feedSocketUrl(baseUrl: string): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + '/api/ws');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

type Query = Record<string, string | number | boolean | null | undefined>;

/**
 * The UTC offset of zone `tz` at `at`, in minutes east of UTC. A name this runtime's ICU does not
 * know either falls back to this computer's own offset: the renderer sends this computer's zone.
 */
export function utcOffsetMinutes(tz: string, at: Date = new Date()): number {
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
    // "GMT+05:30", "GMT-03:00"; plain "GMT" at UTC itself.
    const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
    if (m) return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  } catch {
    // RangeError: a zone ICU does not know.
  }
  return -at.getTimezoneOffset() || 0;
}

/**
 * With a zone goes its current UTC offset, worked out here (the renderer's request carries the
 * name only): a relay whose tzdata lacks the name, one renamed since, counts in the offset
 * instead of refusing.
 */
function withOffset(query: Query): Query {
  return typeof query.tz === 'string' && query.tzOffset == null ? { ...query, tzOffset: utcOffsetMinutes(query.tz) } : query;
}

/** How long an export may take to arrive: 100,000 calls are a few megabytes. */
const EXPORT_TIMEOUT_MS = 120_000;

const CallsList = z.object({ calls: z.array(CallSchema) });
const TransferAnswer = z.object({ commandId: z.string() });
const ColleaguesList = z.object({ colleagues: z.array(ColleagueSchema) });
const CallsPageSchema = CallsList.extend({ total: z.object({ count: z.number().int().nonnegative(), capped: z.boolean() }).optional() });
const ContactsList = z.object({ contacts: z.array(ContactSchema) });
const ContactLookup = z.object({ contact: ContactSchema.nullable() });
const ContactWithCalls = z.object({ contact: ContactSchema, calls: z.array(CallSchema) });
const EmployeesList = z.object({ employees: z.array(EmployeeSchema) });
const StatusLog = z.object({ log: z.array(StatusChangeSchema) });
const CallbackAnswer = z.object({ ok: z.literal(true) }).passthrough();
const ImportAnswer = z.object({ created: z.number().int(), updated: z.number().int() });
const Ok = z.object({ ok: z.literal(true) }).passthrough();
const AnyJson = z.unknown();

export class RelayHttpClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly opts: RelayHttpOptions) {
    this.baseUrl = normalizeRelayUrl(opts.baseUrl);
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  /** The relay's version from its health check (`version`), or null when it reports none. */
  async relayVersion(): Promise<string | null> {
    const res = await this.request('GET', '/healthz', { schema: AnyJson, auth: false });
    const v = (res as { version?: unknown } | null)?.version;
    return typeof v === 'string' && v.length <= 100 ? v : null;
  }

  // ---- session -------------------------------------------------------------------------
  login(login: string, password: string): Promise<LoginResponse> {
    return this.request('POST', '/api/auth/login', { body: { login, password }, schema: LoginResponseSchema, auth: false });
  }
  async logout(): Promise<void> {
    await this.request('POST', '/api/auth/logout', { schema: AnyJson });
  }
  me(): Promise<Employee> {
    return this.request('GET', '/api/me', { schema: EmployeeSchema });
  }
  setAcceptCalls(acceptCalls: boolean): Promise<Employee> {
    return this.request('PUT', '/api/me/status', { body: { acceptCalls }, schema: EmployeeSchema });
  }

  // ---- calls ---------------------------------------------------------------------------
  calls(query: Query): Promise<CallsPage> {
    return this.request('GET', '/api/calls', { query, schema: CallsPageSchema });
  }
  call(id: number): Promise<Call> {
    return this.request('GET', `/api/calls/${id}`, { schema: CallSchema });
  }
  /** Sets (empty text: removes) the call's comment; the call as the relay now has it. */
  setCallComment(id: number, text: string): Promise<Call> {
    return this.request('PUT', `/api/calls/${id}/comment`, { body: { text }, schema: CallSchema });
  }
  async callback(toNumber: string): Promise<void> {
    await this.request('POST', '/api/calls/callback', { body: { toNumber }, schema: CallbackAnswer });
  }
  async transfer(callId: number, toEmployeeId: number, method: TransferMethod): Promise<{ commandId: string }> {
    return this.request('POST', `/api/calls/${callId}/transfer`, { body: { toEmployeeId, method }, schema: TransferAnswer });
  }
  async telephony(): Promise<TelephonyInfo> {
    return this.request('GET', '/api/telephony', { schema: TelephonyInfoSchema });
  }

  async colleagues(): Promise<Colleague[]> {
    return (await this.request('GET', '/api/colleagues', { schema: ColleaguesList })).colleagues;
  }
  /** The recording's audio, streamed; the caller (a shell's proxy) forwards it to the player. */
  async recording(id: string): Promise<Response> {
    const res = await this.raw('GET', `/api/recordings/${encodeURIComponent(id)}`, { auth: true });
    if (!res.ok) throw await this.failure(res, true);
    return res;
  }
  async missed(): Promise<Call[]> {
    return (await this.request('GET', '/api/missed', { schema: CallsList })).calls;
  }
  /** One call by the route every relay has; several (a caller's row) in one request, all or none. */
  async dismissMissed(callIds: number[]): Promise<void> {
    if (callIds.length === 1) await this.request('POST', `/api/missed/${callIds[0]}/dismiss`, { schema: Ok });
    else {
      try {
        await this.request('POST', '/api/missed/dismiss', { body: { callIds }, schema: Ok });
      } catch (e) {
        // A relay older than the batch route answers 404 for the route: one by one then (a call
        // it does not let us see is a 404 that way too).
        if (!(e instanceof RelayError && e.status === 404)) throw e;
        for (const id of callIds) await this.request('POST', `/api/missed/${id}/dismiss`, { schema: Ok });
      }
    }
  }
  /** Counted in the zone (withOffset), and the answer's `countedIn` says which clock it was. */
  stats(query: Query): Promise<StatsResult> {
    return this.request('GET', '/api/stats', { query: withOffset(query), schema: AnyJson }) as Promise<StatsResult>;
  }
  /** «Выгрузить в CSV» of the statistics, same query and zone as stats(). */
  exportStats(query: Query): Promise<StatsExport> {
    return this.csvFile('/api/stats/export', withOffset(query), /^stats-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/, 'stats.csv');
  }
  /** «Выгрузить в CSV» of the history: the list's filter, times in the zone. */
  exportCalls(query: Query): Promise<CallsExport> {
    return this.csvFile('/api/calls/export', withOffset(query), /^calls-\d{4}-\d{2}-\d{2}\.csv$/, 'calls.csv');
  }

  // ---- contacts ------------------------------------------------------------------------
  async contacts(search?: string): Promise<Contact[]> {
    return (await this.request('GET', '/api/contacts', { query: { search }, schema: ContactsList })).contacts;
  }
  createContact(input: Omit<Contact, 'id' | 'createdAt' | 'updatedAt'>): Promise<Contact> {
    return this.request('POST', '/api/contacts', { body: input, schema: ContactSchema });
  }
  async lookupContact(phone: string): Promise<Contact | null> {
    return (await this.request('GET', '/api/contacts/lookup', { query: { phone }, schema: ContactLookup })).contact;
  }
  getContact(id: number): Promise<{ contact: Contact; calls: Call[] }> {
    return this.request('GET', `/api/contacts/${id}`, { schema: ContactWithCalls });
  }
  updateContact(id: number, patch: Partial<Contact>): Promise<Contact> {
    return this.request('PATCH', `/api/contacts/${id}`, { body: patch, schema: ContactSchema });
  }
  async deleteContact(id: number): Promise<void> {
    await this.request('DELETE', `/api/contacts/${id}`, { schema: Ok });
  }
  mergeContacts(keepId: number, mergeId: number): Promise<Contact> {
    return this.request('POST', '/api/contacts/merge', { body: { keepId, mergeId }, schema: ContactSchema });
  }
  /** A page of the directory, after the previous page's cursor. */
  contactsPage(q: { search?: string; limit: number; after?: ContactsCursor }): Promise<ContactsPage> {
    const query = { search: q.search, limit: q.limit, afterName: q.after?.name, afterId: q.after?.id };
    return this.request('GET', '/api/contacts', { query, schema: ContactsPageSchema });
  }
  /** «Выгрузить в CSV» of the directory. */
  exportContacts(query: { search?: string; tz?: string }): Promise<ContactsExport> {
    return this.csvFile('/api/contacts/export', query, /^contacts-\d{4}-\d{2}-\d{2}\.csv$/, 'contacts.csv');
  }

  /** «Загрузить из CSV» (admins): a dry run or the import itself; 20,000 rows take a while. */
  importContacts(csv: string, dryRun: boolean): Promise<ContactsImportResult> {
    return this.request('POST', '/api/contacts/import', { body: { csv, dryRun }, schema: ContactsImportResultSchema, timeoutMs: EXPORT_TIMEOUT_MS });
  }

  // ---- admin ---------------------------------------------------------------------------
  async employees(): Promise<Employee[]> {
    return (await this.request('GET', '/api/admin/employees', { schema: EmployeesList })).employees;
  }
  createEmployee(input: Record<string, unknown>): Promise<Employee> {
    return this.request('POST', '/api/admin/employees', { body: input, schema: EmployeeSchema });
  }
  updateEmployee(id: number, patch: Record<string, unknown>): Promise<Employee> {
    return this.request('PATCH', `/api/admin/employees/${id}`, { body: patch, schema: EmployeeSchema });
  }
  async statusLog(limit?: number): Promise<StatusChange[]> {
    return (await this.request('GET', '/api/admin/status-log', { query: { limit }, schema: StatusLog })).log;
  }
  mangoGet(): Promise<MangoSettingsView> {
    return this.request('GET', '/api/admin/mango', { schema: MangoSettingsViewSchema });
  }
  mangoSave(input: Record<string, unknown>): Promise<MangoSettingsView> {
    return this.request('PUT', '/api/admin/mango', { body: input, schema: MangoSettingsViewSchema });
  }
  /** The saved settings, or with `draft` the values typed in the form (not saved). */
  mangoTest(draft?: MangoTestDraft): Promise<MangoTestResult> {
    return this.request('POST', '/api/admin/mango/test', { body: draft, schema: MangoTestResultSchema });
  }
  webhookJournal(hours?: number): Promise<WebhookJournal> {
    return this.request('GET', '/api/admin/mango/webhook-journal', { query: { hours }, schema: WebhookJournalSchema });
  }
  importUsers(): Promise<{ created: number; updated: number }> {
    return this.request('POST', '/api/admin/mango/import-users', { schema: ImportAnswer });
  }

  // ---- plumbing ------------------------------------------------------------------------
  private async request<S extends z.ZodType>(
    method: string,
    path: string,
    o: { body?: unknown; query?: Query; schema: S; auth?: boolean; timeoutMs?: number },
  ): Promise<z.infer<S>> {
    const auth = o.auth ?? true;
    const res = await this.raw(method, path + queryString(o.query), { body: o.body, auth, timeoutMs: o.timeoutMs && Math.max(this.timeoutMs, o.timeoutMs) });
    if (!res.ok) throw await this.failure(res, auth);
    let json: unknown;
    try {
      json = res.status === 204 ? {} : await res.json();
    } catch {
      throw new RelayError('bad-response', MSG.badResponse, res.status);
    }
    const parsed = o.schema.safeParse(json);
    if (!parsed.success) throw new RelayError('bad-response', MSG.badResponse, res.status);
    return parsed.data;
  }

  /**
   * A CSV file the relay writes (the exports), its BOM kept: Excel needs it to read UTF-8. Only a
   * file name of the relay's own form (`name`) is taken, since it becomes one on this computer.
   * Up to 100,000 rows stream out of the relay, so it may take longer than a JSON request.
   */
  private async csvFile(path: string, query: Query, name: RegExp, fallback: string): Promise<{ filename: string; csv: string }> {
    const res = await this.raw('GET', path + queryString(query), { auth: true, accept: 'text/csv', timeoutMs: Math.max(this.timeoutMs, EXPORT_TIMEOUT_MS) });
    if (!res.ok) throw await this.failure(res, true);
    if (!/^text\/csv\b/i.test(res.headers.get('content-type') ?? '')) throw new RelayError('bad-response', MSG.badResponse, res.status);
    let csv: string;
    try {
      csv = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
    } catch (e) {
      throw networkError(e);
    }
    const given = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
    return { filename: given && name.test(given) ? given : fallback, csv };
  }

  private async raw(method: string, path: string, o: { body?: unknown; auth: boolean; accept?: string; timeoutMs?: number }): Promise<Response> {
    const headers: Record<string, string> = { accept: o.accept ?? 'application/json' };
    if (o.auth) {
      const token = this.opts.getToken();
      if (!token) throw new RelayError('not-logged-in', MSG.notLoggedIn);
      headers.authorization = `Bearer ${token}`;
    }
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: AbortSignal.timeout(o.timeoutMs ?? this.timeoutMs),
        redirect: 'error',
      });
    } catch (e) {
      throw networkError(e);
    }
  }

  private async failure(res: Response, authenticated: boolean): Promise<RelayError> {
    let body: { error: string; message: string } | null = null;
    try {
      const parsed = ApiErrorSchema.safeParse(await res.json());
      if (parsed.success) body = parsed.data;
    } catch {
      /* not JSON: a proxy's error page */
    }
    if (res.status === 401) {
      if (!authenticated) return new RelayError('invalid-credentials', MSG.invalidCredentials, 401);
      const code = body?.error === 'token-expired' ? 'token-expired' : 'unauthorized';
      this.opts.onSessionExpired?.(code);
      return new RelayError('session-expired', MSG.sessionExpired, 401);
    }
    if (res.status === 403) return new RelayError(body?.error ?? 'forbidden', body?.message ?? MSG.forbidden, 403);
    // An older relay without this route (Fastify's own 404: "Route GET:/api/… not found"): the
    // feature needs the relay updated, which the app says in Russian instead of the English.
    if (res.status === 404 && body?.error === 'Not Found' && /^Route [A-Z]+:\S+ not found$/.test(body.message))
      return new RelayError('unknown-request', MSG.relayTooOld, 404);
    if (body) return new RelayError(body.error, body.message, res.status);
    if (res.status === 404) return new RelayError('not-found', `${MSG.badResponse} (HTTP 404)`, 404);
    if (res.status >= 500) return new RelayError('relay-error', `Ошибка сервера телефонии (HTTP ${res.status})`, res.status);
    return new RelayError('relay-error', `Сервер телефонии отклонил запрос (HTTP ${res.status})`, res.status);
  }
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
}
