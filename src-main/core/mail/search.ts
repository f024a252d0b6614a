/**
 * Full-text search over subject, addresses and text (SQLite FTS5), newest first.
 *
 * Message ids are date-ordered, so `ORDER BY rowid DESC LIMIT n` walks the FTS doclists from the
 * newest message and stops after n hits: cost grows with n, not with how many messages match.
 */
import type Database from 'better-sqlite3';
import type { MailSummary } from '../../../src-shared/ipc/mail';
import { foldForSearch } from './parse';
import { toSummary } from './store';

/**
 * User input → FTS5 query: each whitespace-separated term becomes a quoted phrase of its word
 * tokens with prefix matching (`ivan@mail.ru` → `"ivan mail ru"*`), all terms required.
 * Returns null when nothing searchable is left.
 */
export function toFtsQuery(input: string): string | null {
  const phrases: string[] = [];
  for (const term of foldForSearch(input).trim().split(/\s+/)) {
    const tokens = term.match(/[\p{L}\p{N}]+/gu);
    if (tokens?.length) phrases.push(`"${tokens.join(' ')}"*`);
  }
  return phrases.length ? phrases.join(' AND ') : null;
}

export interface SearchArgs {
  query: string;
  accountId?: number;
  folderId?: number;
  limit: number;
}

export class MailSearch {
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private stmt(key: string, sql: string): Database.Statement {
    let s = this.stmts.get(key);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(key, s);
    }
    return s;
  }

  search(a: SearchArgs): MailSummary[] {
    const q = toFtsQuery(a.query);
    if (!q) return [];
    const where: string[] = ['mail_fts MATCH ?'];
    const params: unknown[] = [q];
    if (a.accountId !== undefined) {
      where.push('m.account_id = ?');
      params.push(a.accountId);
    }
    if (a.folderId !== undefined) {
      where.push('m.folder_id = ?');
      params.push(a.folderId);
    }
    params.push(a.limit);
    const key = `${a.accountId !== undefined}:${a.folderId !== undefined}`;
    const sql = `SELECT m.id, m.account_id, m.folder_id, m.thread_id, m.subject, m.from_name, m.from_email, m.to_json,
        m.date, m.snippet, m.seen, m.flagged, m.answered, m.has_attachments, m.size
      FROM mail_fts f JOIN mail_messages m ON m.id = f.rowid
      WHERE ${where.join(' AND ')}
      ORDER BY f.rowid DESC LIMIT ?`;
    return (this.stmt(key, sql).all(...params) as Parameters<typeof toSummary>[0][]).map(toSummary);
  }
}
