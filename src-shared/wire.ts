/**
 * The relay↔app contract: REST shapes and WebSocket feed messages, as zod schemas + types.
 * The single source for server/ and src-main/core; both sides parse what they receive.
 */
import { z } from 'zod';
import { ROLES } from './roles';

export const RoleSchema = z.enum(ROLES);

export const EmployeeSchema = z.object({
  id: z.number().int(),
  login: z.string(),
  name: z.string(),
  role: RoleSchema,
  extension: z.string().nullable(),
  mangoUserId: z.string().nullable(),
  email: z.string().nullable(),
  phones: z.array(z.string()),
  active: z.boolean(),
  acceptCalls: z.boolean(),
  /** True once an admin or the employee set the flag by hand; role changes then keep it. */
  acceptCallsManual: z.boolean(),
  online: z.boolean().optional(),
});
export type Employee = z.infer<typeof EmployeeSchema>;

export const CallDirectionSchema = z.enum(['in', 'out', 'internal']);
export type CallDirection = z.infer<typeof CallDirectionSchema>;
export const CallStatusSchema = z.enum(['active', 'answered', 'missed', 'unanswered']);
export type CallStatus = z.infer<typeof CallStatusSchema>;

export const RecordingSchema = z.object({
  id: z.string(),
  state: z.enum(['started', 'completed', 'available', 'failed']),
});

/** The longest comment on a call, in characters (code points, as PostgreSQL counts them). */
export const CALL_COMMENT_MAX = 2000;
/** An employee's note on a call («Комментарий к звонку»): the current text, who wrote it last, when. */
export const CallCommentSchema = z.object({
  text: z.string(),
  by: z.object({ id: z.number().int(), name: z.string() }),
  at: z.string(),
});
export type CallComment = z.infer<typeof CallCommentSchema>;

export const CallSchema = z.object({
  id: z.number().int(),
  entryId: z.string(),
  direction: CallDirectionSchema,
  from: z.object({ number: z.string().nullable(), extension: z.string().nullable() }),
  to: z.object({ number: z.string().nullable(), extension: z.string().nullable(), line: z.string().nullable() }),
  /** The external party's normalized number (E.164) — what contacts are matched on. */
  clientNumber: z.string().nullable(),
  employee: z.object({ id: z.number().int(), name: z.string(), extension: z.string().nullable() }).nullable(),
  status: CallStatusSchema,
  /** While active: ringing somewhere, or talking. */
  phase: z.enum(['ivr', 'ringing', 'talking', 'ended']),
  /** Extensions currently ringing (active calls only). */
  ringingExtensions: z.array(z.string()),
  /**
   * Extensions talking on the call now (active calls only; after a transfer, the colleague's, not
   * the first answerer's, who stays `employee`). Optional: relays before call transfer send none.
   */
  talkingExtensions: z.array(z.string()).optional(),
  /**
   * The employees behind talkingExtensions (an extension no employee has, e.g. a fax line, is
   * left out): whom the popup names while the call goes on. Optional, as talkingExtensions.
   */
  talkingEmployees: z.array(z.object({ id: z.number().int(), name: z.string() })).optional(),
  startedAt: z.string(),
  answeredAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  talkSeconds: z.number().int(),
  waitSeconds: z.number().int(),
  disconnectReason: z.number().int().nullable(),
  recordings: z.array(RecordingSchema),
  reconciled: z.boolean(),
  /** null: none. Optional: relays before comments send no such field, and older apps ignore it. */
  comment: CallCommentSchema.nullable().optional(),
  /**
   * Whether the employee this copy was sent to may write its comment (an admin, or one who took,
   * made, was on or was offered the call). Per viewer: set in the API's answers and in one's own
   * feed items. Absent (older relays, views of other calls such as a feed item's recentCalls):
   * unknown, and the app offers «Комментарий» as before; the relay checks either way.
   */
  canComment: z.boolean().optional(),
});
export type Call = z.infer<typeof CallSchema>;

/** How a call is handed to a colleague: at once (`blind`), or after talking to them with the client on hold (`hold`). */
export const TransferMethodSchema = z.enum(['blind', 'hold']);
export type TransferMethod = z.infer<typeof TransferMethodSchema>;

/**
 * POST /api/missed/dismiss: one caller's missed calls taken off the «Перезвонить» list at once
 * (the list shows a caller once). As many as /api/missed lists at most.
 */
