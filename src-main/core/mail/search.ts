/**
 * Full-text search over subject, addresses and text (SQLite FTS5), newest first.
 *
 * Message ids are date-ordered, so `ORDER BY rowid DESC LIMIT n` walks the FTS doclists from the
 * newest message and stops after n hits: cost grows with n, not with how many messages match.
 */
import type Database from 'better-sqlite3';
import type { MailSummary } from '../../../src-shared/ipc/mail';
import { searchTokens } from './parse';
import { toSummary } from './store';

/** Prefix expansions beyond this fall back to FTS5's own prefix query. */
const MAX_EXPANSIONS = 64;

/**
 * User input → FTS5 query: each whitespace-separated term becomes a phrase of its word tokens
 * (`ivan@mail.ru` → `"ivan mail ru"`), all terms required, the last token of each matched as a
 * prefix (Russian endings, search as you type). With `expand`, a prefix longer than the prefix
 * indexes (2, 3 chars) is rewritten as an OR of the dictionary words it starts: FTS5 merges
 * those lazily newest first, while its own `prefix*` query would merge every posting up front.
 * Returns null when nothing searchable is left.
 */
export function toFtsQuery(input: string, expand?: (prefix: string, max: number) => string[]): string | null {
  const groups: string[] = [];
  for (const term of input.trim().split(/\s+/)) {
    const tokens = searchTokens(term);
    if (!tokens.length) continue;
    const last = tokens[tokens.length - 1];
    const head = tokens.slice(0, -1);
    if (last.length === 1) {
      // One letter matches half the dictionary: take it as a word of its own.
      groups.push(`"${tokens.join(' ')}"`);
      continue;
    }
    if (expand && last.length > 3) {
      const words = expand(last, MAX_EXPANSIONS + 1);
      if (words.length > 0 && words.length <= MAX_EXPANSIONS) {
        const alts = words.map((w) => `"${[...head, w].join(' ')}"`);
        groups.push(alts.length === 1 ? alts[0] : `(${alts.join(' OR ')})`);
        continue;
      }
      if (words.length === 0) {
        // No word starts like this: nothing can match; keep the query valid and cheap.
        groups.push(`"${tokens.join(' ')}"`);
        continue;
      }
    }
    groups.push(`"${tokens.join(' ')}"*`);
  }
  return groups.length ? groups.join(' AND ') : null;
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

  /** Dictionary words starting with `prefix` (at most `max`). */
  expand(prefix: string, max: number): string[] {
    const st = this.stmt('terms', 'SELECT term FROM mail_fts_terms WHERE term >= ? AND term < ? ORDER BY term LIMIT ?');
    return (st.all(prefix, `${prefix}\u{10FFFF}`, max) as { term: string }[]).map((r) => r.term);
  }

  search(a: SearchArgs): MailSummary[] {
    const q = toFtsQuery(a.query, (p, max) => this.expand(p, max));
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
