/**
 * Mail part of the IPC contract (owned by the mail capability).
 *
 * Secrets never cross it: the renderer sends a password or OAuth client secret only when the
 * user types one, and only ever sees `passwordConfigured` / `oauth.connected` back.
 * `MailMessageView.html` is the message's HTML as received (untrusted): the renderer sanitizes it
 * with DOMPurify and shows it in a sandboxed frame.
 */
import { z } from 'zod';
import { event, request } from './define';

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

export const MailSecuritySchema = z.enum(['tls', 'starttls', 'none']);
/** `tls`: SSL/TLS from the first byte (IMAP 993, SMTP 465); `starttls`: upgrade (SMTP 587); `none`: only for local test servers. */
export type MailSecurity = z.infer<typeof MailSecuritySchema>;

export const MailPresetIdSchema = z.enum(['mailru', 'yandex', 'gmail', 'mango', 'custom']);
export type MailPresetId = z.infer<typeof MailPresetIdSchema>;

export const MailAuthKindSchema = z.enum(['password', 'oauth2']);
export type MailAuthKind = z.infer<typeof MailAuthKindSchema>;

export const MailOAuthProviderSchema = z.enum(['yandex', 'google', 'custom']);
export type MailOAuthProvider = z.infer<typeof MailOAuthProviderSchema>;

export const MailServerSchema = z.object({
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  security: MailSecuritySchema,
});
export type MailServerSettings = z.infer<typeof MailServerSchema>;

export interface MailPreset {
  id: MailPresetId;
  title: string;
  /** Null when the admin enters the hosts (Mango Office mail, custom). */
  imap: MailServerSettings | null;
  smtp: MailServerSettings | null;
  /** Alternative SMTP setting offered next to the default one (587 STARTTLS). */
  smtpAlt: MailServerSettings | null;
  /** OAuth2 is offered for this preset (the guide's variant 3). */
  oauth: MailOAuthProvider | null;
  /** Shown next to the password field. */
  passwordHint: string;
  /** Where the app password is created. */
  passwordHelpUrl: string | null;
  /** Extra note (e.g. Mango Office: hosts come from the administrator). */
  note: string | null;
  /** The server stores sent mail itself, so the client must not append to Sent. */
  serverSavesSent: boolean;
}

export interface MailCheckStep {
  step: 'imap' | 'smtp' | 'send' | 'receive';
  ok: boolean;
  /** Plain Russian. */
  message: string;
  /** What to do about it (the guide's hints), if it failed. */
  hint: string | null;
  code: string | null;
  ms: number;
}

export interface MailCheckResult {
  ok: boolean;
  at: string;
  steps: MailCheckStep[];
}

export type MailAccountState =
  | { state: 'idle' }
  | { state: 'connecting' }
  | { state: 'syncing'; folder: string; done: number; total: number; percent: number }
  | { state: 'synced'; at: string }
  | { state: 'offline'; reason: string; retryInSec: number }
  | { state: 'error'; reason: string; hint: string | null; retryInSec: number | null };

export interface MailAccountView {
  id: number;
  name: string;
  email: string;
  login: string;
  preset: MailPresetId;
  imap: MailServerSettings;
  smtp: MailServerSettings;
  auth: MailAuthKind;
  passwordConfigured: boolean;
  oauth: { provider: MailOAuthProvider; clientId: string; connected: boolean } | null;
  state: MailAccountState;
  lastCheck: MailCheckResult | null;
  /** When mail last went out from the account (any send the server took); absent/null: never. */
  lastSentAt?: string | null;
  /** Added below the text of new mail, replies and forwards (plain text). */
  signature: string;
}

/**
 * Where a folder's mail stands here: `synced`, all of it stored (search covers it); `loading`,
 * still being fetched in the background (search may miss some, counts come from the server);
 * `counts`, only the server's counts kept: a virtual folder repeating other folders' mail
 * (Gmail's «Вся почта», «Помеченные»), fetched once opened.
 */
export type MailFolderSync = 'synced' | 'loading' | 'counts';