export const MISSED_DISMISS_MAX = 200;
export const MissedDismissBodySchema = z.object({ callIds: z.array(z.number().int().positive()).min(1).max(MISSED_DISMISS_MAX) });

/** A colleague as every employee may see them (GET /api/colleagues): whom a call can go to. */
export const ColleagueSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  extension: z.string(),
  /** «Приём звонков» on. */
  acceptCalls: z.boolean(),
});
export type Colleague = z.infer<typeof ColleagueSchema>;

/** The largest UTC offsets in use, in minutes east of UTC (−12:00 … +14:00): the bounds of stats' `tzOffset`. */
export const UTC_OFFSET_MIN = -12 * 60;
export const UTC_OFFSET_MAX = 14 * 60;

/**
 * The clock GET /api/stats counted days and hours in, sent beside the figures: the app's zone by
 * its name (as PostgreSQL spells it), or, when the relay's tzdata does not know that name (a zone
 * renamed after it, such as Europe/Kyiv), the app's current UTC offset (minutes east of UTC).
 * Absent from relays before it.
 */
export type StatsCountedIn = { tz: string } | { tzOffset: number };

export const ContactSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  company: z.string(),
  phones: z.array(z.string()),
  emails: z.array(z.string()),
  note: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Contact = z.infer<typeof ContactSchema>;

/** «Контакты»: a directory row also says when the viewer last saw a call with the contact. */
export const ContactListItemSchema = ContactSchema.extend({ lastCallAt: z.string().nullable() });
export type ContactListItem = z.infer<typeof ContactListItemSchema>;
/** Where the next page starts: after this (name, id), the directory's order. */
export const ContactsCursorSchema = z.object({ name: z.string(), id: z.number().int() });
export type ContactsCursor = z.infer<typeof ContactsCursorSchema>;
/** A page of GET /api/contacts?limit=…; `total` (all matching) comes with the first page only. */
export const ContactsPageSchema = z.object({
  contacts: z.array(ContactListItemSchema),
  next: ContactsCursorSchema.nullable(),
  total: z.number().int().nonnegative().optional(),
});
export type ContactsPage = z.infer<typeof ContactsPageSchema>;

/** The most data rows one import file may hold. */
export const CONTACTS_IMPORT_MAX_ROWS = 20_000;
/** The largest import file, in characters of text (20,000 rows with long notes fit). */
export const CONTACTS_IMPORT_MAX_CHARS = 5_000_000;
/** What the import took a file's column for: a contact's field, or a part of the name. */
export const ContactsImportFieldSchema = z.enum(['name', 'lastName', 'firstName', 'middleName', 'company', 'position', 'phone', 'email', 'note']);
export type ContactsImportField = z.infer<typeof ContactsImportFieldSchema>;
/** A column of the file (1-based, as Excel counts), its header, and what it was used for (null: ignored). */
export const ContactsImportColumnSchema = z.object({ column: z.number().int(), header: z.string(), field: ContactsImportFieldSchema.nullable() });
export type ContactsImportColumn = z.infer<typeof ContactsImportColumnSchema>;
/**
 * A row's phone that already belongs to another contact (existing: ownerId; or one an earlier row
 * of the file creates: ownerRow) and so is not added to the row's contact.
 */
export const ContactsImportConflictSchema = z.object({
  row: z.number().int(),
  name: z.string(),
  phone: z.string(),
  ownerId: z.number().int().nullable(),
  ownerRow: z.number().int().nullable(),
  ownerName: z.string(),
});
export type ContactsImportConflict = z.infer<typeof ContactsImportConflictSchema>;
/** What «Загрузить из CSV» did (or, in a dry run, would do). Counts of contacts, except `skipped` (rows). */
export const ContactsImportResultSchema = z.object({
  dryRun: z.boolean(),
  /** Data rows read (the header and empty lines not counted). */
  rows: z.number().int(),
  created: z.number().int(),
  /** Existing contacts (matched by a phone) that get phones, emails or empty fields filled. */
  updated: z.number().int(),
  /** Existing contacts matched that already had everything the file says. */
  unchanged: z.number().int(),
  skipped: z.number().int(),
  /** The first skipped rows: the row number as Excel shows it (the header is row 1) and why. */
  errors: z.array(z.object({ row: z.number().int(), reason: z.string() })),
  /** The file's columns and what each was used for. Absent from relays before it. */
  columns: z.array(ContactsImportColumnSchema).optional(),
  /** Phones not added because another contact has them: how many, and the first ones. Absent from relays before it. */
  conflicted: z.number().int().optional(),
  conflicts: z.array(ContactsImportConflictSchema).optional(),
  /** A few of the contacts to be created and updated, for the preview. */
  samples: z.object({
    created: z.array(z.object({ row: z.number().int(), name: z.string(), company: z.string(), phones: z.array(z.string()) })),
    updated: z.array(z.object({ row: z.number().int(), id: z.number().int(), name: z.string(), addPhones: z.array(z.string()), addEmails: z.array(z.string()) })),
  }),
});
export type ContactsImportResult = z.infer<typeof ContactsImportResultSchema>;

