import { z } from 'zod';
import { request, event } from './define';
import type { Call, Colleague, Contact, ContactsImportResult, ContactsPage, Employee, FeedItem, MangoSettingsView, MangoTestResult, StatsCountedIn, StatusChange, TelephonyInfo, WebhookJournal } from '../wire';
import { CALL_COMMENT_MAX, CallDirectionSchema, CONTACTS_IMPORT_MAX_CHARS, ContactsCursorSchema, MangoTestDraftSchema, MISSED_DISMISS_MAX, RoleSchema, RoutingModeSchema, TransferMethodSchema } from '../wire';

export type ConnectionState =
  | { state: 'logged-out'; reason?: string }
  | { state: 'connecting' }
  | { state: 'connected'; since: string }
  | { state: 'reconnecting'; retryInSec: number; error: string };

/**
 * A feed item as the core applied it. `news`: it happened during this session — live, or
 * replayed on a reconnect (it happened while the connection was down), so a notification may
 * say so; false for the history replayed when the session starts or after a rewind. Known
 * without comparing this computer's clock with the relay's.
 */
export type AppliedFeedItem = FeedItem & { news: boolean };

export interface SessionState {
  relayUrl: string;
  login: string;
  loggedIn: boolean;
  me: Employee | null;
}

/** A popup the shell must show (or update); closed when `open` turns false. */
export interface CallPopup {
  callId: number;
  open: boolean;
  call: Call;
  contact: Contact | null;
  recentCalls: Call[];
  recentMails: { subject: string; date: string; from: string }[];
}

export const CallsQuerySchema = z.object({
  limit: z.number().int().min(1).max(1000).default(200),
  before: z.number().int().optional(),
  direction: CallDirectionSchema.optional(),
  status: z.enum(['active', 'answered', 'missed', 'unanswered']).optional(),
  phone: z.string().max(64).optional(),
  employeeId: z.number().int().optional(),
  search: z.string().max(100).optional(),
  since: z.string().optional(),
  until: z.string().optional(),
});
export type CallsQuery = z.input<typeof CallsQuerySchema>;

/**
 * «Выгрузить в CSV»: the history's filter (no paging: the relay writes every matching call, up
 * to its cap) and the renderer's IANA zone, which the file's times are written in.
 */
export const CallsExportQuerySchema = CallsQuerySchema.omit({ limit: true, before: true }).extend({ tz: z.string().min(1).max(64).optional() });
export type CallsExportQuery = z.input<typeof CallsExportQuerySchema>;

export const ContactsPageQuerySchema = z.object({
  search: z.string().max(100).optional(),
  limit: z.number().int().min(1).max(500).default(100),
  after: ContactsCursorSchema.optional(),
});
export type ContactsPageQuery = z.input<typeof ContactsPageQuerySchema>;

/** An exported directory: contacts-YYYY-MM-DD.csv and its text, BOM included. */
export interface ContactsExport {
  filename: string;
  csv: string;
}

const ContactInput = z.object({
  name: z.string().max(200),
  company: z.string().max(200).default(''),
  phones: z.array(z.string().max(64)).max(20).default([]),
  emails: z.array(z.string().max(200)).max(20).default([]),
  note: z.string().max(5000).default(''),
});

export interface StatsResult {
  days: { day: string; answered: number; missed: number }[];
  byHour: { hour: number; answered: number; missed: number }[];
  byEmployee: { employeeId: number; name: string; answered: number; missed: number; avgWaitSec: number; avgTalkSec: number }[];
  totals: { total: number; answered: number; missed: number; missedRate: number };
  /** The clock the days and hours were counted in (relays since the UTC-offset fallback). */
  countedIn?: StatsCountedIn;
}

/**
 * How many calls match a query in all, sent with its first page (none with later pages, nor from
 * the offline cache). Counted up to CALLS_TOTAL_CAP: past it, `capped` is set.
 */
export interface CallsTotal {
  count: number;
  capped: boolean;
}
export const CALLS_TOTAL_CAP = 10_000;

export interface CallsPage {
  calls: Call[];
  total?: CallsTotal;
}

