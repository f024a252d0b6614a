/**
 * The mail capability behind the `mail:*` IPC requests and events: `createMailService()` wires
 * accounts, per-account sync, search, compose, outbox, drafts and checks to one SQLite database.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { ImapFlow } from 'imapflow';
import type { z } from 'zod';
import {
  mailRequests,
  MailDraftInputSchema,
  type mailEvents,
  type MailAddress,
  type MailAccountState,
  type MailAccountView,
  type MailMessageView,
  type MailSummary,
} from '../../../src-shared/ipc/mail';
import type { EventDef, RequestDef } from '../../../src-shared/ipc/define';
import { Accounts, type AccountRecord, type SecretBox } from './accounts';
import { checkConnection, sendTestMail, type CheckDeps } from './check';
import { buildDraftMime, buildMime, fmtAddr, newDraftMessageId, prefill, replyHeaders, type OutgoingAttachment } from './compose';
import { DEFAULT_TIMEOUTS, openImap, smtpTransport, requirePassword, type ConnectionDeps, type Credentials, type Timeouts } from './connection';
import { Drafts, type DraftCopy } from './drafts';
import { DraftCopies, draftsFolder } from './draft-copies';
import { Templates } from './templates';
import { FolderManager } from './folders-manage';
import { DEFAULT_IMAGE_LIMITS, fetchImages, urlInHtml, type AddressPolicy } from './images';
import { MailError, describeMailError } from './errors-ru';
import { AccountSync, DEFAULT_SYNC_OPTIONS, type SyncOptions } from './imap-sync';
import { refreshAccessToken, startAuthorization, type AuthorizationFlow, type OAuthClientConfig, type TokenSet } from './oauth';
import { Outbox, type OutboxRow, type SendOutcome } from './outbox';
import { parseSource, type ParsedMessage } from './parse';
import { OAUTH_ENDPOINTS, PRESETS, presetById } from './presets';
import { migrateMail } from './schema';
import { MailRules, type RuleEffects } from './rules';
import { MailSearch } from './search';
import { invalidateRecipients, suggestRecipients } from './recipients';
import { SOURCE_GONE, emlFilename, fetchMessageSource } from './source';
import { MailStore, type FolderRow, type MessageRow } from './store';
import { toRange } from './imap-sync';
import { UNDO_TTL_MS, UndoRegistry, type UndoItem } from './undo';

export type MailRequestName = keyof typeof mailRequests;
export type MailEventName = keyof typeof mailEvents;
type Req<N extends MailRequestName> = (typeof mailRequests)[N];
export type MailArgs<N extends MailRequestName> = Req<N> extends RequestDef<infer A, unknown> ? z.output<A> : never;
export type MailResult<N extends MailRequestName> = Req<N> extends RequestDef<z.ZodType, infer R> ? R : never;
export type MailPayload<E extends MailEventName> = (typeof mailEvents)[E] extends EventDef<infer P> ? P : never;

export interface MailServiceOptions {
  /** The app's better-sqlite3 database (WAL). */
  db: Database.Database;
  secretBox: SecretBox;
  /** The user-data folder; attachments opened by the user are saved under `<dataDir>/mail-attachments`. */
  dataDir: string;
  /** Run the mail migrations here (default). Pass false when the store's runner applied `MAIL_MIGRATIONS`. */
  migrate?: boolean;
  /** Start syncing saved accounts and the outbox at once (default true). */
  autoStart?: boolean;
  /** Extra CA certificates to trust besides the system roots. */
  extraCa?: string[];
  timeouts?: Partial<Timeouts>;
  sync?: Partial<SyncOptions>;
  outbox?: { initialBackoffMs?: number; maxBackoffMs?: number };
  /**
   * «Отмена отправки»: how long a sent mail waits in the outbox, cancellable, read at each send
   * (the app passes its setting). Absent: sent at once (tests, the benchmark).
   */
  undoSendMs?: () => number;
  /** OAuth client ids configured by the admin, used when an account gives none. */
  oauthClients?: Partial<Record<'yandex' | 'google', { clientId: string; clientSecret?: string }>>;
  /** Opens a URL in the system browser (OAuth); the renderer also gets the URL. */
  openExternal?: (url: string) => void | Promise<void>;
  /** Opens a saved attachment with the system's default app. */
  openPath?: (path: string) => void | Promise<void>;
  /** Addresses allowed images may be fetched from (default: anything but this machine). */
  imageAddresses?: AddressPolicy;
  /** How long «Отменить» after a delete or move stays possible (default UNDO_TTL_MS). */
  undoTtlMs?: number;
}

export interface MailService {
  /** Validates `args` with the contract's zod schema and runs the request. */
  handle<N extends MailRequestName>(name: N, args: unknown): Promise<MailResult<N>>;
  handle(name: string, args: unknown): Promise<unknown>;
  /** Subscribes to one `mail:*` event; returns the unsubscribe function. */
  on<E extends MailEventName>(name: E, listener: (payload: MailPayload<E>) => void): () => void;
  /** Subscribes to every `mail:*` event (for forwarding to the renderer). */
  onAny(listener: (name: MailEventName, payload: unknown) => void): () => void;
  readonly events: EventEmitter;
  /** Mails from or to these addresses, newest first (contact timeline, call popup). */
  mailsWithAddress(emails: string[], limit?: number): MailSummary[];
  start(): void;
  stop(): Promise<void>;
  /** After the computer wakes up or the network changes: reconnect every account and retry the outbox now. */
  resume(): void;
  /** Internals for tests and the benchmark. */
  readonly internals: { store: MailStore; search: MailSearch; outbox: Outbox; accounts: Accounts; syncs: Map<number, AccountSync> };
}

const isRequest = (n: string): n is MailRequestName => Object.prototype.hasOwnProperty.call(mailRequests, n);

