/**
 * Full-text search over subject, addresses and text (SQLite FTS5), newest first, with operators
 * (`от:`, `кому:`, `тема:`, `есть:вложения`, `непрочитанные` and their English forms).
 *
 * Message ids are date-ordered, so `ORDER BY rowid DESC LIMIT n` walks the FTS doclists from the
 * newest message and stops after n hits: cost grows with n, not with how many messages match.
 */
import type Database from 'better-sqlite3';
import type { MailAddress, MailListFilter, MailSummary } from '../../../src-shared/ipc/mail';
import { searchTokens } from './parse';
import { FILTER_SQL, toSummary } from './store';

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
  const groups = input
    .trim()
    .split(/\s+/)
    .map((term) => termGroup(term, expand))
    .filter((g): g is string => g !== null);
  return groups.length ? groups.join(' AND ') : null;
}

/** One search term as an FTS5 phrase (or OR of phrases), or null when it has no word in it. */
function termGroup(term: string, expand?: (prefix: string, max: number) => string[]): string | null {
  const tokens = searchTokens(term);
  if (!tokens.length) return null;
  const last = tokens[tokens.length - 1];
  const head = tokens.slice(0, -1);
  // One letter matches half the dictionary: take it as a word of its own.
  if (last.length === 1) return `"${tokens.join(' ')}"`;
  if (expand && last.length > 3) {
    const words = expand(last, MAX_EXPANSIONS + 1);
    if (words.length > 0 && words.length <= MAX_EXPANSIONS) {
      const alts = words.map((w) => `"${[...head, w].join(' ')}"`);
      return alts.length === 1 ? alts[0] : `(${alts.join(' OR ')})`;
    }
    // No word starts like this: nothing can match; keep the query valid and cheap.
    if (words.length === 0) return `"${tokens.join(' ')}"`;
  }
  return `"${tokens.join(' ')}"*`;
}

/** What the search box asked for: free text, per-field terms and conditions. */
export interface MailQuery {
  text: string[];
  from: string[];
  to: string[];
  subject: string[];
  attachments: boolean;
  unread: boolean;
}

const FIELD_OPS: Record<string, 'from' | 'to' | 'subject'> = {
  от: 'from',
  from: 'from',
  кому: 'to',
  to: 'to',
  тема: 'subject',
  subject: 'subject',
};
const CONDITION_WORDS: Record<string, 'attachments' | 'unread'> = {
  'есть:вложения': 'attachments',
  'есть:вложение': 'attachments',
  'has:attachment': 'attachments',
  'has:attachments': 'attachments',
  непрочитанные: 'unread',
  'is:unread': 'unread',
};

/**
 * Splits the search box into operators and free text. `op:"a phrase"` keeps its spaces; an
 * operator we do not know (`foo:bar`) or one without a value (`от:`) stays text.
 */
