/**
 * SQLite access for folders, messages, addresses, attachments, threads and the FTS index.
 * Everything here is synchronous (better-sqlite3); callers batch inserts in transactions.
 */
import { randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { MailAddress, MailAttachmentView, MailFolderSync, MailFolderView, MailListFilter, MailSummary } from '../../../src-shared/ipc/mail';
import { foldForSearch, searchTokens, makeSnippet, htmlToSearchText, normalizeEmail, type ParsedMessage } from './parse';

export interface FolderRow {
  id: number;
  account_id: number;
  path: string;
  name: string;
  delimiter: string | null;
  special_use: string | null;
  depth: number;
  sync_enabled: number;
  uidvalidity: number | null;
  uidnext: number | null;
  highest_modseq: string | null;
  last_sync_at: string | null;
  /** The server's id of the mailbox (RFC 8474 MAILBOXID), when it tells; survives renames. */
  mailbox_id: string | null;
  /** The server's message and unseen counts at the last STATUS (null: not read yet). */
  server_total: number | null;
  server_unread: number | null;
  /** Messages still to download after the last sync pass; null: never synced. */
  fetch_left: number | null;
}

/**
 * Special-use folders that only show other folders' mail again (Gmail's «Вся почта» holds every
 * message, «Помеченные» the starred ones): fetching them would store everything twice, so they
 * keep server counts only until the user opens one.
 */
export const VIRTUAL_FOLDERS: readonly string[] = ['\\All', '\\Flagged'];

/** Whether a folder synced by default still has mail on the server that is not stored here. */
export function folderLoading(f: Pick<FolderRow, 'sync_enabled' | 'fetch_left'>): boolean {
  return f.sync_enabled === 1 && (f.fetch_left === null || f.fetch_left > 0);
}

/** Where a folder's mail stands here (MailFolderView.sync). */
export function folderSyncState(f: Pick<FolderRow, 'sync_enabled' | 'fetch_left'>): MailFolderSync {
  if (f.sync_enabled !== 1) return 'counts';
  return folderLoading(f) ? 'loading' : 'synced';
}

export interface MessageRow {
  id: number;
  account_id: number;
  folder_id: number;
  uid: number;
  message_id: string | null;
  in_reply_to: string | null;
  refs: string;
  thread_id: number | null;
  subject: string;
  from_name: string;
  from_email: string;
  to_json: string;
  cc_json: string;
  bcc_json: string;
  reply_to_json: string;
  date: number;
  size: number;
  seen: number;
  flagged: number;
  answered: number;
  draft: number;
  flags: string;
  snippet: string;
  text: string;
  html: string | null;
  has_attachments: number;
  body_partial: number;
}

export interface AttachmentRow {
  message_id: number;
  idx: number;
  filename: string;
  content_type: string;
  size: number;
  content_id: string | null;
  inline: number;
  part: string | null;
  content: Buffer | null;
}

/** Downloaded attachment bytes up to this size stay in an undo snapshot; bigger ones are fetched again. */
const SNAPSHOT_CONTENT_MAX = 256 * 1024;

/** What `MailStore.snapshot` keeps of a message: its row and its attachments (small downloaded content too). */
export interface MessageSnapshot {
  row: MessageRow;
  attachments: AttachmentRow[];
}

export interface FolderInfo {
  path: string;
  name: string;
  delimiter: string | null;
  specialUse: string | null;
  depth: number;
}

/** A local folder found under another path on the server (renamed by another client). */
export interface FolderRename {
  folderId: number;
  path: string;
  mailboxId: string | null;
}

export interface NewMessage {
  uid: number;
  flags: Iterable<string>;
  internalDate: number | null;
  size: number;
  parsed: ParsedMessage;
}

const SUMMARY_COLS = `m.id, m.account_id, m.folder_id, m.thread_id, m.subject, m.from_name, m.from_email, m.to_json,
  m.date, m.snippet, m.seen, m.flagged, m.answered, m.has_attachments, m.size`;

type SummaryRow = Pick<
  MessageRow,
  'id' | 'account_id' | 'folder_id' | 'thread_id' | 'subject' | 'from_name' | 'from_email' | 'to_json' | 'date' | 'snippet' | 'seen' | 'flagged' | 'answered' | 'has_attachments' | 'size'
>;

/** Largest body text put into the search index per message. */
const FTS_BODY_MAX = 64 * 1024;
/** Largest text kept per message. */
const TEXT_MAX = 2 * 1024 * 1024;

export function toSummary(r: SummaryRow): MailSummary {
  return {
    id: r.id,
    accountId: r.account_id,
    folderId: r.folder_id,
    threadId: r.thread_id,
    subject: r.subject,
    from: r.from_email || r.from_name ? { name: r.from_name, email: r.from_email } : null,
    to: JSON.parse(r.to_json) as MailAddress[],
    date: new Date(r.date).toISOString(),
    snippet: r.snippet,
    seen: r.seen === 1,
    flagged: r.flagged === 1,
    answered: r.answered === 1,
    hasAttachments: r.has_attachments === 1,
    size: r.size,
  };
}

export function attachmentView(a: AttachmentRow | Omit<AttachmentRow, 'content'> & { has_content: number }): MailAttachmentView {
  return {
    index: a.idx,
    filename: a.filename,
    contentType: a.content_type,
    size: a.size,
    inline: a.inline === 1,
    contentId: a.content_id,
    downloaded: 'has_content' in a ? a.has_content === 1 : a.content !== null,
  };
}

/** Date-ordered message id: seconds since 1970 in the high bits, random low 20 bits. */
export function messageKey(dateMs: number): number {
  const sec = Math.min(Math.max(Math.floor(dateMs / 1000), 0), 4_000_000_000);
  return sec * 1_048_576 + randomInt(0, 1_048_576);
}

/** The date a message is sorted by: its Date header unless absent or in the future. */
export function sortDate(header: number | null, internal: number | null): number {
  const now = Date.now();
  if (header !== null && header <= now + 86_400_000 && header > 0) return header;
  return internal ?? header ?? now;
}

function flagCols(flags: Iterable<string>): { seen: number; flagged: number; answered: number; draft: number; other: string } {
  const set = new Set(flags);
  const other = [...set].filter((f) => !['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '\\Recent'].includes(f));
  return {
    seen: set.has('\\Seen') ? 1 : 0,
    flagged: set.has('\\Flagged') ? 1 : 0,
    answered: set.has('\\Answered') ? 1 : 0,
    draft: set.has('\\Draft') ? 1 : 0,
    other: other.join(' '),
  };
}

/**
 * A quick filter as SQL on `mail_messages` (alias m). Literals, not parameters: the partial
 * indexes (schema version 9) are only used when the query repeats their WHERE term.
 */
export const FILTER_SQL: Record<MailListFilter, string> = {
  unread: 'm.seen = 0',
  flagged: 'm.flagged = 1',
  attachments: 'm.has_attachments = 1',
};

/** Terms known to be in `mail_fts_terms` (saves an INSERT per token); bounded. */
const KNOWN_TERMS_MAX = 100_000;

export class MailStore {
  private readonly s;
  private readonly knownTerms = new Set<string>();
  /** Filtered list / count / ids statements, prepared on first use. */
  private readonly filtered = new Map<string, Database.Statement>();
  /** Statements on columns of later migrations, prepared on first use (a store opened on an older schema still works). */
  private readonly later = new Map<string, Database.Statement>();

  private lazy(sql: string): Database.Statement {
    let st = this.later.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.later.set(sql, st);
    }
    return st;
  }

  constructor(readonly db: Database.Database) {
    const p = <T = unknown>(sql: string) => db.prepare<unknown[], T>(sql);
    this.s = {
      folderById: p<FolderRow>('SELECT * FROM mail_folders WHERE id = ?'),
      folderByPath: p<FolderRow>('SELECT * FROM mail_folders WHERE account_id = ? AND path = ?'),
      foldersOf: p<FolderRow>('SELECT * FROM mail_folders WHERE account_id = ? ORDER BY id'),
      insertFolder: p(
        `INSERT INTO mail_folders (account_id, path, name, delimiter, special_use, depth, sync_enabled)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, path) DO UPDATE SET name = excluded.name, delimiter = excluded.delimiter,
           special_use = excluded.special_use, depth = excluded.depth,
           sync_enabled = MAX(mail_folders.sync_enabled, excluded.sync_enabled)`,
      ),
      deleteFolder: p('DELETE FROM mail_folders WHERE id = ?'),
      folderState: p(
        'UPDATE mail_folders SET uidvalidity = ?, uidnext = ?, highest_modseq = ?, last_sync_at = ? WHERE id = ?',
      ),
      enableSync: p('UPDATE mail_folders SET sync_enabled = 1 WHERE id = ?'),
      setMailboxId: p('UPDATE mail_folders SET mailbox_id = ? WHERE id = ?'),
      renameFolder: p('UPDATE mail_folders SET path = ?, mailbox_id = coalesce(?, mailbox_id) WHERE id = ?'),
      renameMoveTargets: p(
        `UPDATE mail_ops SET data = json_set(data, '$.to', ?)
         WHERE account_id = ? AND op = 'move' AND json_valid(data) AND json_extract(data, '$.to') = ?`,
      ),
      opsOfFolder: p<{ n: number }>('SELECT COUNT(*) AS n FROM mail_ops WHERE folder_id = ?'),
      nthByUid: p<{ uid: number; size: number; message_id: string | null }>(
        'SELECT uid, size, message_id FROM mail_messages WHERE folder_id = ? ORDER BY uid LIMIT 1 OFFSET ?',
      ),
      localUids: p<{ uid: number }>('SELECT uid FROM mail_messages WHERE folder_id = ?'),
      countIn: p<{ n: number }>('SELECT COUNT(*) AS n FROM mail_messages WHERE folder_id = ?'),
      maxUid: p<{ u: number | null }>('SELECT MAX(uid) AS u FROM mail_messages WHERE folder_id = ?'),
      idsInFolder: p<{ id: number }>('SELECT id FROM mail_messages WHERE folder_id = ?'),
      idByUid: p<{ id: number }>('SELECT id FROM mail_messages WHERE folder_id = ? AND uid = ?'),
      insertMessage: p(
        `INSERT INTO mail_messages (id, account_id, folder_id, uid, message_id, in_reply_to, refs, thread_id, subject,
           from_name, from_email, to_json, cc_json, bcc_json, reply_to_json, date, size, seen, flagged, answered, draft,
           flags, snippet, text, html, has_attachments, body_partial)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (folder_id, uid) DO NOTHING`,
      ),
      insertAddress: p('INSERT OR IGNORE INTO mail_addresses (email, message_id, role) VALUES (?, ?, ?)'),
      insertAttachment: p(
        `INSERT OR REPLACE INTO mail_attachments (message_id, idx, filename, content_type, size, content_id, inline, part, content)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertFts: p('INSERT INTO mail_fts (rowid, subject, addresses, body) VALUES (?, ?, ?, ?)'),
      insertTerm: p('INSERT OR IGNORE INTO mail_fts_terms (term) VALUES (?)'),
      deleteFts: p('DELETE FROM mail_fts WHERE rowid = ?'),
      deleteMessage: p('DELETE FROM mail_messages WHERE id = ?'),
      deleteAddresses: p('DELETE FROM mail_addresses WHERE message_id = ?'),
      deleteAttachments: p('DELETE FROM mail_attachments WHERE message_id = ?'),
      deleteOpsOfFolder: p('DELETE FROM mail_ops WHERE folder_id = ?'),
      setFlags: p(
        'UPDATE mail_messages SET seen = ?, flagged = ?, answered = ?, draft = ?, flags = ? WHERE folder_id = ? AND uid = ?',
      ),
      pendingOpUid: p<{ n: number }>('SELECT COUNT(*) AS n FROM mail_ops WHERE folder_id = ? AND uid = ?'),
      pendingRemovals: p<{ uid: number }>("SELECT uid FROM mail_ops WHERE folder_id = ? AND op IN ('move', 'expunge')"),
      threadRefs: db.prepare('SELECT DISTINCT thread_id FROM mail_thread_refs WHERE account_id = ? AND ref IN (SELECT value FROM json_each(?))'),
      insertThread: p('INSERT INTO mail_threads (account_id, subject) VALUES (?, ?)'),
      insertThreadRef: p('INSERT OR REPLACE INTO mail_thread_refs (account_id, ref, thread_id) VALUES (?, ?, ?)'),
      moveThreadRefs: p('UPDATE mail_thread_refs SET thread_id = ? WHERE thread_id = ?'),
      moveThreadMsgs: p('UPDATE mail_messages SET thread_id = ? WHERE thread_id = ?'),
      deleteThread: p('DELETE FROM mail_threads WHERE id = ?'),
      message: p<MessageRow>('SELECT * FROM mail_messages WHERE id = ?'),
      attachments: p<AttachmentRow & { has_content: number }>(
        `SELECT message_id, idx, filename, content_type, size, content_id, inline, part, NULL AS content,
           content IS NOT NULL AS has_content FROM mail_attachments WHERE message_id = ? ORDER BY idx`,
      ),
      attachment: p<AttachmentRow>('SELECT * FROM mail_attachments WHERE message_id = ? AND idx = ?'),
      inlineImages: p<{ content_id: string; content_type: string; content: Buffer }>(
        `SELECT content_id, content_type, content FROM mail_attachments
         WHERE message_id = ? AND content_id IS NOT NULL AND content IS NOT NULL AND content_type LIKE 'image/%' AND size <= 3145728`,
      ),
      storeAttachmentContent: p('UPDATE mail_attachments SET content = ? WHERE message_id = ? AND idx = ?'),
      list: p<SummaryRow>(
        `SELECT ${SUMMARY_COLS} FROM mail_messages m WHERE m.folder_id = ? ORDER BY m.id DESC LIMIT ? OFFSET ?`,
      ),
      // Same-second mails: a reply carries its parent's References plus the parent, so fewer
      // references (its depth in the thread) puts the original first.
      thread: p<SummaryRow>(
        `SELECT ${SUMMARY_COLS} FROM mail_messages m WHERE m.thread_id = ?
         ORDER BY m.date,
           CASE WHEN trim(coalesce(m.refs, '')) = '' THEN (m.in_reply_to IS NOT NULL)
                ELSE length(trim(m.refs)) - length(replace(trim(m.refs), ' ', '')) + 1 END,
           m.id`,
      ),
      folderCounts: p<{ folder_id: number; total: number; unread: number }>(
        `SELECT folder_id, COUNT(*) AS total, SUM(seen = 0) AS unread FROM mail_messages
         WHERE account_id = ? GROUP BY folder_id`,
      ),
      allFolderCounts: p<{ folder_id: number; total: number; unread: number }>(
        'SELECT folder_id, COUNT(*) AS total, SUM(seen = 0) AS unread FROM mail_messages GROUP BY folder_id',
      ),
      allFolders: p<FolderRow>('SELECT * FROM mail_folders ORDER BY account_id, id'),
    };
  }

  // -- folders ---------------------------------------------------------------------------------

  folder(id: number): FolderRow | undefined {
    return this.s.folderById.get(id);
  }

  folderByPath(accountId: number, path: string): FolderRow | undefined {
    return this.s.folderByPath.get(accountId, path);
  }

  folders(accountId: number): FolderRow[] {
    return this.s.foldersOf.all(accountId);
  }

  /**
   * Replaces the account's folder list with what the server listed (every folder synced but the
   * virtual ones, see VIRTUAL_FOLDERS). Folders in `renames` move to their new path first, keeping their id, messages, sync
   * state and queued changes (moves into them follow). Returns whether the list changed.
   */
  saveFolderList(accountId: number, list: FolderInfo[], renames: FolderRename[] = []): boolean {
    const shape = (rows: FolderRow[]) =>
      JSON.stringify(rows.map((r) => [r.id, r.path, r.name, r.delimiter, r.special_use, r.depth, r.sync_enabled]));
    return this.db.transaction(() => {
      const before = shape(this.folders(accountId));
      for (const r of renames) {
        const old = this.folder(r.folderId);
        if (!old || old.account_id !== accountId) continue;
        this.s.renameFolder.run(r.path, r.mailboxId, r.folderId);
        this.s.renameMoveTargets.run(r.path, accountId, old.path);
      }
      const keep = new Set<string>();
      for (const f of list) {
        keep.add(f.path);
        const sync = f.path.toUpperCase() === 'INBOX' || !VIRTUAL_FOLDERS.includes(f.specialUse ?? '');
        this.s.insertFolder.run(accountId, f.path, f.name, f.delimiter, f.specialUse, f.depth, sync ? 1 : 0);
      }
      for (const f of this.folders(accountId)) if (!keep.has(f.path)) this.deleteFolder(f.id);
      return shape(this.folders(accountId)) !== before;
    })();
  }

  setMailboxId(folderId: number, mailboxId: string): void {
    this.s.setMailboxId.run(mailboxId, folderId);
  }

  /** Local changes of a folder not pushed to the server yet. */
  pendingOps(folderId: number): number {
    return this.s.opsOfFolder.get(folderId)?.n ?? 0;
  }

  /** Up to `n` of a folder's messages spread over its UID range (lowest and highest included). */
  sampleMessages(folderId: number, n: number): { uid: number; size: number; message_id: string | null }[] {
    const total = this.count(folderId);
    const at = new Set<number>();
    const k = Math.min(n, total);
    for (let i = 0; i < k; i++) at.add(k === 1 ? 0 : Math.round((i * (total - 1)) / (k - 1)));
    return [...at].flatMap((i) => this.s.nthByUid.get(folderId, i) ?? []);
  }

  deleteFolder(folderId: number): void {
    this.db.transaction(() => {
      this.clearFolder(folderId);
      this.s.deleteFolder.run(folderId);
    })();
  }

  enableSync(folderId: number): void {
    this.s.enableSync.run(folderId);
  }

  /** After a sync pass; `fetchLeft`: messages it left for a later pass (0: all here). */
  setFolderState(folderId: number, st: { uidvalidity: number; uidnext: number; highestModseq: string | null; fetchLeft: number }): void {
    this.db.transaction(() => {
      this.s.folderState.run(st.uidvalidity, st.uidnext, st.highestModseq, new Date().toISOString(), folderId);
      this.lazy('UPDATE mail_folders SET fetch_left = ? WHERE id = ?').run(st.fetchLeft, folderId);
    })();
  }

  /** The server's counts of a folder (IMAP STATUS); true when they changed. */
  setServerCounts(folderId: number, total: number, unread: number): boolean {
    const st = this.lazy(
      'UPDATE mail_folders SET server_total = ?, server_unread = ? WHERE id = ? AND (server_total IS NOT ? OR server_unread IS NOT ?)',
    );
    return st.run(total, unread, folderId, total, unread).changes > 0;
  }

  /** Folders whose mail is still being fetched (search does not cover all of it yet). */
  loadingFolderIds(accountId?: number, folderId?: number): number[] {
    const rows = accountId === undefined ? this.s.allFolders.all() : this.folders(accountId);
    return rows.filter((r) => folderLoading(r) && (folderId === undefined || r.id === folderId)).map((r) => r.id);
  }

  /** Drops every message of a folder (UIDVALIDITY changed, folder gone). */
  clearFolder(folderId: number): void {
    this.db.transaction(() => {
      for (const { id } of this.s.idsInFolder.all(folderId)) this.deleteMessageRow(id);
      this.s.deleteOpsOfFolder.run(folderId);
      this.s.folderState.run(null, null, null, null, folderId);
      // Fetched again from scratch: loading.
      this.lazy('UPDATE mail_folders SET fetch_left = NULL WHERE id = ?').run(folderId);
    })();
  }

  folderViews(accountId?: number): MailFolderView[] {
    const rows = accountId === undefined ? this.s.allFolders.all() : this.folders(accountId);
    const counts = new Map(
      (accountId === undefined ? this.s.allFolderCounts.all() : this.s.folderCounts.all(accountId)).map((c) => [c.folder_id, c]),
    );
    const order = (r: FolderRow) => {
      const su = r.special_use ?? (r.path.toUpperCase() === 'INBOX' ? '\\Inbox' : '');
      const rank = ['\\Inbox', '\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash'].indexOf(su);
      return rank < 0 ? 10 : rank;
    };
    return rows
      .slice()
      .sort((a, b) => a.account_id - b.account_id || order(a) - order(b) || a.path.localeCompare(b.path))
      .map((r) => ({
        id: r.id,
        accountId: r.account_id,
        path: r.path,
        name: r.name,
        specialUse: r.special_use ?? (r.path.toUpperCase() === 'INBOX' ? '\\Inbox' : null),
        depth: r.depth,
        total: counts.get(r.id)?.total ?? 0,
        unread: counts.get(r.id)?.unread ?? 0,
        syncEnabled: r.sync_enabled === 1,
        lastSyncAt: r.last_sync_at,
        sync: folderSyncState(r),
        serverUnread: folderSyncState(r) === 'synced' ? null : r.server_unread,
      }));
  }

  // -- messages --------------------------------------------------------------------------------

  localUids(folderId: number): number[] {
    return this.s.localUids.all(folderId).map((r) => r.uid);
  }

  count(folderId: number): number {
    return this.s.countIn.get(folderId)?.n ?? 0;
  }

  maxUid(folderId: number): number {
    return this.s.maxUid.get(folderId)?.u ?? 0;
  }

  idByUid(folderId: number, uid: number): number | undefined {
    return this.s.idByUid.get(folderId, uid)?.id;
  }

  /** Inserts one message (no-op when the folder already has this UID); returns its id or null. */
  insertMessage(accountId: number, folderId: number, m: NewMessage): number | null {
    const p = m.parsed;
    const date = sortDate(p.date, m.internalDate);
    const f = flagCols(m.flags);
    const text = p.text || (p.html ? htmlToSearchText(p.html) : '');
    const hasAttachments = p.attachments.some((a) => !a.inline) ? 1 : 0;
    const threadId = this.assignThread(accountId, p);
    let id = 0;
    for (let attempt = 0; ; attempt++) {
      id = messageKey(date);
      try {
        const res = this.s.insertMessage.run(
          id, accountId, folderId, m.uid, p.messageId, p.inReplyTo, p.references.join(' '), threadId, p.subject,
          p.from?.name ?? '', p.from?.email ?? '', JSON.stringify(p.to), JSON.stringify(p.cc), JSON.stringify(p.bcc),
          JSON.stringify(p.replyTo), date, m.size, f.seen, f.flagged, f.answered, f.draft, f.other, makeSnippet(text),
          text.length > TEXT_MAX ? text.slice(0, TEXT_MAX) : text, p.html, hasAttachments, p.partial ? 1 : 0,
        );
        if (res.changes === 0) return null;
        break;
      } catch (e) {
        // Two messages of the same second drew the same random low bits: draw again.
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' && attempt < 20) continue;
        throw e;
      }
    }
    const addrs: [MailAddress, string][] = [];
    if (p.from) addrs.push([p.from, 'from']);
    for (const a of p.to) addrs.push([a, 'to']);
    for (const a of p.cc) addrs.push([a, 'cc']);
    for (const a of p.bcc) addrs.push([a, 'bcc']);
    for (const a of p.replyTo) addrs.push([a, 'reply-to']);
    p.attachments.forEach((a, idx) => {
      this.s.insertAttachment.run(id, idx, a.filename, a.contentType, a.size, a.contentId, a.inline ? 1 : 0, a.part, a.content);
    });
    this.indexMessage(id, p.subject, addrs, text);
    return id;
  }

  /** Address rows and the search index of a stored message. */
  private indexMessage(id: number, subjectText: string, addrs: [MailAddress, string][], text: string): void {
    for (const [a, role] of addrs) if (a.email) this.s.insertAddress.run(normalizeEmail(a.email), id, role);
    const addrText = addrs.map(([a]) => `${a.name} ${a.email}`).join(' ');
    const subject = foldForSearch(subjectText);
    const addresses = foldForSearch(addrText);
    const body = foldForSearch(text.length > FTS_BODY_MAX ? text.slice(0, FTS_BODY_MAX) : text);
    this.s.insertFts.run(id, subject, addresses, body);
    this.addTerms(subject);
    this.addTerms(addresses);
    this.addTerms(body);
  }

  /** A message with its attachments as stored, to put it back as it was (an undone delete or move). */
  snapshot(id: number): MessageSnapshot | undefined {
    const row = this.s.message.get(id);
    if (!row) return undefined;
    // Big downloaded files are not kept for an undo that may never come (a bulk delete holds
    // thousands of snapshots for the token's life): with their part, they download again when opened.
    const attachments = this.db
      .prepare<unknown[], AttachmentRow>(
        `SELECT message_id, idx, filename, content_type, size, content_id, inline, part,
                CASE WHEN part IS NOT NULL AND length(content) > ${SNAPSHOT_CONTENT_MAX} THEN NULL ELSE content END AS content
         FROM mail_attachments WHERE message_id = ? ORDER BY idx`,
      )
      .all(id);
    return { row, attachments };
  }

  /**
   * Puts a snapshot back into `folderId` at `uid`, under its old id (lists and an open reader
   * find it again), with its flags, attachments, addresses and search index. False when the
   * folder already holds that UID (the sync fetched it meanwhile): the message is there once.
   */
  restoreMessage(snap: MessageSnapshot, folderId: number, uid: number): boolean {
    return this.db.transaction(() => {
      const r = { ...snap.row, folder_id: folderId, uid } as MessageRow & Record<string, unknown>;
      if (this.idByUid(folderId, uid) !== undefined || this.s.message.get(r.id)) return false;
      // Threads merged meanwhile: the message's references lead to the thread that took it over.
      if (r.thread_id !== null && r.message_id && !this.db.prepare('SELECT 1 FROM mail_threads WHERE id = ?').get(r.thread_id)) {
        const t = this.db.prepare<unknown[], { thread_id: number }>('SELECT thread_id FROM mail_thread_refs WHERE account_id = ? AND ref = ?').get(r.account_id, r.message_id);
        if (t) r.thread_id = t.thread_id;
      }
      const cols = Object.keys(r);
      this.db.prepare(`INSERT INTO mail_messages (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => r[c]));
      for (const a of snap.attachments) {
        this.s.insertAttachment.run(r.id, a.idx, a.filename, a.content_type, a.size, a.content_id, a.inline, a.part, a.content);
      }
      const addrs: [MailAddress, string][] = [];
      if (r.from_email || r.from_name) addrs.push([{ name: r.from_name, email: r.from_email }, 'from']);
      const lists: [string, string][] = [[r.to_json, 'to'], [r.cc_json, 'cc'], [r.bcc_json, 'bcc'], [r.reply_to_json, 'reply-to']];
      for (const [json, role] of lists) for (const a of JSON.parse(json) as MailAddress[]) addrs.push([a, role]);
      this.indexMessage(r.id, r.subject, addrs, r.text);
      return true;
    })();
  }

  /** Records the message's words in the term dictionary that prefix search expands against. */
  private addTerms(text: string): void {
    const known = this.knownTerms;
    for (const t of searchTokens(text, true)) {
      if (known.has(t)) continue;
      if (known.size >= KNOWN_TERMS_MAX) known.clear();
      known.add(t);
      this.s.insertTerm.run(t);
    }
  }

  /** Thread by Message-ID / In-Reply-To / References; merges threads a message links together. */
  private assignThread(accountId: number, p: ParsedMessage): number {
    const refs = [...new Set([p.messageId, p.inReplyTo, ...p.references].filter((x): x is string => Boolean(x)))];
    let threadId: number;
    const found = refs.length
      ? (this.s.threadRefs.all(accountId, JSON.stringify(refs)) as { thread_id: number }[]).map((r) => r.thread_id).sort((a, b) => a - b)
      : [];
    if (!found.length) {
      threadId = Number(this.s.insertThread.run(accountId, p.subject).lastInsertRowid);
    } else {
      threadId = found[0];
      for (const other of found.slice(1)) {
        this.s.moveThreadRefs.run(threadId, other);
        this.s.moveThreadMsgs.run(threadId, other);
        this.s.deleteThread.run(other);
      }
    }
    for (const r of refs) this.s.insertThreadRef.run(accountId, r, threadId);
    return threadId;
  }

  private deleteMessageRow(id: number): void {
    this.s.deleteFts.run(id);
    this.s.deleteAddresses.run(id);
    this.s.deleteAttachments.run(id);
    this.s.deleteMessage.run(id);
  }

  deleteUids(folderId: number, uids: number[]): number[] {
    const ids: number[] = [];
    this.db.transaction(() => {
      for (const uid of uids) {
        const id = this.idByUid(folderId, uid);
        if (id !== undefined) {
          this.deleteMessageRow(id);
          ids.push(id);
        }
      }
    })();
    return ids;
  }

  deleteIds(ids: number[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.deleteMessageRow(id);
    })();
  }

  /** Server flags for a UID, unless the user changed this message locally and it is not pushed yet. */
  applyServerFlags(folderId: number, uid: number, flags: Iterable<string>): boolean {
    if ((this.s.pendingOpUid.get(folderId, uid)?.n ?? 0) > 0) return false;
    const f = flagCols(flags);
    return this.s.setFlags.run(f.seen, f.flagged, f.answered, f.draft, f.other, folderId, uid).changes > 0;
  }

  /** UIDs deleted or moved away locally whose change is not on the server yet. */
  pendingRemovals(folderId: number): Set<number> {
    return new Set(this.s.pendingRemovals.all(folderId).map((r) => r.uid));
  }

  message(id: number): MessageRow | undefined {
    return this.s.message.get(id);
  }

  attachments(messageId: number): MailAttachmentView[] {
    return this.s.attachments.all(messageId).map(attachmentView);
  }

  attachment(messageId: number, idx: number): AttachmentRow | undefined {
    return this.s.attachment.get(messageId, idx);
  }

  storeAttachmentContent(messageId: number, idx: number, content: Buffer): void {
    this.s.storeAttachmentContent.run(content, messageId, idx);
  }

  inlineImages(messageId: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.s.inlineImages.all(messageId)) {
      out[r.content_id] = `data:${r.content_type};base64,${r.content.toString('base64')}`;
    }
    return out;
  }

  /**
   * With `keep` (ids the list goes on showing past the filter, see MailListKeepSchema) the rows are
   * those of the filter's index plus the kept ids, deduplicated by `IN`: the query still walks an
   * index, never the folder. Parameters: folder, then (with keep) folder again and the ids as JSON.
   */
  private filteredStmt(kind: 'list' | 'count' | 'ids' | 'present', filter: MailListFilter, keep: boolean): Database.Statement {
    const key = `${kind}:${filter}:${keep ? 'keep' : ''}`;
    let st = this.filtered.get(key);
    if (!st) {
      const where = keep
        ? `m.folder_id = ? AND m.id IN (SELECT m.id FROM mail_messages m WHERE m.folder_id = ? AND ${FILTER_SQL[filter]} UNION ALL SELECT value FROM json_each(?))`
        : `m.folder_id = ? AND ${FILTER_SQL[filter]}`;
      const sql = {
        list: `SELECT ${SUMMARY_COLS} FROM mail_messages m WHERE ${where} ORDER BY m.id DESC LIMIT ? OFFSET ?`,
        count: `SELECT COUNT(*) AS n FROM mail_messages m WHERE ${where}`,
        ids: `SELECT m.id FROM mail_messages m WHERE ${where} ORDER BY m.id DESC LIMIT ?`,
        present: `SELECT m.id FROM mail_messages m WHERE ${where} AND m.id IN (SELECT value FROM json_each(?))`,
      }[kind];
      st = this.db.prepare(sql);
      this.filtered.set(key, st);
    }
    return st;
  }

  /** The filtered statement for `filter` (+ `keep`) and its leading parameters. */
  private filteredQuery(kind: 'list' | 'count' | 'ids' | 'present', folderId: number, filter: MailListFilter, keep?: readonly number[]) {
    const k = keep?.length ? keep : null;
    return { st: this.filteredStmt(kind, filter, k !== null), args: k ? [folderId, folderId, JSON.stringify(k)] : [folderId] };
  }

  /** How many messages the folder holds, or how many of them pass `filter` (or are in `keep`). */
  countFiltered(folderId: number, filter?: MailListFilter, keep?: readonly number[]): number {
    if (!filter) return this.count(folderId);
    const q = this.filteredQuery('count', folderId, filter, keep);
    return (q.st.get(...q.args) as { n: number } | undefined)?.n ?? 0;
  }

  /**
   * A page of the folder newest first (only what `filter` passes, plus what `keep` names), and
   * how many there are in all.
   */
  list(folderId: number, offset: number, limit: number, filter?: MailListFilter, keep?: readonly number[]): { total: number; items: MailSummary[] } {
    let rows: SummaryRow[];
    if (filter) {
      const q = this.filteredQuery('list', folderId, filter, keep);
      rows = q.st.all(...q.args, limit, offset) as SummaryRow[];
    } else {
      rows = this.s.list.all(folderId, limit, offset);
    }
    return { total: this.countFiltered(folderId, filter, keep), items: rows.map(toSummary) };
  }

  /** The first `limit` message ids of a folder (as `list` shows them) in list order, and how many there are. */
  listIds(folderId: number, limit: number, filter?: MailListFilter, keep?: readonly number[]): { ids: number[]; total: number } {
    let rows: { id: number }[];
    if (filter) {
      const q = this.filteredQuery('ids', folderId, filter, keep);
      rows = q.st.all(...q.args, limit) as { id: number }[];
    } else {
      rows = this.db.prepare('SELECT id FROM mail_messages WHERE folder_id = ? ORDER BY id DESC LIMIT ?').all(folderId, limit) as { id: number }[];
    }
    return { ids: rows.map((r) => r.id), total: this.countFiltered(folderId, filter, keep) };
  }

  /**
   * Which of `ids` are still messages of the folder (the rest were moved or deleted meanwhile),
   * and with `filter`, still shown by it (passing it, or in `keep`).
   */
  presentIn(folderId: number, ids: number[], filter?: MailListFilter, keep?: readonly number[]): number[] {
    if (!ids.length) return [];
    let rows: { id: number }[];
    if (filter) {
      const q = this.filteredQuery('present', folderId, filter, keep);
      rows = q.st.all(...q.args, JSON.stringify(ids)) as { id: number }[];
    } else {
      rows = this.db.prepare('SELECT id FROM mail_messages WHERE folder_id = ? AND id IN (SELECT value FROM json_each(?))').all(folderId, JSON.stringify(ids)) as { id: number }[];
    }
    return rows.map((r) => r.id);
  }

  thread(threadId: number): MailSummary[] {
    return this.s.thread.all(threadId).map(toSummary);
  }

  summaries(ids: number[]): MailSummary[] {
    if (!ids.length) return [];
    const rows = this.db
      .prepare<unknown[], SummaryRow>(`SELECT ${SUMMARY_COLS} FROM mail_messages m WHERE m.id IN (SELECT value FROM json_each(?)) ORDER BY m.id DESC`)
      .all(JSON.stringify(ids));
    return rows.map(toSummary);
  }

  /** Mails from or to any of the addresses, newest first (contact timeline, call popup). */
  byAddress(emails: string[], limit: number): MailSummary[] {
    const list = [...new Set(emails.map(normalizeEmail).filter(Boolean))];
    if (!list.length) return [];
    const rows = this.db
      .prepare<unknown[], SummaryRow>(
        `SELECT ${SUMMARY_COLS} FROM mail_messages m
         WHERE m.id IN (SELECT message_id FROM mail_addresses WHERE email IN (SELECT value FROM json_each(?)))
         ORDER BY m.id DESC LIMIT ?`,
      )
      .all(JSON.stringify(list), limit);
    // The same mail may sit in several folders (INBOX and a copy elsewhere): show it once.
    const seen = new Set<string>();
    const out: MailSummary[] = [];
    for (const r of rows) {
      const full = this.s.message.get(r.id);
      const key = full?.message_id ? `${r.account_id}:${full.message_id}` : `id:${r.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(toSummary(r));
    }
    return out;
  }
}