export function createMailService(opts: MailServiceOptions): MailService {
  const { db } = opts;
  if (opts.migrate !== false) migrateMail(db);
  const store = new MailStore(db);
  const search = new MailSearch(db);
  const accounts = new Accounts(db, opts.secretBox);
  const drafts = new Drafts(db, (copy) => forgetDraftCopy(copy));
  const rules = new MailRules(db, store);
  const templates = new Templates(db);
  const undos = new UndoRegistry(opts.undoTtlMs ?? UNDO_TTL_MS);
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const anyListeners = new Set<(name: MailEventName, payload: unknown) => void>();
  // Recipient suggestions are indexed from the stored mail; these events may change it.
  for (const e of ['mail:changed', 'mail:new', 'mail:outbox', 'mail:accounts'] as const) events.on(e, () => invalidateRecipients(db));
  const syncs = new Map<number, AccountSync>();
  const states = new Map<number, MailAccountState>();
  const tokens = new Map<number, TokenSet>();
  const flows = new Map<string, { accountId: number; flow: AuthorizationFlow }>();
  const syncOptions: SyncOptions = { ...DEFAULT_SYNC_OPTIONS, ...opts.sync };
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  let started = false;

  function emit<E extends MailEventName>(name: E, payload: MailPayload<E>): void {
    events.emit(name, payload);
    for (const l of anyListeners) {
      try {
        l(name, payload);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  // -- credentials ----------------------------------------------------------------------------

  function oauthConfig(acc: AccountRecord, clientSecret: string | null): OAuthClientConfig {
    const o = acc.oauth;
    if (!o) throw new MailError('mail-no-oauth', 'Для ящика не настроен вход через OAuth.');
    const builtIn = o.provider === 'custom' ? null : OAUTH_ENDPOINTS[o.provider];
    const admin = o.provider === 'custom' ? undefined : opts.oauthClients?.[o.provider];
    const authUrl = o.authUrl ?? builtIn?.authUrl;
    const tokenUrl = o.tokenUrl ?? builtIn?.tokenUrl;
    if (!authUrl || !tokenUrl) throw new MailError('mail-no-oauth', 'Укажите адреса авторизации и выдачи токенов OAuth.');
    return {
      authUrl,
      tokenUrl,
      scope: o.scope ?? builtIn?.scope ?? '',
      clientId: o.clientId || admin?.clientId || '',
      clientSecret: clientSecret ?? admin?.clientSecret ?? null,
      extraAuthParams: builtIn?.extraAuthParams,
      redirectPort: o.redirectPort,
      loginHint: acc.email,
    };
  }

  async function accessToken(acc: AccountRecord): Promise<string> {
    const cached = acc.id ? tokens.get(acc.id) : undefined;
    if (cached && cached.expiresAt > Date.now() + 60_000) return cached.accessToken;
    const refresh = await accounts.refreshToken(acc);
    if (!refresh) {
      throw new MailError('mail-oauth-needed', 'Вход через OAuth ещё не выполнен для этого ящика.', 'Нажмите «Войти через OAuth» в настройках ящика.');
    }
    const t = await refreshAccessToken(oauthConfig(acc, await accounts.oauthClientSecret(acc)), refresh);
    if (acc.id) {
      tokens.set(acc.id, t);
      if (t.refreshToken && t.refreshToken !== refresh) await accounts.setRefreshToken(acc.id, t.refreshToken);
    }
    return t.accessToken;
  }

  async function credentials(acc: AccountRecord): Promise<Credentials> {
    const user = acc.login || acc.email;
    if (acc.auth === 'oauth2') return { kind: 'oauth2', user, accessToken: await accessToken(acc) };
    return { kind: 'password', user, pass: requirePassword(acc, await accounts.password(acc)) };
  }

  const connDeps: ConnectionDeps = { extraCa: opts.extraCa, timeouts, credentials };
  const imapFor = (acc: AccountRecord) => openImap(acc, connDeps);

  /**
   * Sends raw MIME; resolves with the recipients the server refused while taking it for the
   * others. `dataSent` runs once the whole message has been written to the connection.
   */
  async function smtpSend(acc: AccountRecord, envelope: { from: string; to: string[] }, raw: Buffer, dataSent?: () => void): Promise<SendOutcome> {
    const t = await smtpTransport(acc, connDeps, { dataSent });
    try {
      const info = await t.sendMail({ envelope, raw });
      const errors = (info as { rejectedErrors?: { recipient?: string; responseCode?: number; response?: string; message?: string }[] }).rejectedErrors ?? [];
      const rejected = (info.rejected ?? []).map((r) => {
        const address = String(r);
        const e = errors.find((x) => x.recipient === address);
        return { address, code: e?.responseCode ?? null, response: e?.response ?? e?.message ?? '' };
      });
      return { rejected };
    } finally {
      t.close();
    }
  }

  const checkDeps: CheckDeps = {
    openImap: imapFor,
    smtpVerify: async (acc) => {
      const t = await smtpTransport(acc, connDeps);
      try {
        await t.verify();
      } finally {
        t.close();
      }
    },
    smtpSend: async (acc, envelope, raw) => {
      await smtpSend(acc, envelope, raw);
    },
  };

  // -- sync -----------------------------------------------------------------------------------

  function stateOf(id: number): MailAccountState {
    return states.get(id) ?? { state: 'idle' };
  }

  function accountViews(): MailAccountView[] {
    return accounts.list().map((a) => accountView(a));
  }

  /** The stored view plus when mail last went out (the checklist counts any real send). */
  function accountView(a: AccountRecord): MailAccountView {
    const r = db.prepare('SELECT MAX(sent_at) AS t FROM mail_outbox WHERE account_id = ?').get(a.id) as { t: string | null } | undefined;
    return { ...accounts.view(a, stateOf(a.id)), lastSentAt: r?.t ?? null };
  }

  function startSync(acc: AccountRecord): void {
    const s = new AccountSync(acc, store, imapFor, {
      state: (id, st) => {
        states.set(id, st);
        emit('mail:state', { accountId: id, state: st });
      },
      changed: (id, folderIds) => emit('mail:changed', { accountId: id, folderIds }),
      newMail: (id, messages) => {
        const news = messages.filter((m) => !isReturning(id, m.id));
        if (news.length) emit('mail:new', { accountId: id, messages: news });
      },
      arrived: (id, _folderId, ids) => {
        try {
          rules.arrived(id, ids.filter((m) => !isReturning(id, m)), ruleEffects);
        } catch {
          // A rule that cannot run leaves the mail in INBOX; it must never stop the sync.
        }
      },
      moved: (ops, outcome) => undos.pushed(ops, outcome),
      pushDrafts: (id, client, open) => draftCopies.push(id, client, open),
    }, syncOptions);
    syncs.set(acc.id, s);
    s.start();
  }

  async function stopSync(id: number): Promise<void> {
    const s = syncs.get(id);
    syncs.delete(id);
    await s?.stop();
  }

  async function restartSync(id: number): Promise<void> {
    await stopSync(id);
    const acc = accounts.find(id);
    if (acc && started) startSync(acc);
  }

  // -- outbox ---------------------------------------------------------------------------------

  async function findSentPath(acc: AccountRecord, client: ImapFlow): Promise<string | null> {
    const local = store.folders(acc.id).find((f) => f.special_use === '\\Sent');
    if (local) return local.path;
    const list = await client.list();
    return list.find((l) => l.specialUse === '\\Sent')?.path ?? null;
  }

  const accountsSent = new Set<number>();
  const outbox = new Outbox(db, {
    send: async (accountId, envelope, raw, dataSent) => smtpSend(accounts.get(accountId), envelope, raw, dataSent),
    saveSentCopy: async (accountId, raw, messageIdHeader) => {
      const acc = accounts.find(accountId);
      if (!acc) return;
      const sentFolder = store.folders(acc.id).find((f) => f.special_use === '\\Sent');
      if (!presetById(acc.preset).serverSavesSent) {
        const client = await imapFor(acc);
        try {
          const path = await findSentPath(acc, client);
          if (path) {
            await client.mailboxOpen(path);
            const found = await client.search({ header: { 'message-id': messageIdHeader } }, { uid: true });
            if (!found || !found.length) await client.append(path, raw, ['\\Seen']);
          }
        } finally {
          await client.logout().catch(() => client.close());
        }
      }
      if (sentFolder) void syncs.get(acc.id)?.syncNow(sentFolder.id);
    },
    afterSent: (row: OutboxRow) => {
      if ((row.mode === 'reply' || row.mode === 'replyAll') && row.source_message_id) {
        setFlags([row.source_message_id], { answered: true });
      }
    },
    emit: (item) => {
      emit('mail:outbox', item);
      // The first send of an account this run: its view (lastSentAt, the checklist) changed.
      if (item.sentAt && !accountsSent.has(item.accountId)) {
        accountsSent.add(item.accountId);
        emit('mail:accounts', { accounts: accountViews() });
      }
    },
    notice: (n) => emit('mail:sendNotice', n),
    smtpWorked: (accountId) => !!accounts.find(accountId)?.lastCheck?.steps.some((st) => (st.step === 'smtp' || st.step === 'send') && st.ok),
    smtpServer: (accountId) => {
      const a = accounts.find(accountId);
      return a ? { host: a.smtp.host, port: a.smtp.port } : undefined;
    },
    initialBackoffMs: opts.outbox?.initialBackoffMs ?? 5_000,
    maxBackoffMs: opts.outbox?.maxBackoffMs ?? 10 * 60_000,
  });

  // -- drafts' copies in the mailbox's «Черновики» ------------------------------------------------

  const draftCopies = new DraftCopies(db, store, {
    build: (draftId, messageId) => buildDraft(draftId, messageId),
    kick: (accountId) => syncs.get(accountId)?.kick(),
    accountEmail: (accountId) => accounts.find(accountId)?.email,
  });

  /** A draft's MIME for its server copy: what sending it would build, files and threading included. */
  async function buildDraft(draftId: number, messageId: string): Promise<Buffer> {
    const d = drafts.get(draftId);
    const acc = accounts.get(d.accountId);
    const src = d.sourceMessageId ? (store.message(d.sourceMessageId) ?? null) : null;
    const attachments: OutgoingAttachment[] = d.attachmentsData.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.dataBase64, 'base64') }));
    if (src && d.mode === 'forward' && d.includeSourceAttachments) {
      const wanted = d.sourceAttachmentIndexes ? new Set(d.sourceAttachmentIndexes) : null;
      for (const a of store.attachments(src.id)) {
        if (a.inline || (wanted && !wanted.has(a.index))) continue;
        try {
          attachments.push(await attachmentContent(src.id, a.index));
        } catch {
          // The original's file cannot be read now: the copy goes without it (the local draft keeps the link).
        }
      }
    }
    return buildDraftMime(
      {
        from: { name: acc.name, email: acc.email },
        to: d.to,
        cc: d.cc,
        bcc: d.bcc,
        subject: d.subject,
        text: d.text,
        attachments,
        ...replyHeaders(d.mode, src),
      },
      messageId,
    );
  }

  /**
   * A sent or deleted draft's copy leaves «Черновики»: here at once, on the server by the sync
   * (queued like any deletion, so offline it goes at the next round).
   */
  function forgetDraftCopy(copy: DraftCopy): void {
    const folder = (copy.folderId !== null ? store.folder(copy.folderId) : undefined) ?? draftsFolder(store, copy.accountId);
    if (!folder || folder.account_id !== copy.accountId) return;
    db.prepare('INSERT INTO mail_ops (account_id, folder_id, uid, op, data, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      copy.accountId,
      folder.id,
      copy.uid ?? 0,
      'expungeDraft',
      JSON.stringify({ messageId: copy.messageId }),
      new Date().toISOString(),
    );
    const ids = (db.prepare('SELECT id FROM mail_messages WHERE folder_id = ? AND message_id = ?').all(folder.id, copy.messageId) as { id: number }[]).map((r) => r.id);
    if (ids.length) store.deleteIds(ids);
    syncs.get(copy.accountId)?.kick();
    emit('mail:changed', { accountId: copy.accountId, folderIds: [folder.id] });
  }

  /** «Продолжить редактирование»: the local draft a server copy stands for, or a new one taking it over. */
  async function draftFromMessage(messageId: number): Promise<number> {
    const m = messageRow(messageId);
    const acc = accounts.get(m.account_id);
    const linked = m.message_id ? drafts.byMessageId(m.account_id, m.message_id) : undefined;
    if (linked !== undefined) return linked;
    const files: { filename: string; contentType: string; dataBase64: string }[] = [];
    for (const a of store.attachments(m.id)) {
      if (a.inline) continue;
      const c = await attachmentContent(m.id, a.index);
      files.push({ filename: c.filename, contentType: c.contentType, dataBase64: c.content.toString('base64') });
    }
    // A draft of an answer (In-Reply-To a message here) stays an answer to it.
    const parent = m.in_reply_to
      ? (db.prepare('SELECT id FROM mail_messages WHERE account_id = ? AND message_id = ? AND folder_id != ? ORDER BY id DESC LIMIT 1').get(m.account_id, m.in_reply_to, m.folder_id) as
          | { id: number }
          | undefined)
      : undefined;
    const list = (json: string) => (JSON.parse(json) as MailAddress[]).map(fmtAddr);
    const input = MailDraftInputSchema.parse({
      accountId: m.account_id,
      mode: parent ? 'reply' : 'new',
      sourceMessageId: parent?.id ?? null,
      to: list(m.to_json),
      cc: list(m.cc_json),
      bcc: list(m.bcc_json),
      subject: m.subject,
      text: m.text,
      attachments: files,
    });
    const folder = store.folder(m.folder_id);
    return drafts.adopt(input, { messageId: m.message_id ?? newDraftMessageId(acc.email), folderId: m.folder_id, uid: m.uid, uidvalidity: folder?.uidvalidity ?? null }).id;
  }

  // «Новая папка…» / «Переименовать…» / «Удалить папку»: on the server, then here. The sync is
  // told at once, so a folder list it read before the change is not saved over it.
  const folderManager = new FolderManager({
    store,
    account: (id) => accounts.get(id),
    openImap: imapFor,
    changed: (accountId, folderIds) => {
      syncs.get(accountId)?.foldersChanged();
      emit('mail:changed', { accountId, folderIds });
    },
  });

  // -- local changes pushed by the sync loop --------------------------------------------------

  function queueOp(row: MessageRow, op: string, data: object): number {
    const r = db.prepare('INSERT INTO mail_ops (account_id, folder_id, uid, op, data, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      row.account_id,
      row.folder_id,
      row.uid,
      op,
      JSON.stringify(data),
      new Date().toISOString(),
    );
    return Number(r.lastInsertRowid);
  }

  /** A queued MOVE «Отменить» can take back: the message as it was, snapshotted before it leaves. */
  function undoItem(m: MessageRow, opId: number): UndoItem {
    return { opId, accountId: m.account_id, sourceFolderId: m.folder_id, uid: m.uid, snapshot: store.snapshot(m.id)! };
  }

  function setFlags(ids: number[], f: { seen?: boolean; flagged?: boolean; answered?: boolean }): void {
    const touched = new Map<number, Set<number>>();
    db.transaction(() => {
      for (const id of ids) {
        const m = store.message(id);
        if (!m) continue;
        const add: string[] = [];
        const remove: string[] = [];
        const sets: string[] = [];
        const cols: [keyof typeof f, string, string][] = [
          ['seen', 'seen', '\\Seen'],
          ['flagged', 'flagged', '\\Flagged'],
          ['answered', 'answered', '\\Answered'],
        ];
        for (const [key, col, flag] of cols) {
          const want = f[key];
          if (want === undefined || (m[col as 'seen'] === 1) === want) continue;
          (want ? add : remove).push(flag);
          sets.push(`${col} = ${want ? 1 : 0}`);
        }
        if (!sets.length) continue;
        db.prepare(`UPDATE mail_messages SET ${sets.join(', ')} WHERE id = ?`).run(id);
        queueOp(m, 'flags', { add, remove });
        const s = touched.get(m.account_id) ?? new Set<number>();
        s.add(m.folder_id);
        touched.set(m.account_id, s);
      }
    })();
    for (const [accountId, folders] of touched) {
      syncs.get(accountId)?.kick();
      emit('mail:changed', { accountId, folderIds: [...folders] });
    }
  }

  /**
   * To Trash; from Trash (or with `forever`, or without a Trash), deleted on the server for good.
   * With `undoable`, the moves into Trash get an «Отменить» token (deletions for good never do).
   */
  function deleteMessages(ids: number[], forever = false, undoable = false): { deleted: number; undoToken: string | null } {
    const items: UndoItem[] = [];
    let deleted = 0;
    const touched = new Map<number, Set<number>>();
    // Each account's Trash read once, not once per message of a bulk delete.
    const trashes = new Map<number, FolderRow | undefined>();
    const trashOf = (accountId: number) => {
      if (!trashes.has(accountId)) trashes.set(accountId, store.folders(accountId).find((f) => f.special_use === '\\Trash'));
      return trashes.get(accountId);
    };
    db.transaction(() => {
      for (const id of ids) {
        const m = store.message(id);
        if (!m) continue;
        const folder = store.folder(m.folder_id);
        const trash = trashOf(m.account_id);
        if (!forever && folder && trash && folder.id !== trash.id) {
          const opId = queueOp(m, 'move', { to: trash.path });
          if (undoable) items.push(undoItem(m, opId));
        } else {
          queueOp(m, 'expunge', {});
        }
        store.deleteIds([id]);
        deleted++;
        const s = touched.get(m.account_id) ?? new Set<number>();
        s.add(m.folder_id);
        if (trash) s.add(trash.id);
        touched.set(m.account_id, s);
      }
    })();
    // The sync syncs Trash once it has pushed the moves into it (AccountSync.movedInto).
    for (const [accountId, folders] of touched) {
      syncs.get(accountId)?.kick();
      emit('mail:changed', { accountId, folderIds: [...folders] });
    }
    return { deleted, undoToken: undos.add(items) };
  }

  /**
   * Moves messages to another folder of their account. Locally they only leave the source (the
   * server gives them new UIDs there, so the target gets them from its own sync, which the
   * account's sync runs once it has pushed the queued MOVE); until then the source does not
   * fetch them back.
   */
  function moveMessages(ids: number[], folderId: number, undoable = false): { moved: number; undoToken: string | null } {
    const target = store.folder(folderId);
    if (!target) throw new MailError('mail-no-folder', 'Папка не найдена: возможно, её удалили.', 'Обновите список папок и выберите папку ещё раз.');
    const found = ids.map((id) => store.message(id)).filter((m): m is MessageRow => Boolean(m));
    if (!found.length) throw new MailError('mail-no-message', 'Письмо не найдено: возможно, его удалили или перенесли.');
    if (found.some((m) => m.account_id !== target.account_id)) {
      throw new MailError('mail-move-account', 'Письма можно перенести только в папку того же почтового ящика.', 'Чтобы переложить письмо в другой ящик, перешлите его.');
    }
    // A selection from search results may hold some mail already there: only the rest moves.
    const rows = found.filter((m) => m.folder_id !== target.id);
    if (!rows.length) {
      throw new MailError('mail-move-same', `Письмо уже лежит в папке «${target.name}».`, 'Выберите другую папку.');
    }
    const sources = new Set<number>();
    const items: UndoItem[] = [];
    db.transaction(() => {
      for (const m of rows) {
        const opId = queueOp(m, 'move', { to: target.path });
        if (undoable) items.push(undoItem(m, opId));
        sources.add(m.folder_id);
      }
      store.deleteIds(rows.map((m) => m.id));
      // Mail is filed there: kept in step like a folder the user opened.
      store.enableSync(target.id);
    })();
    syncs.get(target.account_id)?.kick();
    emit('mail:changed', { accountId: target.account_id, folderIds: [...sources, target.id] });
    return { moved: rows.length, undoToken: undos.add(items) };
  }

  /**
   * «Отменить»: puts the token's messages back where they were. Still queued: the MOVE is taken
   * off the queue and the rows come back at once. Already pushed: moved back on the server from
   * where they went, and their rows come back under their new UIDs there.
   */
  async function undo(token: string): Promise<{ restored: number }> {
    const items = undos.take(token);
    if (!items) {
      throw new MailError('mail-undo-gone', 'Отменить уже нельзя: время вышло или действие уже отменено.');
    }
    const byAccount = new Map<number, UndoItem[]>();
    for (const it of items) byAccount.set(it.accountId, [...(byAccount.get(it.accountId) ?? []), it]);
    let restored = 0;
    let failure: unknown = null;
    for (const [accountId, list] of byAccount) {
      const touched = new Set<number>();
      // Looked at while the sync is not pushing: a MOVE is either still queued or reported pushed.
      const local = () => restoreQueued(list, touched);
      const s = syncs.get(accountId);
      const { left, restored: back } = s ? await s.withOps(local) : local();
      restored += back;
      if (left.length) {
        try {
          restored += await moveBack(accountId, left, touched);
        } catch (e) {
          failure = e;
        }
      }
      if (touched.size) emit('mail:changed', { accountId, folderIds: [...touched] });
    }
    if (failure) {
      const acc = accounts.find(items[0].accountId);
      const d = describeMailError(failure, { proto: 'imap', host: acc?.imap.host, port: acc?.imap.port });
      const done = restored ? ` Возвращено писем: ${restored}.` : '';
      throw new MailError('mail-undo-failed', `Не удалось вернуть письма: ${d.message}${done}`, d.hint);
    }
    return { restored };
  }

  /**
   * Undoes the MOVEs still queued (and those the server refused): how many came back, and the
   * items the server moved meanwhile (`left`).
   */
  function restoreQueued(items: UndoItem[], touched: Set<number>): { left: UndoItem[]; restored: number } {
    const left: UndoItem[] = [];
    let restored = 0;
    const opStmt = db.prepare('SELECT data FROM mail_ops WHERE id = ?');
    const delOp = db.prepare('DELETE FROM mail_ops WHERE id = ?');
    db.transaction(() => {
      for (const it of items) {
        const queued = opStmt.get(it.opId) as { data: string } | undefined;
        if (!queued && it.pushed && !('refused' in it.pushed)) {
          left.push(it);
          continue;
        }
        // Still queued, refused by the server or dropped (its folder renumbered): the message is
        // where it was on the server, or the source's next sync finds it gone.
        if (queued) {
          delOp.run(it.opId);
          const to = (JSON.parse(queued.data) as { to?: string }).to;
          const target = to ? store.folderByPath(it.accountId, to) : undefined;
          if (target) touched.add(target.id);
        }
        if (!store.folder(it.sourceFolderId)) continue;
        store.restoreMessage(it.snapshot, it.sourceFolderId, it.uid);
        touched.add(it.sourceFolderId);
        restored++;
      }
    })();
    return { left, restored };
  }

  /**
   * Moves pushed messages back from where they went (by the UIDs the server reported, or found
   * there by Message-ID) and stores their rows under the UIDs the source gives them: the
   * source's sync sees them as known and fetches nothing. Returns how many came back.
   */
  /**
   * Message-IDs «Отменить» is moving back, per account: a sync that fetches one of them before
   * its row is restored stores it, but it is neither news nor for the rules (which could file it
   * away again).
   */
  const returning = new Map<number, Set<string>>();
  function isReturning(accountId: number, messageId: number): boolean {
    const set = returning.get(accountId);
    const mid = set?.size ? store.message(messageId)?.message_id : null;
    return !!mid && set!.has(mid);
  }

  async function moveBack(accountId: number, items: UndoItem[], touched: Set<number>): Promise<number> {
    const mids = items.map((it) => it.snapshot.row.message_id).filter((m): m is string => !!m);
    const set = returning.get(accountId) ?? new Set<string>();
    returning.set(accountId, set);
    mids.forEach((m) => set.add(m));
    try {
      return await moveBackNow(accountId, items, touched);
    } finally {
      // Past the source's sync that the move back triggers.
      setTimeout(() => mids.forEach((m) => set.delete(m)), 10_000).unref?.();
    }
  }

  async function moveBackNow(accountId: number, items: UndoItem[], touched: Set<number>): Promise<number> {
    const acc = accounts.get(accountId);
    const groups = new Map<string, UndoItem[]>();
    for (const it of items) {
      const p = it.pushed as { destination: string };
      const key = JSON.stringify([p.destination, it.sourceFolderId]);
      groups.set(key, [...(groups.get(key) ?? []), it]);
    }
    let restored = 0;
    const client = await imapFor(acc);
    try {
      for (const [key, list] of groups) {
        const [destination, sourceFolderId] = JSON.parse(key) as [string, number];
        const source = store.folder(sourceFolderId);
        if (!source) continue;
        const mb = await client.mailboxOpen(destination);
        const dest = store.folderByPath(accountId, destination);
        // Deleted for good or moved on from there in the app meanwhile: not brought back.
        const leaving = dest ? store.pendingRemovals(dest.id) : new Set<number>();
        const at = new Map<number, UndoItem>();
        for (const it of list) {
          const p = it.pushed as { uidValidity: number | null; destUid: number | null };
          let uid = p.uidValidity === null || p.uidValidity === Number(mb.uidValidity) ? p.destUid : null;
          const mid = it.snapshot.row.message_id;
          if (uid === null && mid) {
            // The server did not report the UID (no UIDPLUS, or the MOVE was sent again).
            const found = await client.search({ header: { 'message-id': mid } }, { uid: true });
            uid = found && found.length ? Math.max(...found) : null;
          }
          if (uid !== null && !leaving.has(uid) && !at.has(uid)) at.set(uid, it);
        }
        if (!at.size) continue;
        const res = await client.messageMove(toRange([...at.keys()]), source.path, { uid: true });
        if (!client.usable) throw Object.assign(new Error('Connection closed'), { code: 'NoConnection' });
        if (!res) throw new MailError('mail-undo-refused', `Сервер не вернул письма в папку «${source.name}».`);
        const sameFolder = source.uidvalidity === null || res.uidValidity === undefined || Number(res.uidValidity) === source.uidvalidity;
        const uidMap = sameFolder ? res.uidMap : undefined;
        db.transaction(() => {
          for (const [destUid, it] of at) {
            const uid = uidMap ? uidMap.get(destUid) : null;
            // Not moved (gone from there meanwhile).
            if (uid === undefined) continue;
            if (uid !== null) store.restoreMessage(it.snapshot, source.id, uid);
            restored++;
          }
          if (dest) {
            store.deleteUids(dest.id, [...at.keys()]);
            touched.add(dest.id);
          }
        })();
        // A fetch of the target under way may still store what just left it: its sync sets that right.
        if (dest?.sync_enabled === 1) void syncs.get(accountId)?.syncNow(dest.id);
        touched.add(source.id);
        // Moved back without known UIDs: the source's sync fetches them.
        if (!uidMap) void syncs.get(accountId)?.syncNow(source.id);
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
    return restored;
  }

  /** «Правила» act through the user's own actions: filed here at once, pushed by the sync. */
  const ruleEffects: RuleEffects = {
    setFlags: (ids, f) => setFlags(ids, f),
    trash: (ids) => void deleteMessages(ids),
    move: (ids, folderId) => void moveMessages(ids, folderId),
  };

  // -- messages -------------------------------------------------------------------------------

  function folderRow(id: number): FolderRow {
    const f = store.folder(id);
    if (!f) throw new MailError('mail-no-folder', 'Папка не найдена.');
    return f;
  }

  function messageRow(id: number): MessageRow {
    const m = store.message(id);
    if (!m) throw new MailError('mail-no-message', 'Письмо не найдено: возможно, его удалили или перенесли.');
    return m;
  }

  function imagesAllowed(m: MessageRow): boolean {
    const q = db.prepare('SELECT 1 FROM mail_image_allow WHERE kind = ? AND value = ?');
    return Boolean(q.get('message', m.message_id ?? `id:${m.id}`) || (m.from_email && q.get('sender', m.from_email)));
  }

  function messageView(m: MessageRow): MailMessageView {
    const folder = store.folder(m.folder_id);
    const summary = store.summaries([m.id])[0];
    return {
      ...summary,
      cc: JSON.parse(m.cc_json),
      bcc: JSON.parse(m.bcc_json),
      replyTo: JSON.parse(m.reply_to_json),
      messageId: m.message_id,
      inReplyTo: m.in_reply_to,
      references: m.refs ? m.refs.split(/\s+/).filter(Boolean) : [],
      text: m.text,
      html: m.html,
      attachments: store.attachments(m.id),
      inlineImages: store.inlineImages(m.id),
      remoteImagesAllowed: imagesAllowed(m),
      folderPath: folder?.path ?? '',
      specialUse: folder?.special_use ?? null,
    };
  }

  /** An attachment's bytes: stored, or fetched from the server (then kept if not huge). */
  async function attachmentContent(messageId: number, index: number): Promise<OutgoingAttachment> {
    const m = messageRow(messageId);
    const a = store.attachment(messageId, index);
    if (!a) throw new MailError('mail-no-attachment', 'Вложение не найдено.');
    if (a.content) return { filename: a.filename, contentType: a.content_type, content: a.content };
    const acc = accounts.get(m.account_id);
    const folder = store.folder(m.folder_id);
    if (!folder) throw new MailError('mail-no-message', 'Папка письма не найдена.');
    let content: Buffer;
    const client = await imapFor(acc).catch((e) => {
      const d = describeMailError(e, { proto: 'imap', host: acc.imap.host, port: acc.imap.port });
      throw new MailError(d.code, `Вложение ещё не скачано, а сервер недоступен: ${d.message}`, d.hint);
    });
    try {
      if (a.part) {
        content = await AccountSync.downloadPart(client, folder.path, m.uid, a.part);
      } else {
        const whole = await AccountSync.downloadPart(client, folder.path, m.uid, null);
        const parsed: ParsedMessage = await parseSource(whole);
        content = parsed.attachments[index]?.content ?? Buffer.alloc(0);
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
    if (content.length <= 25 * 1024 * 1024) store.storeAttachmentContent(messageId, index, content);
    return { filename: a.filename, contentType: a.content_type, content };
  }

  /** Inline (cid:) images the HTML shows are fetched the first time the message is opened. */
  async function fetchInlineImages(m: MessageRow): Promise<void> {
    if (!m.html || !/cid:/i.test(m.html)) return;
    const missing = store.attachments(m.id).filter((a) => a.inline && !a.downloaded && a.size <= 3 * 1024 * 1024);
    if (!missing.length) return;
    const acc = accounts.find(m.account_id);
    const folder = store.folder(m.folder_id);
    if (!acc || !folder) return;
    let client: ImapFlow | null = null;
    try {
      client = await imapFor(acc);
      for (const a of missing.slice(0, 30)) {
        const row = store.attachment(m.id, a.index);
        if (!row?.part) continue;
        store.storeAttachmentContent(m.id, a.index, await AccountSync.downloadPart(client, folder.path, m.uid, row.part));
      }
    } catch {
      // Offline: the message shows without its inline pictures this time.
    } finally {
      await client?.logout().catch(() => client?.close());
    }
  }

  function safeName(name: string): string {
    const cleaned = name.replace(/[\\/:*?"<>|\x00-\x1f]/g, '_').replace(/^\.+/, '_').slice(0, 180);
    return cleaned || 'attachment.bin';
  }

  /** The compose input as a draft (no send time, no draft id: the draft it came from is gone). */
  function draftOf(input: MailArgs<'mail:send'>): object {
    const { draftId: _draftId, sendAt: _sendAt, ...rest } = input;
    return rest;
  }

  // -- handlers -------------------------------------------------------------------------------

  type Handlers = { [N in MailRequestName]: (args: MailArgs<N>) => Promise<MailResult<N>> | MailResult<N> };

  const handlers: Handlers = {
    'mail:presets': () => PRESETS.map((p) => ({ ...p })),
    'mail:accounts:list': () => accountViews(),
    'mail:accounts:save': async (input) => {
      const before = input.id ? accounts.find(input.id) : undefined;
      const acc = await accounts.save(input);
      if (before && (before.oauth?.clientId !== acc.oauth?.clientId || before.auth !== acc.auth)) tokens.delete(acc.id);
      await restartSync(acc.id);
      if (before) outbox.retryAccount(acc.id);
      const views = accountViews();
      emit('mail:accounts', { accounts: views });
      return accountView(acc);
    },
    'mail:accounts:delete': async ({ id }) => {
      await stopSync(id);
      db.transaction(() => {
        for (const f of store.folders(id)) store.deleteFolder(f.id);
        db.prepare('DELETE FROM mail_ops WHERE account_id = ?').run(id);
        db.prepare('DELETE FROM mail_thread_refs WHERE account_id = ?').run(id);
        db.prepare('DELETE FROM mail_threads WHERE account_id = ?').run(id);
        outbox.deleteAccount(id);
        drafts.deleteAccount(id);
        rules.deleteAccount(id);
        accounts.delete(id);
      })();
      states.delete(id);
      tokens.delete(id);
      emit('mail:accounts', { accounts: accountViews() });
    },
    'mail:accounts:check': async (args) => {
      const acc = 'preset' in args ? await accounts.draft(args) : accounts.get(args.id);
      const res = await checkConnection(acc, checkDeps);
      if (acc.id && accounts.find(acc.id)) accounts.setLastCheck(acc.id, res);
      return res;
    },
    'mail:accounts:sendTest': async ({ id, timeoutSec }) => {
      const acc = accounts.get(id);
      const res = await sendTestMail(acc, checkDeps, timeoutSec * 1000);
      accounts.setLastCheck(id, res);
      const inbox = store.folders(id).find((f) => f.path.toUpperCase() === 'INBOX');
      if (res.ok && inbox) void syncs.get(id)?.syncNow(inbox.id);
      return res;
    },
    'mail:accounts:syncNow': async ({ id }) => {
      accounts.get(id);
      const s = syncs.get(id);
      if (s) await s.syncNow();
    },
    'mail:oauth:start': async ({ accountId }) => {
      const acc = accounts.get(accountId);
      if (acc.auth !== 'oauth2') throw new MailError('mail-no-oauth', 'Для этого ящика выбран вход по паролю, а не через OAuth.');
      const flow = await startAuthorization(oauthConfig(acc, await accounts.oauthClientSecret(acc)));
      const flowId = `${accountId}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      flows.set(flowId, { accountId, flow });
      flow.result.catch(() => undefined).finally(() => setTimeout(() => flows.delete(flowId), 60_000).unref());
      if (opts.openExternal) await Promise.resolve(opts.openExternal(flow.url)).catch(() => undefined);
      return { flowId, url: flow.url, redirectUri: flow.redirectUri };
    },
    'mail:oauth:finish': async ({ flowId, timeoutSec }) => {
      const f = flows.get(flowId);
      if (!f) throw new MailError('mail-oauth-flow', 'Вход через OAuth не начат или уже завершён.', 'Нажмите «Войти» ещё раз.');
      let timer: NodeJS.Timeout | undefined;
      const t = await Promise.race([
        f.flow.result,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new MailError('mail-oauth-timeout', 'Вход через OAuth не завершён вовремя.', 'Завершите вход в браузере и нажмите «Войти» ещё раз.')),
            timeoutSec * 1000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      flows.delete(flowId);
      if (!t.refreshToken) {
        throw new MailError('mail-oauth-no-refresh', 'Сервер авторизации не выдал долгосрочный токен (refresh token).', 'Проверьте настройки приложения OAuth: нужен офлайн-доступ.');
      }
      await accounts.setRefreshToken(f.accountId, t.refreshToken);
      tokens.set(f.accountId, t);
      await restartSync(f.accountId);
      emit('mail:accounts', { accounts: accountViews() });
      return accountView(accounts.get(f.accountId));
    },
    'mail:oauth:cancel': ({ flowId }) => {
      flows.get(flowId)?.flow.cancel();
      flows.delete(flowId);
    },
    'mail:folders:list': ({ accountId }) => store.folderViews(accountId),
    'mail:folders:markSeen': ({ folderId }) => {
      folderRow(folderId);
      const ids = (db.prepare('SELECT id FROM mail_messages WHERE folder_id = ? AND seen = 0').all(folderId) as { id: number }[]).map((r) => r.id);
      if (ids.length) setFlags(ids, { seen: true });
      return { marked: ids.length };
    },
    'mail:folders:empty': ({ folderId }) => {
      const f = folderRow(folderId);
      if (f.special_use !== '\\Trash' && f.special_use !== '\\Junk') {
        throw new MailError('mail-folder-not-emptiable', 'Очистить можно только «Корзину» и «Спам».', 'Письма из других папок удаляются в корзину.');
      }
      const ids = (db.prepare('SELECT id FROM mail_messages WHERE folder_id = ?').all(folderId) as { id: number }[]).map((r) => r.id);
      if (ids.length) deleteMessages(ids, true);
      return { deleted: ids.length };
    },
    'mail:folders:messageIds': ({ folderId, limit, filter, keep }) => {
      folderRow(folderId);
      return store.listIds(folderId, limit, filter, keep);
    },
    'mail:folders:presentIds': ({ folderId, ids, filter, keep }) => {
      folderRow(folderId);
      return store.presentIn(folderId, ids, filter, keep);
    },
    'mail:folders:create': (args) => folderManager.create(args),
    'mail:folders:rename': (args) => folderManager.rename(args),
    'mail:folders:deletePreview': (args) => folderManager.deletePreview(args),
    'mail:folders:delete': (args) => folderManager.delete(args),
    'mail:folders:sync': async ({ folderId }) => {
      const f = folderRow(folderId);
      const s = syncs.get(f.account_id);
      store.enableSync(folderId);
      if (!s) return;
      // Returns once synced, or after a while (the folder keeps syncing in the background).
      await Promise.race([s.syncNow(folderId), new Promise((r) => setTimeout(r, 60_000).unref())]);
    },
    'mail:messages:list': ({ folderId, offset, limit, filter, keep }) => store.list(folderId, offset, limit, filter, keep),
    // Folders still loading are named so the list can say results may be incomplete.
    'mail:messages:search': (a) => ({ items: search.search(a), loadingFolderIds: store.loadingFolderIds(a.accountId, a.folderId) }),
    'mail:recipients:suggest': ({ query, limit, accountId }) => suggestRecipients(db, query, limit, accountId),
    'mail:messages:get': async ({ id, markSeen }) => {
      const m = messageRow(id);
      if (markSeen && m.seen !== 1) setFlags([id], { seen: true });
      await fetchInlineImages(m);
      return messageView(store.message(id) ?? m);
    },
    'mail:messages:thread': ({ threadId }) => store.thread(threadId),
    'mail:messages:setFlags': ({ ids, seen, flagged }) => setFlags(ids, { seen, flagged }),
    'mail:messages:delete': ({ ids }) => deleteMessages(ids, false, true),
    'mail:messages:move': ({ ids, folderId }) => moveMessages(ids, folderId, true),
    'mail:undo': ({ token }) => undo(token),
    'mail:messages:byAddress': ({ emails, limit }) => store.byAddress(emails, limit),
    'mail:messages:source': async ({ id }) => {
      const m = messageRow(id);
      const acc = accounts.get(m.account_id);
      const folder = store.folder(m.folder_id);
      try {
        const raw = await fetchMessageSource(() => imapFor(acc), { folder: folder ?? undefined, uid: m.uid, server: acc.imap });
        return { filename: emlFilename(m.subject), size: raw.length, dataBase64: raw.toString('base64') };
      } catch (e) {
        // Gone on the server: let the list catch up now rather than at the next poll.
        if (e instanceof MailError && e.code === SOURCE_GONE && folder) void syncs.get(acc.id)?.syncNow(folder.id).catch(() => undefined);
        throw e;
      }
    },
    'mail:images:allow': ({ messageId, scope }) => {
      const m = messageRow(messageId);
      const value = scope === 'sender' ? m.from_email : (m.message_id ?? `id:${m.id}`);
      if (!value) throw new MailError('mail-no-sender', 'У письма нет адреса отправителя.');
      db.prepare('INSERT OR IGNORE INTO mail_image_allow (kind, value) VALUES (?, ?)').run(scope, value);
    },
    'mail:images:fetch': async ({ messageId, urls }) => {
      const m = messageRow(messageId);
      if (!imagesAllowed(m)) throw new MailError('mail-images-blocked', 'Картинки из интернета для этого письма не разрешены.');
      const html = m.html ?? '';
      return fetchImages(urls.filter((u) => urlInHtml(u, html)), DEFAULT_IMAGE_LIMITS, opts.imageAddresses);
    },
    'mail:attachments:get': async ({ messageId, index, maxBytes }) => {
      const a = await attachmentContent(messageId, index);
      const bytes = maxBytes !== undefined && a.content.length > maxBytes ? a.content.subarray(0, maxBytes) : a.content;
      return { filename: a.filename, contentType: a.contentType, dataBase64: bytes.toString('base64') };
    },
    'mail:attachments:open': async ({ messageId, index }) => {
      const a = await attachmentContent(messageId, index);
      const dir = join(opts.dataDir, 'mail-attachments', String(messageId));
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${index}-${safeName(a.filename)}`);
      writeFileSync(path, a.content);
      let opened = false;
      if (opts.openPath) {
        await Promise.resolve(opts.openPath(path));
        opened = true;
      }
      return { path, opened };
    },
    'mail:compose:prefill': ({ mode, sourceMessageId, accountId, to }) => {
      const src = sourceMessageId ? messageRow(sourceMessageId) : null;
      const accId = src?.account_id ?? accountId ?? accounts.list()[0]?.id;
      if (!accId) throw new MailError('mail-no-account', 'Сначала подключите почтовый ящик в настройках почты.');
      const acc = accounts.get(accId);
      const p = prefill(mode, acc.id, acc.email, src, src ? store.attachments(src.id) : [], acc.signature);
      if (mode === 'new' && to?.length) p.to = to;
      return p;
    },
    'mail:send': async (input) => {
      const now = Date.now();
      if (input.sendAt !== undefined && input.sendAt <= now) {
        throw new MailError('mail-send-at-past', 'Это время уже прошло.', 'Выберите время отправки в будущем.');
      }
      // The undo window comes from the settings here, never from the renderer.
      const undoMs = input.sendAt === undefined ? Math.max(0, opts.undoSendMs?.() ?? 0) : 0;
      const sendAt = input.sendAt ?? (undoMs > 0 ? now + undoMs : null);
      const acc = accounts.get(input.accountId);
      const src = input.sourceMessageId ? messageRow(input.sourceMessageId) : null;
      const attachments: OutgoingAttachment[] = input.attachments.map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: Buffer.from(a.dataBase64, 'base64'),
      }));
      if (src && input.mode === 'forward' && input.includeSourceAttachments !== false) {
        const wanted = Array.isArray(input.includeSourceAttachments) ? new Set(input.includeSourceAttachments) : null;
        for (const a of store.attachments(src.id)) {
          if (a.inline || (wanted && !wanted.has(a.index))) continue;
          attachments.push(await attachmentContent(src.id, a.index));
        }
      }
      const built = await buildMime({
        from: { name: acc.name, email: acc.email },
        to: input.to,
        cc: input.cc,
        bcc: input.bcc,
        subject: input.subject,
        text: input.text,
        html: input.html,
        attachments,
        ...replyHeaders(input.mode, src),
      });
      const id = outbox.enqueue({
        accountId: acc.id,
        messageIdHeader: built.messageId,
        subject: input.subject,
        to: [...input.to, ...input.cc],
        envelope: built.envelope,
        raw: built.raw,
        sourceMessageId: src?.id ?? null,
        mode: input.mode,
        sendAt,
        userScheduled: input.sendAt !== undefined,
        // What «Отменить» turns back into a draft (the forwarded original's files are re-read then).
        draftJson: sendAt === null ? null : JSON.stringify(draftOf(input)),
      });
      if (input.draftId) drafts.delete(input.draftId);
      if (sendAt !== null) return { outboxId: id, status: 'scheduled' as const, error: null, sendAt: new Date(sendAt).toISOString() };
      const item = await outbox.attempt(id);
      return { outboxId: id, status: item.status, error: item.lastError, sendAt: null };
    },
    'mail:outbox:list': ({ includeSent }) => outbox.list(includeSent),
    'mail:outbox:retry': ({ id }) => outbox.retry(id),
    'mail:outbox:delete': ({ id }) => outbox.delete(id),
    'mail:outbox:cancel': ({ id }) => {
      // Taken out of the outbox and saved as a draft together, or neither.
      const r = db.transaction(() => {
        const t = outbox.takeBack(id);
        const parsed = t.draftJson ? MailDraftInputSchema.safeParse(JSON.parse(t.draftJson)) : null;
        const data = parsed?.success ? { ...parsed.data, accountId: t.accountId } : MailDraftInputSchema.parse({ accountId: t.accountId, to: t.to, subject: t.subject });
        return { draftId: drafts.save({ ...data, id: undefined }).id };
      })();
      draftCopies.schedule();
      return r;
    },
    'mail:outbox:sendNow': async ({ id }) => {
      const it = await outbox.sendNow(id);
      return { status: it.status, error: it.lastError };
    },
    'mail:drafts:list': ({ accountId }) => drafts.list(accountId),
    'mail:drafts:get': ({ id }) => drafts.get(id),
    'mail:drafts:save': ({ server, ...input }) => {
      accounts.get(input.accountId);
      const v = drafts.save(input, server);
      draftCopies.schedule();
      return v;
    },
    'mail:drafts:delete': ({ id }) => drafts.delete(id),
    'mail:drafts:pushNow': ({ id }) => {
      if (drafts.pushNow(id)) draftCopies.schedule();
    },
    'mail:drafts:fromMessage': async ({ messageId }) => ({ draftId: await draftFromMessage(messageId) }),
    'mail:rules:list': ({ accountId }) => {
      accounts.get(accountId);
      return rules.list(accountId);
    },
    'mail:rules:save': (input) => {
      accounts.get(input.accountId);
      return rules.save(input);
    },
    'mail:rules:delete': ({ id }) => rules.delete(id),
    'mail:rules:reorder': ({ accountId, ids }) => rules.reorder(accountId, ids),
    'mail:rules:apply': ({ id, limit }) => rules.applyNow(id, limit, ruleEffects),
    'mail:templates:list': () => templates.list(),
    'mail:templates:get': ({ id }) => templates.get(id),
    'mail:templates:save': (input) => templates.save(input),
    'mail:templates:delete': ({ id }) => templates.delete(id),
  };

  async function handle(name: string, args: unknown): Promise<unknown> {
    if (!isRequest(name)) throw new MailError('mail-unknown-request', `Неизвестный запрос почты: ${name}`);
    const def = mailRequests[name] as RequestDef<z.ZodType, unknown>;
    const parsed = def.args.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path?.length ? ` (${issue.path.join('.')})` : '';
      throw new MailError('mail-bad-args', `Неверные данные запроса${where}: ${issue?.message ?? 'ошибка проверки'}`);
    }
    const fn = handlers[name] as (a: unknown) => unknown;
    return await fn(parsed.data);
  }

  const service: MailService = {
    handle: handle as MailService['handle'],
    on(name, listener) {
      events.on(name, listener as (p: unknown) => void);
      return () => events.off(name, listener as (p: unknown) => void);
    },
    onAny(listener) {
      anyListeners.add(listener);
      return () => anyListeners.delete(listener);
    },
    events,
    mailsWithAddress: (emails, limit = 20) => store.byAddress(emails, limit),
    start() {
      if (started) return;
      started = true;
      for (const a of accounts.list()) startSync(a);
      outbox.start();
      draftCopies.start();
    },
    resume() {
      for (const s of syncs.values()) s.reconnect();
      for (const it of outbox.list(false)) if (it.status === 'failed' && it.nextAttemptAt) outbox.retry(it.id);
      outbox.wake();
    },
    async stop() {
      started = false;
      outbox.stop();
      draftCopies.stop();
      for (const { flow } of flows.values()) flow.cancel();
      flows.clear();
      undos.clear();
      await Promise.all([...syncs.keys()].map((id) => stopSync(id)));
      await outbox.drain();
    },
    internals: { store, search, outbox, accounts, syncs },
  };
  if (opts.autoStart !== false) service.start();
  return service;
}
