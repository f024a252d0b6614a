/**
 * Drafts kept locally (with their attachments) until sent or deleted: the source of truth, also
 * offline. Each also gets a copy in the mailbox's «Черновики» (draft-copies.ts pushes it from the
 * sync loop); the columns `server_*` say where that copy is and whether it is behind.
 */
import type Database from 'better-sqlite3';
import type { z } from 'zod';
import type { MailDraftInputSchema, MailDraftView } from '../../../src-shared/ipc/mail';
import { MailError } from './errors-ru';

export type DraftInput = z.output<typeof MailDraftInputSchema>;
type DraftData = Omit<DraftInput, 'id'>;

interface Row {
  id: number;
  account_id: number;
  data_json: string;
  updated_at: string;
  message_id: string | null;
  server_folder_id: number | null;
  server_uid: number | null;
  server_uidvalidity: number | null;
  server_due_at: number | null;
  server_pushed_at: number | null;
}

/** A draft's copy on the server, to be removed there (the draft was sent, deleted or moved to another account). */
export interface DraftCopy {
  accountId: number;
  messageId: string;
  folderId: number | null;
  uid: number | null;
}

/** While typing, a draft's server copy is replaced at most this often (each is a whole upload). */
export const DRAFT_PUSH_INTERVAL_MS = 30_000;

/** `now`: saved by hand or the form left; `soon`: autosave (rate-limited); `none`: no upload. */
export type DraftPush = 'now' | 'soon' | 'none';

function view(r: Row): MailDraftView {
  const d = JSON.parse(r.data_json) as DraftData;
  return {
    id: r.id,
    accountId: r.account_id,
    mode: d.mode,
    sourceMessageId: d.sourceMessageId ?? null,
    to: d.to,
    cc: d.cc,
    bcc: d.bcc,
    subject: d.subject,
    text: d.text,
    attachments: d.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: Math.floor((a.dataBase64.length * 3) / 4),
    })),
    includeSourceAttachments: d.includeSourceAttachments !== false,
    sourceAttachmentIndexes: Array.isArray(d.includeSourceAttachments) ? d.includeSourceAttachments : null,
    updatedAt: r.updated_at,
    onServer: r.server_uid !== null,
  };
}

function copyOf(r: Row): DraftCopy | null {
  return r.message_id ? { accountId: r.account_id, messageId: r.message_id, folderId: r.server_folder_id, uid: r.server_uid } : null;
}

export class Drafts {
  constructor(
    private readonly db: Database.Database,
    /** A server copy that no draft stands for any more: removed there by the sync. */
    private readonly forget: (copy: DraftCopy) => void = () => undefined,
  ) {}

  private row(id: number): Row | undefined {
    return this.db.prepare('SELECT * FROM mail_drafts WHERE id = ?').get(id) as Row | undefined;
  }

  list(accountId?: number): MailDraftView[] {
    const rows = (
      accountId === undefined
        ? this.db.prepare('SELECT * FROM mail_drafts ORDER BY updated_at DESC').all()
        : this.db.prepare('SELECT * FROM mail_drafts WHERE account_id = ? ORDER BY updated_at DESC').all(accountId)
    ) as Row[];
    return rows.map(view);
  }

  get(id: number): MailDraftView & { attachmentsData: { filename: string; contentType: string; dataBase64: string }[] } {
    const r = this.row(id);
    if (!r) throw new MailError('mail-no-draft', 'Черновик не найден.');
    const d = JSON.parse(r.data_json) as DraftData;
    return { ...view(r), attachmentsData: d.attachments };
  }

  /** The draft whose server copies carry this Message-ID. */
  byMessageId(accountId: number, messageId: string): number | undefined {
    const r = this.db.prepare('SELECT id FROM mail_drafts WHERE account_id = ? AND message_id = ? ORDER BY id LIMIT 1').get(accountId, messageId) as
      | { id: number }
      | undefined;
    return r?.id;
  }

  save(input: DraftInput, push: DraftPush = 'now'): MailDraftView {
    const { id, ...data } = input;
    const now = Date.now();
    const stamp = new Date(now).toISOString();
    if (id) {
      const prev = this.row(id);
      if (!prev) throw new MailError('mail-no-draft', 'Черновик не найден.');
      // Moved to another account: the old mailbox's copy goes, the new one gets its own.
      const moved = prev.account_id !== input.accountId;
      if (moved) {
        const copy = copyOf(prev);
        if (copy) this.forget(copy);
      }
      const due = dueAt(push, moved ? null : prev, now);
      this.db
        .prepare(
          `UPDATE mail_drafts SET account_id = ?, data_json = ?, updated_at = ?, server_due_at = ?
           ${moved ? ', message_id = NULL, server_folder_id = NULL, server_uid = NULL, server_uidvalidity = NULL' : ''} WHERE id = ?`,
        )
        .run(input.accountId, JSON.stringify(data), stamp, due, id);
      return view(this.row(id)!);
    }
    const r = this.db
      .prepare('INSERT INTO mail_drafts (account_id, data_json, updated_at, server_due_at) VALUES (?, ?, ?, ?)')
      .run(input.accountId, JSON.stringify(data), stamp, dueAt(push, null, now));
    return view(this.row(Number(r.lastInsertRowid))!);
  }

  /**
   * A draft made from a server copy («Продолжить редактирование» on a message in «Черновики»):
   * it takes over that copy (its Message-ID and UID), so its next upload replaces it.
   */
  adopt(input: DraftInput, copy: { messageId: string; folderId: number; uid: number; uidvalidity: number | null }): MailDraftView {
    const { id: _id, ...data } = input;
    const r = this.db
      .prepare(
        `INSERT INTO mail_drafts (account_id, data_json, updated_at, message_id, server_folder_id, server_uid, server_uidvalidity)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(input.accountId, JSON.stringify(data), new Date().toISOString(), copy.messageId, copy.folderId, copy.uid, copy.uidvalidity);
    return view(this.row(Number(r.lastInsertRowid))!);
  }

  /** The compose form was left: an upload waiting for the rate limit goes now. */
  pushNow(id: number): boolean {
    return this.db.prepare('UPDATE mail_drafts SET server_due_at = ? WHERE id = ? AND server_due_at IS NOT NULL').run(Date.now(), id).changes > 0;
  }

  delete(id: number): void {
    const r = this.db.prepare('DELETE FROM mail_drafts WHERE id = ? RETURNING *').get(id) as Row | undefined;
    const copy = r ? copyOf(r) : null;
    if (copy) this.forget(copy);
  }

  deleteAccount(accountId: number): void {
    this.db.prepare('DELETE FROM mail_drafts WHERE account_id = ?').run(accountId);
  }
}

/** When the saved draft's server copy is to be replaced (epoch ms), or null for no upload. */
function dueAt(push: DraftPush, prev: Row | null, now: number): number | null {
  const waiting = prev?.server_due_at ?? null;
  if (push === 'none') return waiting;
  if (push === 'now') return now;
  const next = Math.max(now, (prev?.server_pushed_at ?? 0) + DRAFT_PUSH_INTERVAL_MS);
  // An upload already due sooner (saved by hand just before) is not put off.
  return waiting !== null ? Math.min(waiting, next) : next;
}