/** An exported history: the file name the relay chose (calls-YYYY-MM-DD.csv) and its text, BOM included. */
export interface CallsExport {
  filename: string;
  csv: string;
}

/**
 * A statistics query: [since, until) as ISO instants, one employee (admins; the relay gives
 * employees their own), and the renderer's IANA zone, so the relay counts days and hours on the
 * same clock as since/until (absent: the relay's default, Moscow).
 */
export const StatsQuerySchema = z.object({ since: z.string(), until: z.string(), employeeId: z.number().int().optional(), tz: z.string().min(1).max(64).optional() });

/** Exported statistics: the relay's file name (stats-YYYY-MM-DD_YYYY-MM-DD.csv) and its text, BOM included. */
export interface StatsExport {
  filename: string;
  csv: string;
}

export const telephonyRequests = {
  'session:state': request<SessionState>()(z.undefined()),
  'session:login': request<SessionState>()(
    z.object({ relayUrl: z.string().url().max(500), login: z.string().min(1).max(100), password: z.string().min(1).max(200) }),
  ),
  'session:logout': request<void>()(z.undefined()),
  'me:setAcceptCalls': request<Employee>()(z.object({ acceptCalls: z.boolean() })),
  'connection:state': request<ConnectionState>()(z.undefined()),
  'calls:list': request<CallsPage>()(CallsQuerySchema),
  'calls:export': request<CallsExport>()(CallsExportQuerySchema),
  'calls:callback': request<{ ok: true }>()(z.object({ toNumber: z.string().min(2).max(64) })),
  'calls:recordingUrl': request<{ url: string }>()(z.object({ recordingId: z.string().min(1).max(256) })),
  /**
   * «Перевести звонок»: hands the call the employee is talking on to a colleague (Mango's
   * commands/transfer). `blind`: the colleague's phone rings and this employee's leg ends;
   * `hold`: the client waits on hold while this employee talks to the colleague first, and
   * hanging up joins them. Answers once Mango accepted the command.
   */
  'calls:transfer': request<{ commandId: string }>()(
    z.object({ callId: z.number().int(), toEmployeeId: z.number().int(), method: TransferMethodSchema.default('blind') }),
  ),
  /** Colleagues a call can be transferred to: active, with an extension, not oneself; by name. */
  'colleagues:list': request<Colleague[]>()(z.undefined()),
  /** How the relay distributes calls: what «Приём звонков» does for this employee. */
  'telephony:info': request<TelephonyInfo>()(z.undefined()),
  /**
   * «Комментарий к звонку»: sets the call's comment (empty text removes it) and answers the call
   * as the relay now has it. The relay counts the length in characters and trims; here only a bound.
   */
  'calls:setComment': request<Call>()(z.object({ callId: z.number().int(), text: z.string().max(CALL_COMMENT_MAX * 2) })),
  'popups:list': request<CallPopup[]>()(z.undefined()),
  'popups:dismiss': request<void>()(z.object({ callId: z.number().int() })),
  /**
   * The user is typing in a popup (a comment, the transfer form): no timer hides it. `keep: false`
   * when the form closes: an ended call's card then goes by its usual wrap-up timer again.
   */
  'popups:keep': request<void>()(z.object({ callId: z.number().int(), keep: z.boolean().optional() })),
  /**
   * The popup window's content height in CSS pixels (its cards, a comment being written, the
   * transfer form open): the shell sizes the window to it, within the screen.
   */
  'popups:layout': request<void>()(z.object({ height: z.number().int().min(40).max(4000) })),
  'contacts:lookup': request<Contact | null>()(z.object({ phone: z.string().min(1).max(64) })),
  'contacts:get': request<{ contact: Contact; calls: Call[] }>()(z.object({ id: z.number().int() })),
  'contacts:list': request<Contact[]>()(z.object({ search: z.string().max(100).optional() })),
  'contacts:create': request<Contact>()(ContactInput),
  'contacts:update': request<Contact>()(
    z.object({ id: z.number().int(), patch: ContactInput.partial() }),
  ),
  /** «Удалить контакт»: gone for everyone (with the contacts merged into it); calls keep their numbers. */
  'contacts:delete': request<void>()(z.object({ id: z.number().int() })),
  'contacts:merge': request<Contact>()(
    z.object({ keepId: z.number().int(), mergeId: z.number().int() }),
  ),
  /** «Контакты»: a page of the directory by name (the relay searches and pages); `total` with the first page. */
  'contacts:page': request<ContactsPage>()(ContactsPageQuerySchema),
  /** «Выгрузить в CSV» of the directory for the same search; the file as the relay wrote it, BOM kept. */
  'contacts:export': request<ContactsExport>()(z.object({ search: z.string().max(100).optional(), tz: z.string().min(1).max(64).optional() })),
  /**
   * «Загрузить из CSV» (admins; the relay checks): the file's text, already decoded by the
   * renderer. `dryRun` answers what would happen without writing anything.
   */
  'contacts:import': request<ContactsImportResult>()(z.object({ csv: z.string().max(CONTACTS_IMPORT_MAX_CHARS), dryRun: z.boolean() })),
  /** The relay's missed calls to call back, read now; the core's badge count follows this same read. */
  'missed:list': request<Call[]>()(z.undefined()),
  /**
   * «×» on a row: `callIds` are all of one caller's missed calls (the list shows a caller once);
   * `callId` alone is the older single-call form, still taken.
   */
  'missed:dismiss': request<void>()(
    z.union([z.object({ callId: z.number().int() }), z.object({ callIds: z.array(z.number().int()).min(1).max(MISSED_DISMISS_MAX) })]),
  ),
  // tz: see StatsQuerySchema.
  'stats:get': request<StatsResult>()(StatsQuerySchema),
  /** «Выгрузить в CSV» of the statistics for the same query; the file as the relay wrote it, BOM kept. */
  'stats:export': request<StatsExport>()(StatsQuerySchema),
  // Admin (the relay checks the role again; the app only hides what a non-admin cannot use).
  'admin:employees': request<Employee[]>()(z.undefined()),
  'admin:createEmployee': request<Employee>()(
    z.object({
      login: z.string().min(1).max(100),
      name: z.string().min(1).max(200),
      role: RoleSchema,
      password: z.string().min(6).max(200),
      extension: z.string().max(20).nullable().optional(),
      email: z.string().max(200).nullable().optional(),
    }),
  ),
  'admin:updateEmployee': request<Employee>()(
    z.object({
      id: z.number().int(),
      patch: z.object({
        name: z.string().min(1).max(200).optional(),
        role: RoleSchema.optional(),
        extension: z.string().max(20).nullable().optional(),
        acceptCalls: z.boolean().optional(),
        active: z.boolean().optional(),
        password: z.string().min(6).max(200).optional(),
      }),
    }),
  ),
  'admin:statusLog': request<StatusChange[]>()(z.undefined()),
  'admin:mangoGet': request<MangoSettingsView>()(z.undefined()),
  'admin:mangoSave': request<MangoSettingsView>()(
    z.object({
      apiKey: z.string().max(200).optional(),
      apiSalt: z.string().max(200).optional(),
      vpbxId: z.string().max(100).optional(),
      apiUrl: z.string().max(500).optional(),
      enabled: z.boolean().optional(),
      routingMode: RoutingModeSchema.optional(),
      groupId: z.string().max(50).nullable().optional(),
    }),
  ),
  'admin:mangoTest': request<MangoTestResult>()(MangoTestDraftSchema.optional()),
  /** What Mango's callbacks got in the last `hours` hours (default 24). */
  'admin:webhookJournal': request<WebhookJournal>()(z.object({ hours: z.number().int().min(1).max(168) }).optional()),
  'admin:importUsers': request<{ created: number; updated: number }>()(z.undefined()),
};

export const telephonyEvents = {
  connection: event<ConnectionState>(),
  session: event<SessionState>(),
  /** Every feed item applied by the core, in order (history, statuses, presence). */
  feed: event<AppliedFeedItem>(),
  popup: event<CallPopup>(),
  /**
   * The missed calls to call back, each time the core re-reads them (a call ended, a dismissal,
   * a reconnect, the periodic check): the «Перезвонить» list and the badge come from one read.
   */
  missed: event<Call[]>(),
};