export interface MailFolderView {
  id: number;
  accountId: number;
  path: string;
  name: string;
  /** `\Inbox`, `\Sent`, `\Drafts`, `\Trash`, `\Junk`, `\Archive`, … or null. */
  specialUse: string | null;
  depth: number;
  total: number;
  unread: number;
  /** Kept in step with the server: every folder but the virtual ones (see `sync`), those once opened. */
  syncEnabled: boolean;
  lastSyncAt: string | null;
  sync: MailFolderSync;
  /** Unread on the server (IMAP STATUS) while `sync` is not `synced`, for the folder pane; null once synced or not read yet. */
  serverUnread: number | null;
}

export interface MailAddress {
  name: string;
  email: string;
}

export interface MailSummary {
  id: number;
  accountId: number;
  folderId: number;
  threadId: number | null;
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  date: string;
  snippet: string;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  hasAttachments: boolean;
  size: number;
}

export interface MailAttachmentView {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  inline: boolean;
  contentId: string | null;
  /** Stored locally; otherwise fetched from the server when asked for. */
  downloaded: boolean;
}

export interface MailMessageView extends MailSummary {
  cc: MailAddress[];
  bcc: MailAddress[];
  replyTo: MailAddress[];
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  text: string;
  /** Untrusted HTML as received; sanitize before display. */
  html: string | null;
  attachments: MailAttachmentView[];
  /** `cid:` → data URL for inline images stored locally. */
  inlineImages: Record<string, string>;
  /** The user allowed remote images for this message or its sender. */
  remoteImagesAllowed: boolean;
  folderPath: string;
  specialUse: string | null;
}

export type MailComposeMode = 'new' | 'reply' | 'replyAll' | 'forward';

export interface MailComposePrefill {
  accountId: number;
  mode: MailComposeMode;
  sourceMessageId: number | null;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  /** Forward: the original's attachments, sent along unless removed. */
  sourceAttachments: MailAttachmentView[];
}

/**
 * `scheduled`: waiting for its time — the «Отмена отправки» window after «Отправить», or a time
 * chosen with «Отправить позже»; it can still be taken back to the drafts (`mail:outbox:cancel`).
 */
export type MailOutboxStatus = 'scheduled' | 'queued' | 'sending' | 'failed' | 'sent';

export interface MailOutboxItem {
  id: number;
  accountId: number;
  subject: string;
  to: string[];
  createdAt: string;
  status: MailOutboxStatus;
  attempts: number;
  /** Plain Russian, with a hint, of the last failure. */
  lastError: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
  /** A `scheduled` item's time to go out (null otherwise). */
  sendAt: string | null;
  /** The user chose the time («Отправить позже»); false for the «Отмена отправки» window. */
  userScheduled: boolean;
}

/**
 * What the user hears about a message, once each: `failed` — its first failed attempt (`reason`:
 * the short Russian cause, without advice); `sentAfterFailure` — it went out after failing.
 */
export interface MailSendNotice {
  kind: 'failed' | 'sentAfterFailure';
  item: MailOutboxItem;
  reason: string | null;
  /** The outbox tries again by itself (network trouble, a 4xx); false: the user has to act. */
  willRetry: boolean;
}

export interface MailDraftView {
  id: number;
  accountId: number;
  mode: MailComposeMode;
  sourceMessageId: number | null;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  attachments: { filename: string; contentType: string; size: number }[];
  includeSourceAttachments: boolean;
  /** Forward: which of the original's attachments go along (null: all of them, when included). */
  sourceAttachmentIndexes: number[] | null;
  updatedAt: string;
  /** A copy of it is in the mailbox's «Черновики» (\Drafts) on the server (perhaps an older version, being updated). */
  onServer: boolean;
}

/**
 * «Шаблоны писем»: a saved text (with subject and files) inserted into the compose form, shared by
 * all accounts. `{имя}`, `{дата}`, `{моё_имя}` in the text and subject are filled in at insertion.
 */