export const StatusChangeSchema = z.object({
  employeeId: z.number().int(),
  acceptCalls: z.boolean(),
  changedBy: z.number().int().nullable(),
  changedByName: z.string().nullable(),
  at: z.string(),
});
export type StatusChange = z.infer<typeof StatusChangeSchema>;

/**
 * A command the employee gave (click-to-call, transfer) that Mango accepted and then reported as
 * failed (result/<command>): told to that employee alone.
 */
export const CommandFailureSchema = z.object({
  commandId: z.string(),
  action: z.enum(['callback', 'transfer']),
  /** The number dialled (callback) or the colleague's name (transfer). */
  target: z.string(),
  /** Our call, for a transfer. */
  callId: z.number().int().nullable(),
  result: z.number().int(),
  /** Why, in Russian, to follow «Не удалось …:». */
  reason: z.string(),
});
export type CommandFailure = z.infer<typeof CommandFailureSchema>;

export const RoutingModeSchema = z.enum(['popup', 'group', 'api']);
export type RoutingMode = z.infer<typeof RoutingModeSchema>;

/** What any employee may know of the telephony's setup: what «Приём звонков» means depends on it. */
export const TelephonyInfoSchema = z.object({ enabled: z.boolean(), routingMode: RoutingModeSchema });
export type TelephonyInfo = z.infer<typeof TelephonyInfoSchema>;

/** Feed payloads. `call` items carry the full current call so replay needs no other request. */
export const FeedPayloadSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('call'),
    call: CallSchema,
    /** Whether this employee should see a ringing popup for it right now. */
    popup: z.boolean(),
    /** Whether the call was ever offered to this employee (rang for them): a missed one is theirs to call back. */
    offered: z.boolean().optional(),
    contact: ContactSchema.nullable(),
    recentCalls: z.array(CallSchema),
  }),
  z.object({ kind: z.literal('status'), change: StatusChangeSchema }),
  z.object({ kind: z.literal('presence'), employeeId: z.number().int(), online: z.boolean() }),
  z.object({ kind: z.literal('employee'), employee: EmployeeSchema }),
  z.object({ kind: z.literal('command-failed'), command: CommandFailureSchema }),
  /** An admin deleted contacts (one with those merged into it): the apps forget their cached copies. */
  z.object({ kind: z.literal('contact-deleted'), contactIds: z.array(z.number().int()) }),
  /** An admin switched «Включить телефонию» or the routing mode: what «Приём звонков» means now. */
  z.object({ kind: z.literal('telephony'), telephony: TelephonyInfoSchema }),
]);
export const FEED_KINDS: readonly string[] = FeedPayloadSchema.options.map((o) => o.shape.kind.value);
export type FeedPayload = z.infer<typeof FeedPayloadSchema>;

export const FeedItemSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  payload: FeedPayloadSchema,
});
export type FeedItem = z.infer<typeof FeedItemSchema>;

