/** Drafts kept locally (with their attachments) until sent or deleted. */
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
}

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
  };
}

export class Drafts {
  constructor(private readonly db: Database.Database) {}

  list(accountId?: number): MailDraftView[] {
    const rows = (
      accountId === undefined
        ? this.db.prepare('SELECT * FROM mail_drafts ORDER BY updated_at DESC').all()
        : this.db.prepare('SELECT * FROM mail_drafts WHERE account_id = ? ORDER BY updated_at DESC').all(accountId)
    ) as Row[];
    return rows.map(view);
  }

  get(id: number): MailDraftView & { attachmentsData: { filename: string; contentType: string; dataBase64: string }[] } {
    const r = this.db.prepare('SELECT * FROM mail_drafts WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new MailError('mail-no-draft', 'Черновик не найден.');
    const d = JSON.parse(r.data_json) as DraftData;
    return { ...view(r), attachmentsData: d.attachments };
  }

  save(input: DraftInput): MailDraftView {
    const { id, ...data } = input;
    const now = new Date().toISOString();
    if (id) {
      const res = this.db
        .prepare('UPDATE mail_drafts SET account_id = ?, data_json = ?, updated_at = ? WHERE id = ?')
        .run(input.accountId, JSON.stringify(data), now, id);
      if (res.changes === 0) throw new MailError('mail-no-draft', 'Черновик не найден.');
      return view(this.db.prepare('SELECT * FROM mail_drafts WHERE id = ?').get(id) as Row);
    }
    const r = this.db
      .prepare('INSERT INTO mail_drafts (account_id, data_json, updated_at) VALUES (?, ?, ?)')
      .run(input.accountId, JSON.stringify(data), now);
    return view(this.db.prepare('SELECT * FROM mail_drafts WHERE id = ?').get(Number(r.lastInsertRowid)) as Row);
  }

  delete(id: number): void {
    this.db.prepare('DELETE FROM mail_drafts WHERE id = ?').run(id);
  }

  deleteAccount(accountId: number): void {
    this.db.prepare('DELETE FROM mail_drafts WHERE account_id = ?').run(accountId);
  }
}
