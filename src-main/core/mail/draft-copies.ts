/**
 * Copies of local drafts in the mailbox's «Черновики» (\Drafts), so a draft can be seen and
 * finished from a phone or webmail. Best effort: the local draft stays the source of truth.
 *
 * Pushed by the account's sync loop (AccountSync's `pushDrafts` hook, on its own connection,
 * right after the queued flag/move changes), so offline or refused uploads simply wait for the
 * next round, as queued changes do. A copy is replaced, not edited: APPEND the new version
 * (\Draft \Seen), then delete the older ones — found by the UID the server gave (APPENDUID) and by
 * the draft's Message-ID, which every copy of it carries (no UIDPLUS, a copy left by a crash).
 * Removing the copy of a sent or deleted draft goes through mail_ops (`expungeDraft`).
 * An account without a \Drafts folder keeps its drafts local only, silently.
 */
import type Database from 'better-sqlite3';
import type { ImapFlow, MailboxObject } from 'imapflow';
import { newDraftMessageId } from './compose';
import type { FolderRow, MailStore } from './store';
import { toRange } from './imap-sync';

/** After the server refused a copy, it is tried again no sooner than this (the next sync round). */
const REFUSED_RETRY_MS = 60_000;

export interface DraftCopyDeps {
  /** The draft's MIME, as sending builds it, with this Message-ID. */
  build(draftId: number, messageId: string): Promise<Buffer>;
  /** Wakes the account's sync loop (which pushes what is due). */
  kick(accountId: number): void;
  accountEmail(accountId: number): string | undefined;
}

interface DueRow {
  id: number;
  data_json: string;
  message_id: string | null;
  server_folder_id: number | null;
  server_uid: number | null;
  server_uidvalidity: number | null;
}

export function draftsFolder(store: MailStore, accountId: number): FolderRow | undefined {
  return store.folders(accountId).find((f) => f.special_use === '\\Drafts');
}

export class DraftCopies {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Drafts whose last upload the server refused: left until then. */
  private readonly refusedUntil = new Map<number, number>();

  constructor(
    private readonly db: Database.Database,
    private readonly store: MailStore,
    private readonly deps: DraftCopyDeps,
  ) {}

  /** Wakes the syncs with uploads due now, and arms a timer for the next one (the autosave rate limit). */
  schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = Date.now();
    const due = this.db.prepare('SELECT DISTINCT account_id AS a FROM mail_drafts WHERE server_due_at <= ?').all(now) as { a: number }[];
    for (const { a } of due) this.deps.kick(a);
    const next = this.db.prepare('SELECT MIN(server_due_at) AS t FROM mail_drafts WHERE server_due_at > ?').get(now) as { t: number | null };
    if (next.t === null) return;
    this.timer = setTimeout(() => this.schedule(), next.t - now);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /**
   * Uploads the account's drafts that are due, over the sync's connection. Returns the folders
   * whose content changed (the sync then syncs them, so the copy shows in the list). Throws only
   * when the connection failed (the sync reconnects; the drafts stay due).
   */
  async push(accountId: number, client: ImapFlow, open: (f: FolderRow) => Promise<MailboxObject | null>): Promise<number[]> {
    const now = Date.now();
    const due = this.db
      .prepare('SELECT id, data_json, message_id, server_folder_id, server_uid, server_uidvalidity FROM mail_drafts WHERE account_id = ? AND server_due_at <= ? ORDER BY id')
      .all(accountId, now) as DueRow[];
    const waiting = due.filter((d) => (this.refusedUntil.get(d.id) ?? 0) <= now);
    if (!waiting.length) return [];
    const folder = draftsFolder(this.store, accountId);
    if (!folder) {
      // No «Черновики» on this server: the drafts stay here only.
      this.db.prepare('UPDATE mail_drafts SET server_due_at = NULL WHERE account_id = ?').run(accountId);
      return [];
    }
    const changed = new Set<number>();
    for (const d of waiting) {
      if (await this.pushOne(accountId, d, folder, client, open)) changed.add(folder.id);
    }
    return [...changed];
  }

  private async pushOne(accountId: number, d: DueRow, folder: FolderRow, client: ImapFlow, open: (f: FolderRow) => Promise<MailboxObject | null>): Promise<boolean> {
    let messageId = d.message_id;
    if (!messageId) {
      messageId = newDraftMessageId(this.deps.accountEmail(accountId) ?? 'draft@asgard-phone.local');
      this.db.prepare('UPDATE mail_drafts SET message_id = ? WHERE id = ? AND message_id IS NULL').run(messageId, d.id);
    }
    let raw: Buffer;
    try {
      raw = await this.deps.build(d.id, messageId);
    } catch {
      // Deleted meanwhile, or its files cannot be read now: the next round tries again.
      this.refusedUntil.set(d.id, Date.now() + REFUSED_RETRY_MS);
      return false;
    }
    const mb = await open(folder);
    if (!mb) return false;
    let appended: Awaited<ReturnType<ImapFlow['append']>>;
    try {
      appended = await client.append(folder.path, raw, ['\\Draft', '\\Seen']);
    } catch (e) {
      if (!client.usable) throw e;
      // Refused (over quota, too big…): the local draft is kept; tried again at a later round.
      this.refusedUntil.set(d.id, Date.now() + REFUSED_RETRY_MS);
      return false;
    }
    this.refusedUntil.delete(d.id);
    const found = ((await client.search({ header: { 'message-id': messageId } }, { uid: true })) || []) as number[];
    const uid = (appended && appended.uid) || (found.length ? Math.max(...found) : null);
    const uidvalidity = Number((appended && appended.uidValidity) ?? mb.uidValidity);
    const old = new Set(found.filter((u) => u !== uid));
    if (d.server_uid && d.server_folder_id === folder.id && d.server_uidvalidity === uidvalidity && d.server_uid !== uid) old.add(d.server_uid);
    if (old.size) {
      await client.messageDelete(toRange([...old]), { uid: true });
      this.store.deleteUids(folder.id, [...old]);
    }
    if (!client.usable) throw Object.assign(new Error('Connection closed'), { code: 'NoConnection' });
    const now = this.db.prepare('SELECT message_id FROM mail_drafts WHERE id = ?').get(d.id) as { message_id: string | null } | undefined;
    if (!now || now.message_id !== messageId) {
      // Sent or deleted while it was uploading: this copy goes too.
      if (uid) await client.messageDelete(String(uid), { uid: true });
      return true;
    }
    // Still due when it was saved again meanwhile (the copy is of the older text).
    this.db
      .prepare(
        `UPDATE mail_drafts SET server_folder_id = ?, server_uid = ?, server_uidvalidity = ?, server_pushed_at = ?,
           server_due_at = CASE WHEN data_json = ? THEN NULL ELSE server_due_at END WHERE id = ?`,
      )
      .run(folder.id, uid, uidvalidity, Date.now(), d.data_json, d.id);
    this.schedule();
    return true;
  }
}