export interface MailTemplateView {
  id: number;
  name: string;
  subject: string;
  text: string;
  /** `index`: the file's place, named by `keepAttachments` when the template is saved again. */
  attachments: { index: number; filename: string; contentType: string; size: number }[];
  updatedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Argument schemas
// ---------------------------------------------------------------------------------------------

const Id = z.number().int().positive();
/** Messages one bulk action (a selection in the list) may name. */
export const MAX_BULK = 5000;

/** The opaque handle `mail:messages:delete` / `mail:messages:move` give for «Отменить». */
export const MailUndoTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
/** What a delete or move answers besides its count: the «Отменить» token, or null when not undoable. */
export interface MailRemoveResult {
  undoToken: string | null;
}
/**
 * The list's quick filters («Непрочитанные», «Помеченные», «С вложениями»); absent = «Все».
 * Counts, «Выбрать все» and the selection follow the filter (and `keep`, below).
 */
export const MailListFilterSchema = z.enum(['unread', 'flagged', 'attachments']);
export type MailListFilter = z.infer<typeof MailListFilterSchema>;
/** Most ids a filtered list may `keep` shown past its filter. */
export const MAX_KEEP = 1000;
/**
 * `keep`, with a quick filter: messages of the folder the list shows although they no longer pass
 * the filter — those the user opened, or read / un-starred, in this view (Gmail-style: they stay
 * until the folder, filter or search changes). The list, its `total`, «Выбрать все» and the
 * selection all take the same `filter` + `keep`, so bulk actions act on exactly what is shown.
 * Ignored without a filter; ids of other folders never show.
 */
export const MailListKeepSchema = z.array(Id).max(MAX_KEEP);
const Email = z.string().trim().min(3).max(320).regex(/^[^\s@<>]+@[^\s@<>]+$/, 'Неверный адрес почты');
/** One recipient: `a@b.ru` or `Имя <a@b.ru>`. */
const Recipient = z.string().trim().min(3).max(400);

export const MailAccountInputSchema = z.object({
  id: Id.optional(),
  name: z.string().trim().max(200).default(''),
  email: Email,
  login: z.string().trim().max(320).default(''),
  preset: MailPresetIdSchema,
  imap: MailServerSchema,
  smtp: MailServerSchema,
  auth: MailAuthKindSchema.default('password'),
  /** Absent keeps the stored one. */
  signature: z.string().max(4000).optional(),
  /** Only when typed; absent keeps the stored one. */
  password: z.string().min(1).max(1000).optional(),
  oauth: z
    .object({
      provider: MailOAuthProviderSchema,
      clientId: z.string().trim().min(1).max(500),
      /** Only when typed; absent keeps the stored one. */
      clientSecret: z.string().max(1000).optional(),
      /** Custom provider endpoints (Yandex and Google have built-in ones). */
      authUrl: z.string().url().max(1000).optional(),
      tokenUrl: z.string().url().max(1000).optional(),
      scope: z.string().max(1000).optional(),
      /** Fixed loopback port registered with the provider (0 = any free port). */
      redirectPort: z.number().int().min(0).max(65535).optional(),
    })
    .nullable()
    .optional(),
});
export type MailAccountInput = z.input<typeof MailAccountInputSchema>;

const AttachmentInput = z.object({
  filename: z.string().min(1).max(255),
  contentType: z.string().max(255).default('application/octet-stream'),
  dataBase64: z.string().max(40 * 1024 * 1024),
});

export const MailComposeSchema = z.object({
  accountId: Id,
  mode: z.enum(['new', 'reply', 'replyAll', 'forward']).default('new'),
  sourceMessageId: Id.nullable().optional(),
  to: z.array(Recipient).max(500).default([]),
  cc: z.array(Recipient).max(500).default([]),
  bcc: z.array(Recipient).max(500).default([]),
  subject: z.string().max(998).default(''),
  text: z.string().max(5_000_000).default(''),
  html: z.string().max(10_000_000).optional(),
  attachments: z.array(AttachmentInput).max(100).default([]),
  /** Forward: attach the original's attachments (all, or those listed by index). */
  includeSourceAttachments: z.union([z.boolean(), z.array(z.number().int().min(0))]).default(false),
  /** The draft this message came from; deleted once the message is queued. */
  draftId: Id.optional(),
  /**
   * «Отправить позже»: when to send (epoch ms, in the future). Without it the message waits the
   * «Отмена отправки» delay from the app's settings (read by the core, not sent by the renderer).
   */
  sendAt: z.number().int().positive().max(8_640_000_000_000_000).optional(),
});
export type MailComposeInput = z.input<typeof MailComposeSchema>;

// A draft has no send time: it is chosen when the draft is sent.
export const MailDraftInputSchema = MailComposeSchema.omit({ sendAt: true }).extend({
  id: Id.optional(),
  to: z.array(z.string().max(400)).max(500).default([]),
  cc: z.array(z.string().max(400)).max(500).default([]),
  bcc: z.array(z.string().max(400)).max(500).default([]),
});
export type MailDraftInput = z.input<typeof MailDraftInputSchema>;

/**
 * Saving a draft: `server` says when its copy in the mailbox's «Черновики» is updated — `now`
 * (by hand, the form left), or `soon`: autosave while typing, at most one upload per draft every
 * 30 s. Best effort: offline it goes at the sync's next round; without a «Черновики» folder never.
 */
export const MailDraftSaveSchema = MailDraftInputSchema.extend({ server: z.enum(['now', 'soon']).default('now') });

/** A template's files: each within the compose form's limit, and all together too (one letter carries them). */
export const MAIL_TEMPLATE_MAX_FILE_BYTES = 25 * 1024 * 1024;
export const MAIL_TEMPLATE_MAX_TOTAL_BYTES = 25 * 1024 * 1024;
export const MAIL_TEMPLATE_MAX_FILES = 20;
export const MAIL_TEMPLATE_MAX_TEXT = 100_000;

const TemplateFileInput = z.object({
  filename: z.string().min(1, 'У файла нет имени.').max(255, 'Имя файла — не длиннее 255 символов.'),
  contentType: z.string().max(255).default('application/octet-stream'),
  dataBase64: z.string().max(Math.ceil(MAIL_TEMPLATE_MAX_FILE_BYTES / 3) * 4, 'Файл больше 25 МБ.'),
});

export const MailTemplateInputSchema = z.object({
  /** Absent: a new template. */
  id: Id.optional(),
  name: z
    .string()
    .trim()
    .min(1, 'Введите название шаблона.')
    .max(100, 'Название шаблона — не длиннее 100 символов.')
    .regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, 'Название шаблона не может содержать перевод строки и другие управляющие символы.'),
  subject: z.string().max(998, 'Тема шаблона — не длиннее 998 символов.').default(''),
  text: z.string().max(MAIL_TEMPLATE_MAX_TEXT, 'Текст шаблона — не длиннее 100 000 знаков.').default(''),
  /** Files added now (after the kept ones). */
  attachments: z.array(TemplateFileInput).max(MAIL_TEMPLATE_MAX_FILES, `В шаблоне — не больше ${MAIL_TEMPLATE_MAX_FILES} файлов.`).default([]),
  /** Updating: which stored files stay, by `index` (absent: all of them). */
  keepAttachments: z.array(z.number().int().min(0)).max(MAIL_TEMPLATE_MAX_FILES).optional(),
});
export type MailTemplateInput = z.input<typeof MailTemplateInputSchema>;