export function parseMailQuery(input: string): MailQuery {
  const q: MailQuery = { text: [], from: [], to: [], subject: [], attachments: false, unread: false };
  for (const m of input.matchAll(/([^\s:"]+):"([^"]*)"?|\S+/gu)) {
    const word = m[0];
    const cond = CONDITION_WORDS[word.toLowerCase()];
    if (cond) {
      q[cond] = true;
      continue;
    }
    const [, op, value] = m[1] !== undefined ? [m[0], m[1], m[2]] : (/^([^:]+):(.+)$/u.exec(word) ?? []);
    const field = op !== undefined ? FIELD_OPS[op.toLowerCase()] : undefined;
    if (field && value?.trim()) q[field].push(value.trim());
    else q.text.push(word);
  }
  return q;
}

/**
 * Whether the address fields (plain text, or our JSON lists of addresses) hold the term's words
 * in a row, the last as a prefix: `от:` must match the sender, not any address FTS has seen.
 */
export function addressesMatch(term: string, ...fields: (string | null)[]): boolean {
  const want = searchTokens(term);
  if (!want.length) return true;
  const parts: string[] = [];
  for (const f of fields) {
    if (!f) continue;
    if (f.startsWith('[')) {
      try {
        for (const a of JSON.parse(f) as MailAddress[]) parts.push(`${a.name ?? ''} ${a.email ?? ''}`);
        continue;
      } catch {
        // A sender's name that merely starts with «[»: text.
      }
    }
    parts.push(f);
  }
  const have = searchTokens(parts.join(' '));
  const n = want.length;
  for (let i = 0; i + n <= have.length; i++) {
    let ok = true;
    for (let j = 0; j < n && ok; j++) ok = j === n - 1 ? have[i + j].startsWith(want[j]) : have[i + j] === want[j];
    if (ok) return true;
  }
  return false;
}

export interface SearchArgs {
  query: string;
  accountId?: number;
  folderId?: number;
  limit: number;
  /** The list's quick filter, applied to the results too. */
  filter?: MailListFilter;
  /** Results shown past `filter` (opened or changed in this view, see MailListKeepSchema); not past the query's operators. */
  keep?: readonly number[];
}

/** Distinct statement shapes kept (operators make the SQL vary); beyond, the cache starts over. */
const MAX_STATEMENTS = 64;

export class MailSearch {
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    // `от:` / `кому:` check the sender / recipients themselves (FTS only knows «some address»).
    db.function('mail_addresses_match', { deterministic: true, varargs: true }, (term: unknown, ...fields: unknown[]) =>
      addressesMatch(String(term), ...fields.map((f) => (typeof f === 'string' ? f : null))) ? 1 : 0,
    );
  }

  private stmt(key: string, sql: string): Database.Statement {
    let s = this.stmts.get(key);
    if (!s) {
      if (this.stmts.size >= MAX_STATEMENTS) this.stmts.clear();
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
    const mq = parseMailQuery(a.query);
    const expand = (p: string, max: number) => this.expand(p, max);
    const groups: string[] = [];
    const where: string[] = [];
    const params: unknown[] = [];
    for (const t of mq.text) {
      const g = termGroup(t, expand);
      if (g) groups.push(g);
    }
    for (const t of mq.subject) {
      const g = termGroup(t, expand);
      if (g) groups.push(`subject : ${g}`);
    }
    // The FTS addresses column narrows to mails naming the person anywhere; the check after it
    // keeps those where they are the sender (or a recipient).
    for (const [terms, cols] of [
      [mq.from, 'm.from_name, m.from_email'],
      [mq.to, 'm.to_json, m.cc_json, m.bcc_json'],
    ] as const) {
      for (const t of terms) {
        const g = termGroup(t, expand);
        if (!g) continue;
        groups.push(`addresses : ${g}`);
        where.push(`mail_addresses_match(?, ${cols})`);
        params.push(t);
      }
    }
    const conditions = new Set<MailListFilter>();
    if (mq.unread) conditions.add('unread');
    if (mq.attachments) conditions.add('attachments');
    // Nothing asked for but the list's filter: no search (the list shows that).
    if (!groups.length && !conditions.size) return [];
    for (const c of conditions) where.push(FILTER_SQL[c]);
    if (a.filter && !conditions.has(a.filter)) {
      if (a.keep?.length) {
        where.push(`(${FILTER_SQL[a.filter]} OR m.id IN (SELECT value FROM json_each(?)))`);
        params.push(JSON.stringify(a.keep));
      } else {
        where.push(FILTER_SQL[a.filter]);
      }
    }
    if (a.accountId !== undefined) {
      where.push('m.account_id = ?');
      params.push(a.accountId);
    }
    if (a.folderId !== undefined) {
      where.push('m.folder_id = ?');
      params.push(a.folderId);
    }
    const cols = `m.id, m.account_id, m.folder_id, m.thread_id, m.subject, m.from_name, m.from_email, m.to_json,
        m.date, m.snippet, m.seen, m.flagged, m.answered, m.has_attachments, m.size`;
    let sql: string;
    if (groups.length) {
      params.unshift(groups.join(' AND '));
      sql = `SELECT ${cols} FROM mail_fts f JOIN mail_messages m ON m.id = f.rowid
      WHERE ${['mail_fts MATCH ?', ...where].join(' AND ')}
      ORDER BY f.rowid DESC LIMIT ?`;
    } else {
      // Only conditions (`непрочитанные`, `есть:вложения`): newest first straight from the table.
      sql = `SELECT ${cols} FROM mail_messages m WHERE ${where.join(' AND ')} ORDER BY m.id DESC LIMIT ?`;
    }
    params.push(a.limit);
    return (this.stmt(sql, sql).all(...params) as Parameters<typeof toSummary>[0][]).map(toSummary);
  }
}