/** App → relay over the socket. */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(512) }),
  z.object({
    type: z.literal('hello'),
    lastId: z.number().int().min(0),
    /**
     * The `at` of the item `lastId` as the app received it: a relay whose item `lastId` is not
     * that one (database restored, then ids issued again past it) rewinds the app. Optional:
     * older apps send none and are rewound only when their lastId is past the newest item.
     */
    lastAt: z.string().max(64).optional(),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** Relay → app over the socket. */
export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), employee: EmployeeSchema, serverTime: z.string() }),
  z.object({ type: z.literal('item'), item: FeedItemSchema }),
  /** Replay of everything after the client's lastId is complete; live items follow. */
  z.object({ type: z.literal('synced'), lastId: z.number().int() }),
  /**
   * The client's lastId is past the relay's newest item for this employee, or the relay's item
   * with that id is not the one the client has (its `lastAt` differs): the relay's database was
   * restored from a backup and ids are being issued again. The client forgets its position
   * (sets it to `lastId`, 0) and takes the replay that follows, or it would drop new items.
   */
  z.object({ type: z.literal('rewind'), lastId: z.number().int().min(0) }),
  z.object({
    type: z.literal('error'),
    code: z.enum(['unauthorized', 'token-expired', 'bad-message', 'shutdown']),
    message: z.string(),
    /** On shutdown: reconnect after this many ms (another instance will serve). */
    retryAfterMs: z.number().int().optional(),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

/** WebSocket subprotocol carrying the token: `Sec-WebSocket-Protocol: asgard.v1, token.<token>`. */
export const WS_PROTOCOL = 'asgard.v1';
export const WS_TOKEN_PREFIX = 'token.';

export const LoginResponseSchema = z.object({ token: z.string(), expiresAt: z.string(), employee: EmployeeSchema });
export type LoginResponse = z.infer<typeof LoginResponseSchema>;


export const MangoSettingsViewSchema = z.object({
  apiKey: z.string(),
  apiSaltMasked: z.string(),
  saltConfigured: z.boolean(),
  vpbxId: z.string(),
  apiUrl: z.string(),
  enabled: z.boolean(),
  routingMode: RoutingModeSchema,
  groupId: z.string().nullable(),
  webhookUrl: z.string(),
  lastTest: z.object({ ok: z.boolean(), at: z.string(), message: z.string() }).nullable(),
  lastWebhookAt: z.string().nullable(),
  lastGroupSync: z.object({ ok: z.boolean(), at: z.string(), message: z.string() }).nullable(),
});
export type MangoSettingsView = z.infer<typeof MangoSettingsViewSchema>;

/** What the relay answered a Mango callback: accepted, or refused and why (the admin's webhook journal). */
export const WebhookOutcomeSchema = z.enum([
  'stored',
  'duplicate',
  'ping',
  'unsigned',
  'bad-key',
  'bad-sign',
  'not-configured',
  'secret-key-mismatch',
  'ip-not-allowed',
  'bad-json',
  'bad-event',
  'bad-request',
  'too-large',
  'bad-content-type',
  'not-found',
  'failed',
  'other',
]);
export type WebhookOutcome = z.infer<typeof WebhookOutcomeSchema>;
export const ACCEPTED_OUTCOMES: readonly WebhookOutcome[] = ['stored', 'duplicate', 'ping'];

export const WebhookJournalSchema = z.object({
  hours: z.number().int(),
  /** Callbacks answered 200 in the window, and the others. */
  accepted: z.number().int(),
  refused: z.number().int(),
  /** Newest first; one row per outcome, callback kind and source address. */
  rows: z.array(
    z.object({
      outcome: WebhookOutcomeSchema,
      kind: z.string(),
      ip: z.string(),
      count: z.number().int(),
      firstAt: z.string(),
      lastAt: z.string(),
    }),
  ),
});
export type WebhookJournal = z.infer<typeof WebhookJournalSchema>;

/**
 * «Тест подключения» of values typed in #/mango and not saved yet: each one given is used
 * instead of the saved one for this test only ('' is an empty value, not "the saved one").
 */
export const MangoTestDraftSchema = z
  .object({
    apiKey: z.string().trim().max(200).optional(),
    apiSalt: z.string().trim().max(200).optional(),
    apiUrl: z.string().trim().max(500).optional(),
  })
  .strict();
export type MangoTestDraft = z.infer<typeof MangoTestDraftSchema>;

export const MangoTestResultSchema = z.object({
  ok: z.boolean(),
  code: z.string(),
  message: z.string(),
  employeesFound: z.number().int().optional(),
  balance: z.number().optional(),
  /** The values tested were a draft (not saved): the result is not kept as the settings' last test. */
  draft: z.boolean().optional(),
});
export type MangoTestResult = z.infer<typeof MangoTestResultSchema>;

/** Error body of every relay API failure. `message` is Russian, for the user. */
export const ApiErrorSchema = z.object({ error: z.string(), message: z.string(), details: z.unknown().optional() });
export type ApiError = z.infer<typeof ApiErrorSchema>;