/**
 * A folder name as typed, one level of the hierarchy. The core also refuses the server's
 * hierarchy delimiter (it differs per server: «/» or «.»), which a schema cannot know.
 */
export const MailFolderNameSchema = z
  .string()
  .trim()
  .min(1, 'Введите имя папки.')
  .max(100, 'Имя папки — не длиннее 100 символов.')
  .regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, 'Имя папки не может содержать управляющие символы (перевод строки, табуляцию).')
  // IMAP's LIST wildcards: a folder named with them cannot be listed reliably.
  .regex(/^[^*%]*$/, 'Имя папки не может содержать «*» и «%».');

/** What «Удалить папку» asks about: the server's counts for the folder and its subfolders (deleted with it). */
export interface MailFolderDeletePreview {
  folderId: number;
  name: string;
  messages: number;
  subfolders: number;
  subfolderMessages: number;
}

// ---------------------------------------------------------------------------------------------
// «Правила сортировки»: per-account rules the core applies to new INBOX mail
// ---------------------------------------------------------------------------------------------

/** `from`: the sender's name and address; `to`: To and Cc; `body`: the text the sync stored. */
export const MailRuleFieldSchema = z.enum(['from', 'to', 'subject', 'body']);
/** `equals` (the whole address) and `domain` (ends with @domain or .domain) are for `from` only. */
export const MailRuleOpSchema = z.enum(['contains', 'equals', 'domain']);

export const MailRuleConditionSchema = z
  .object({
    field: MailRuleFieldSchema,
    op: MailRuleOpSchema.default('contains'),
    value: z.string().trim().min(1, 'Укажите, что искать в условии.').max(500),
  })
  .refine((c) => c.op === 'contains' || c.field === 'from', { message: '«Равно» и «Домен» подходят только для «От кого».' });
export type MailRuleCondition = z.infer<typeof MailRuleConditionSchema>;

export const MailRuleActionsSchema = z
  .object({
    /** A folder of the rule's account. */
    moveTo: Id.nullable().default(null),
    markRead: z.boolean().default(false),
    flag: z.boolean().default(false),
    /** To Trash, like «Удалить». */
    delete: z.boolean().default(false),
  })
  .refine((a) => a.moveTo !== null || a.markRead || a.flag || a.delete, { message: 'Выберите хотя бы одно действие.' });
export type MailRuleActions = z.infer<typeof MailRuleActionsSchema>;

export const MailRuleInputSchema = z.object({
  /** Absent: a new rule, added last. */
  id: Id.optional(),
  accountId: Id,
  name: z.string().trim().min(1, 'Введите название правила.').max(200),
  enabled: z.boolean().default(true),
  /** All conditions must hold, or any one of them. */
  match: z.enum(['all', 'any']).default('all'),
  conditions: z.array(MailRuleConditionSchema).min(1, 'Добавьте хотя бы одно условие.').max(20),
  actions: MailRuleActionsSchema,
  /** «Остановить обработку следующих правил» once this one matched. */
  stop: z.boolean().default(false),
});
export type MailRuleInput = z.input<typeof MailRuleInputSchema>;

export interface MailRuleView {
  id: number;
  accountId: number;
  name: string;
  enabled: boolean;
  match: 'all' | 'any';
  conditions: MailRuleCondition[];
  actions: MailRuleActions;
  stop: boolean;
  /** 0-based, first applied first. */
  position: number;
  /** The folder mail is moved to, as it is now (it follows renames made here). */
  target: { id: number; path: string; name: string } | null;
  /** The move's folder is gone (deleted, or renamed elsewhere past recognition): moves are skipped, the other actions still run. */
  needsAttention: boolean;
  /** The target's path when the rule was saved, to name a lost folder. */
  targetPath: string | null;
}

// ---------------------------------------------------------------------------------------------
// Requests and events
// ---------------------------------------------------------------------------------------------

export const mailRequests = {
  'mail:presets': request<MailPreset[]>()(z.undefined()),
  'mail:accounts:list': request<MailAccountView[]>()(z.undefined()),
  /** Creates or updates an account (and starts syncing it). */
  'mail:accounts:save': request<MailAccountView>()(MailAccountInputSchema),
  'mail:accounts:delete': request<void>()(z.object({ id: Id })),
  /** «Проверить подключение»: IMAP login + SMTP EHLO/AUTH, for a saved account or unsaved settings. */
  'mail:accounts:check': request<MailCheckResult>()(
    z.union([z.object({ id: Id }).strict(), MailAccountInputSchema]),
  ),
  /** «Отправить тестовое письмо»: sends to the account itself and waits for it in INBOX. */
  'mail:accounts:sendTest': request<MailCheckResult>()(
    z.object({ id: Id, timeoutSec: z.number().int().min(5).max(600).default(90) }),
  ),
  'mail:accounts:syncNow': request<void>()(z.object({ id: Id })),
  /** Starts the OAuth2 authorization-code + PKCE flow: open `url` in the browser. */
  'mail:oauth:start': request<{ flowId: string; url: string; redirectUri: string }>()(z.object({ accountId: Id })),
  /** Waits for the browser to come back to the loopback redirect, then stores the refresh token. */
  'mail:oauth:finish': request<MailAccountView>()(
    z.object({ flowId: z.string().min(1).max(100), timeoutSec: z.number().int().min(1).max(900).default(300) }),
  ),
  'mail:oauth:cancel': request<void>()(z.object({ flowId: z.string().min(1).max(100) })),

  'mail:folders:list': request<MailFolderView[]>()(z.object({ accountId: Id.optional() }).default({})),
  /** Syncs a folder now (folders other than INBOX/Sent start syncing once opened). */
  'mail:folders:sync': request<void>()(z.object({ folderId: Id })),
  /** «Отметить все как прочитанные»: every unread message the folder holds locally. */
  'mail:folders:markSeen': request<{ marked: number }>()(z.object({ folderId: Id })),
  /** «Очистить корзину» / «Очистить спам»: every message of Trash or Junk deleted for good. */
  'mail:folders:empty': request<{ deleted: number }>()(z.object({ folderId: Id })),
  /** Ids of a folder's messages in list order (newest first), for «Выбрать все»; with `filter` (+ `keep`), only those it shows. */
  'mail:folders:messageIds': request<{ ids: number[]; total: number }>()(
    z.object({
      folderId: Id,
      limit: z.number().int().min(1).max(MAX_BULK).default(MAX_BULK),
      filter: MailListFilterSchema.optional(),
      keep: MailListKeepSchema.optional(),
    }),
  ),
  /**
   * Which of the checked `ids` are still in the folder (and pass `filter`, or are in `keep`): mail
   * moved or deleted elsewhere, or no longer shown by the filter, leaves the selection.
   */
  'mail:folders:presentIds': request<number[]>()(
    z.object({ folderId: Id, ids: z.array(Id).max(MAX_BULK), filter: MailListFilterSchema.optional(), keep: MailListKeepSchema.optional() }),
  ),
  /** «Новая папка…»: created on the server (inside `parentId`, or at the top), then listed here. Needs the server. */
  'mail:folders:create': request<MailFolderView>()(z.object({ accountId: Id, parentId: Id.optional(), name: MailFolderNameSchema })),
  /** «Переименовать…»: the folder keeps its id and messages; its subfolders follow. Not INBOX nor the system folders. */
  'mail:folders:rename': request<MailFolderView>()(z.object({ folderId: Id, name: MailFolderNameSchema })),
  /** Counts for the «Удалить папку» confirmation, read from the server. */
  'mail:folders:deletePreview': request<MailFolderDeletePreview>()(z.object({ folderId: Id })),
  /** «Удалить папку»: the folder and its subfolders with all their mail, on the server and here. `deleted`: folders. */
  'mail:folders:delete': request<{ deleted: number }>()(z.object({ folderId: Id })),

  /** A page of a folder, newest first; with `filter`, only the messages it passes (or `keep` names), `total` counting those. */
  'mail:messages:list': request<{ total: number; items: MailSummary[] }>()(
    z.object({
      folderId: Id,
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(100),
      filter: MailListFilterSchema.optional(),
      keep: MailListKeepSchema.optional(),
    }),
  ),
  /**
   * Full-text search (subject, addresses, text), newest first. The query may carry operators:
   * `от:`/`from:`, `кому:`/`to:`, `тема:`/`subject:` (a word or `"a phrase"`), `есть:вложения`/
   * `has:attachment`, `непрочитанные`/`is:unread`; anything else is text.
   */
  'mail:messages:search': request<{
    items: MailSummary[];
    /** Searched folders whose mail is still being fetched: results may be incomplete («Ещё загружаются папки…»). */
    loadingFolderIds: number[];
  }>()(
    z.object({
      query: z.string().max(500),
      accountId: Id.optional(),
      folderId: Id.optional(),
      limit: z.number().int().min(1).max(500).default(100),
      filter: MailListFilterSchema.optional(),
      /** As for the list: results the user opened or changed stay past `filter` (not past the query's own operators). */
      keep: MailListKeepSchema.optional(),
    }),
  ),
  /**
   * Compose-form recipient autocomplete from the local mail: people written to first, then
   * people who wrote; matches a prefix of the address, its domain or a word of the name. With
   * `accountId` (the «От кого» account) that account's correspondents come first, the other
   * accounts' after them; without it, all accounts' mail ranks together.
   */
  'mail:recipients:suggest': request<{ name: string; email: string }[]>()(
    z.object({ query: z.string().max(200), limit: z.number().int().min(1).max(20).optional(), accountId: Id.optional() }),
  ),
  'mail:messages:get': request<MailMessageView>()(z.object({ id: Id, markSeen: z.boolean().default(false) })),
  'mail:messages:thread': request<MailSummary[]>()(z.object({ threadId: Id })),
  'mail:messages:setFlags': request<void>()(
    z.object({ ids: z.array(Id).min(1).max(MAX_BULK), seen: z.boolean().optional(), flagged: z.boolean().optional() }),
  ),
  /**
   * Moves to Trash (or deletes for good when already in Trash, or when the account has none).
   * `undoToken` (for `mail:undo`) when some went to Trash; deletions for good are never undoable.
   */
  'mail:messages:delete': request<MailRemoveResult & { deleted: number }>()(z.object({ ids: z.array(Id).min(1).max(MAX_BULK) })),
  /**
   * Files messages into another folder of the same account: they leave the source folder's list
   * at once and reach the target after the server's MOVE (queued like a delete, pushed once,
   * kept across offline spells and restarts) and the target's next sync.
   */
  'mail:messages:move': request<MailRemoveResult & { moved: number }>()(z.object({ ids: z.array(Id).min(1).max(MAX_BULK), folderId: Id })),
  /**
   * «Отменить» after a delete into Trash or a move: puts the messages back in the folders they
   * came from, whether or not the server already did the move. The token is good once, for a
   * minute; `restored`: how many came back.
   */
  'mail:undo': request<{ restored: number }>()(z.object({ token: MailUndoTokenSchema })),
  /** Mails from or to an address, newest first: contact timelines, the call popup. */
  'mail:messages:byAddress': request<MailSummary[]>()(
    z.object({ emails: z.array(z.string().trim().min(3).max(320)).min(1).max(50), limit: z.number().int().min(1).max(500).default(20) }),
  ),
  /**
   * «Показать оригинал» / «Сохранить как файл (.eml)»: the message's source byte for byte as the
   * server holds it (fetched by UID; the local store keeps no raw mail), refused above 25 MB.
   * `filename` is «<тема>.eml», safe for any file system; `size` is the source's length in bytes.
   */
  'mail:messages:source': request<{ filename: string; size: number; dataBase64: string }>()(z.object({ id: Id })),
  'mail:images:allow': request<void>()(z.object({ messageId: Id, scope: z.enum(['message', 'sender']) })),
  /**
   * Remote images of a message the user allowed, fetched by the core and returned as data URLs
   * (the renderer's CSP admits only data: images). Only URLs present in the message's HTML.
   */
  'mail:images:fetch': request<Record<string, string>>()(
    z.object({ messageId: Id, urls: z.array(z.string().max(4000)).max(200) }),
  ),
  /** `maxBytes`: only the file's beginning (a text preview), not megabytes of it over IPC. */
  'mail:attachments:get': request<{ filename: string; contentType: string; dataBase64: string }>()(
    z.object({ messageId: Id, index: z.number().int().min(0), maxBytes: z.number().int().min(1).optional() }),
  ),
  /** Saves the attachment under the app's downloads folder and opens it when the shell can. */
  'mail:attachments:open': request<{ path: string; opened: boolean }>()(
    z.object({ messageId: Id, index: z.number().int().min(0) }),
  ),

  'mail:compose:prefill': request<MailComposePrefill>()(
    z.object({
      mode: z.enum(['new', 'reply', 'replyAll', 'forward']),
      sourceMessageId: Id.optional(),
      accountId: Id.optional(),
      to: z.array(Recipient).max(50).optional(),
    }),
  ),
  /**
   * Queues the message in the outbox and makes the first attempt — or, with an undo delay or
   * `sendAt`, keeps it `scheduled` until then (`sendAt` in the answer: ISO time it goes out).
   */
  'mail:send': request<{ outboxId: number; status: MailOutboxStatus; error: string | null; sendAt: string | null }>()(MailComposeSchema),
  'mail:outbox:list': request<MailOutboxItem[]>()(z.object({ includeSent: z.boolean().default(false) }).default({ includeSent: false })),
  'mail:outbox:retry': request<void>()(z.object({ id: Id })),
  'mail:outbox:delete': request<void>()(z.object({ id: Id })),
  /**
   * «Отменить» a `scheduled` item: it leaves the outbox and becomes a draft (recipients, text,
   * attachments, the reply/forward link). Refused once its sending has begun.
   */
  'mail:outbox:cancel': request<{ draftId: number }>()(z.object({ id: Id })),
  /** «Отправить сейчас» for a `scheduled` item: sends it at once. */
  'mail:outbox:sendNow': request<{ status: MailOutboxStatus; error: string | null }>()(z.object({ id: Id })),

  'mail:drafts:list': request<MailDraftView[]>()(z.object({ accountId: Id.optional() }).default({})),
  'mail:drafts:get': request<MailDraftView & { attachmentsData: { filename: string; contentType: string; dataBase64: string }[] }>()(
    z.object({ id: Id }),
  ),
  'mail:drafts:save': request<MailDraftView>()(MailDraftSaveSchema),
  /** Deletes the draft here and (at the sync's next round, when offline) its copy on the server. */
  'mail:drafts:delete': request<void>()(z.object({ id: Id })),
  /** The compose form was left with autosaved changes: the server copy is updated now, not at the rate limit. */
  'mail:drafts:pushNow': request<void>()(z.object({ id: Id })),
  /**
   * «Продолжить редактирование» on a message in the mailbox's «Черновики»: the local draft it is a
   * copy of (same Message-ID), or a new local draft made from it (recipients, subject, text,
   * files) that then updates that copy.
   */
  'mail:drafts:fromMessage': request<{ draftId: number }>()(z.object({ messageId: Id })),

  /** «Шаблоны писем», by name. */
  'mail:templates:list': request<MailTemplateView[]>()(z.undefined()),
  /** One template with its files' content, for inserting it into a letter. */
  'mail:templates:get': request<MailTemplateView & { attachmentsData: { filename: string; contentType: string; dataBase64: string }[] }>()(
    z.object({ id: Id }),
  ),
  /** Creates or updates a template; names are unique (case aside). */
  'mail:templates:save': request<MailTemplateView>()(MailTemplateInputSchema),
  'mail:templates:delete': request<void>()(z.object({ id: Id })),

  /** An account's «Правила», in the order they apply. */
  'mail:rules:list': request<MailRuleView[]>()(z.object({ accountId: Id })),
  'mail:rules:save': request<MailRuleView>()(MailRuleInputSchema),
  'mail:rules:delete': request<void>()(z.object({ id: Id })),
  /** The account's rules in this order (ids of all of them). */
  'mail:rules:reorder': request<MailRuleView[]>()(z.object({ accountId: Id, ids: z.array(Id).min(1).max(500) })),
  /** «Применить сейчас»: the rule (even if switched off) over the newest `limit` messages in INBOX; `matched` of `scanned`. */
  'mail:rules:apply': request<{ matched: number; scanned: number }>()(
    z.object({ id: Id, limit: z.number().int().min(1).max(MAX_BULK).default(MAX_BULK) }),
  ),
};

export const mailEvents = {
  /** An account's sync state changed (synced, syncing N%, offline, error with reason). */
  'mail:state': event<{ accountId: number; state: MailAccountState }>(),
  /** Messages or folders changed: lists showing these folders should reload. */
  'mail:changed': event<{ accountId: number; folderIds: number[] }>(),
  /** New mail arrived in INBOX after the initial sync. */
  'mail:new': event<{ accountId: number; messages: MailSummary[] }>(),
  /** An outbox item was queued, failed, retried or sent. */
  'mail:outbox': event<MailOutboxItem>(),
  /** A message failed for the first time, or went out after failing (once each, not per retry). */
  'mail:sendNotice': event<MailSendNotice>(),
  /** Accounts were added, removed or changed. */
  'mail:accounts': event<{ accounts: MailAccountView[] }>(),
};
