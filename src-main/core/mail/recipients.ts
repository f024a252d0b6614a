/**
 * Recipient suggestions for the compose form («Кому», «Копия», «Скрытая копия»), from the local
 * mail: people the user wrote to first, then people who wrote to the user, then addresses only
 * seen alongside (copies); within each group the more frequent, then the more recent, first.
 * The query matches case-insensitively as a prefix of the address, of its domain, or of any
 * word of the display name (Cyrillic included, ё = е). The user's own addresses (of every
 * account) never show.
 *
 * Asked for one account (the compose form's «От кого»), the ranking is that account's: counts
 * from its own folders and outbox only, and every address known to it comes before any address
 * known only from the other accounts. Those still come, last: a name typed that only the other
 * mailbox knows should not look forgotten, yet never pushes a work contact out of a work mail.
 *
 * Bcc recipients are written to as much as anyone, but the Sent copy has no Bcc header; mail
 * sent from this app keeps its whole envelope in the outbox, so its recipients missing from the
 * copy (or all of them, before the copy arrives) count from there.
 *
 * Scanning 100 000 messages' JSON on every keystroke is out of the question, so a small
 * in-memory index of distinct addresses (one entry per lowercased email: a few thousand for a
 * big mailbox) is built on the first query and reused: per-address counts come from walking
 * `mail_addresses` (its primary key starts with the email), sent mail from the Sent folders'
 * and the user's own messages through indexes, and each address's name from its few newest
 * messages only. The service marks the index stale on `mail:changed` / `mail:new` /
 * `mail:outbox` / `mail:accounts`; a stale index is rebuilt on the next query only if a cheap
 * fingerprint of the data moved (reading mail changes flags, not recipients), and names are
 * reused for addresses with no newer message.
 */
import { foldRu } from '../../../src-shared/fold';
import type Database from 'better-sqlite3';
import addressparser from 'nodemailer/lib/addressparser';
import type { MailAddress } from '../../../src-shared/ipc/mail';
import { normalizeEmail } from './parse';

/** Message ids are `date seconds * 2^20 + random` (store.messageKey): the id is the recency. */
const ID_PER_SECOND = 1_048_576;
/** How many of an address's newest messages are looked at for its display name. */
const NAME_LOOKBACK = 8;
/** Parsed address lists kept while resolving names (a mass mailing names many addresses). */
const PARSED_CACHE_MAX = 5_000;

interface Stats {
  /** Messages the user sent to the address (Sent folders, own messages, the outbox). */
  sent: number;
  /** Messages from the address (Junk excluded). */
  received: number;
  /** Appearances in any role (Junk excluded). */
  seen: number;
  /** Newest message with the address (message id scale). */
  last: number;
}

/** Counts over all accounts, plus each account's own (only accounts whose mail has the address). */
interface Entry extends Stats {
  email: string;
  domain: string;
  name: string;
  /** Folded words of the name, for prefix matching. */
  words: string[];
  accounts: Map<number, Stats>;
}

interface RecipientIndex {
  /** Sorted best first; null until built. */
  entries: Entry[] | null;
  /** The entries ranked for one account (made on its first query, dropped on a rebuild). */
  byAccount: Map<number, Entry[]>;
  stale: boolean;
  fingerprint: string;
  /** Names resolved from messages, reused while the address has no newer message. */
  names: Map<string, { last: number; name: string; at: number }>;
}

const indexes = new WeakMap<Database.Database, RecipientIndex>();

function indexOf(db: Database.Database): RecipientIndex {
  let ix = indexes.get(db);
  if (!ix) {
    ix = { entries: null, byAccount: new Map(), stale: true, fingerprint: '', names: new Map() };
    indexes.set(db, ix);
  }
  return ix;
}

function nameWords(name: string): string[] {
  return foldRu(name).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** What the index was built from; flag changes leave it as it is. */
function fingerprint(db: Database.Database): string {
  const r = db
    .prepare(
      `SELECT (SELECT COUNT(*) || ':' || TOTAL(id & 1048575) FROM mail_messages) AS m,
         (SELECT COUNT(*) || ':' || IFNULL(MAX(id), 0) FROM mail_outbox WHERE status = 'sent') AS o,
         (SELECT IFNULL(group_concat(email), '') FROM mail_accounts) AS a,
         (SELECT IFNULL(group_concat(id || special_use), '') FROM mail_folders WHERE special_use IN ('\\Sent', '\\Junk', '\\Drafts')) AS f`,
    )
    .get() as { m: string; o: string; a: string; f: string };
  return `${r.m}|${r.o}|${r.a}|${r.f}`;
}

function folderIds(db: Database.Database, specialUse: string): string {
  return JSON.stringify(db.prepare('SELECT id FROM mail_folders WHERE special_use = ?').pluck().all(specialUse));
}

function build(db: Database.Database, ix: RecipientIndex): Entry[] {
  const own = new Set((db.prepare('SELECT email FROM mail_accounts').pluck().all() as string[]).map(normalizeEmail));
  const sentFolders = folderIds(db, '\\Sent');
  const junkFolders = folderIds(db, '\\Junk');
  // Junk holds forged "from me" spam and Drafts unsent mail: neither is mail the user sent.
  const notSent = JSON.stringify([...JSON.parse(junkFolders), ...JSON.parse(folderIds(db, '\\Drafts'))]);
  const byEmail = new Map<string, Entry>();
  const entry = (email: string): Entry => {
    let e = byEmail.get(email);
    if (!e) {
      e = { email, domain: email.slice(email.lastIndexOf('@') + 1), name: '', words: [], sent: 0, received: 0, seen: 0, last: 0, accounts: new Map() };
      byEmail.set(email, e);
    }
    return e;
  };
  const statsOf = (e: Entry, accountId: number): Stats => {
    let s = e.accounts.get(accountId);
    if (!s) {
      s = { sent: 0, received: 0, seen: 0, last: 0 };
      e.accounts.set(accountId, s);
    }
    return s;
  };

  // Per account through the (account_id, …) index: one join over every address row costs
  // several times more. With a single account, all mail is its own: no join at all.
  const accountIds = db.prepare('SELECT id FROM mail_accounts ORDER BY id').pluck().all() as number[];
  type CountRow = { email: string; received: number; seen: number; last: number };
  const counts = (accountId: number, rows: CountRow[]) => {
    for (const r of rows) {
      if (!r.email.includes('@') || own.has(r.email)) continue;
      Object.assign(statsOf(entry(r.email), accountId), { received: r.received, seen: r.seen, last: r.last });
    }
  };
  if (accountIds.length === 1) {
    counts(
      accountIds[0],
      db.prepare(`SELECT email, SUM(role = 'from') AS received, COUNT(*) AS seen, MAX(message_id) AS last FROM mail_addresses GROUP BY email`).all() as CountRow[],
    );
  } else {
    const ofAccount = db.prepare(
      `SELECT a.email, SUM(a.role = 'from') AS received, COUNT(*) AS seen, MAX(a.message_id) AS last
       FROM mail_messages m JOIN mail_addresses a ON a.message_id = m.id WHERE m.account_id = ? GROUP BY a.email`,
    );
    for (const id of accountIds) counts(id, ofAccount.all(id) as CountRow[]);
  }
  const junk = db
    .prepare(
      `SELECT a.email, m.account_id, SUM(a.role = 'from') AS received, COUNT(*) AS seen FROM mail_messages m JOIN mail_addresses a ON a.message_id = m.id
       WHERE m.folder_id IN (SELECT value FROM json_each(?)) GROUP BY a.email, m.account_id`,
    )
    .all(junkFolders) as { email: string; account_id: number; received: number; seen: number }[];
  for (const r of junk) {
    const s = byEmail.get(r.email)?.accounts.get(r.account_id);
    if (!s) continue;
    s.received -= r.received;
    s.seen -= r.seen;
  }
  const sent = db
    .prepare(
      `SELECT a.email, m.account_id, COUNT(DISTINCT a.message_id) AS n FROM (
         SELECT id FROM mail_messages WHERE folder_id IN (SELECT value FROM json_each(?))
         UNION SELECT message_id FROM mail_addresses WHERE email IN (SELECT value FROM json_each(?)) AND role = 'from'
         EXCEPT SELECT id FROM mail_messages WHERE folder_id IN (SELECT value FROM json_each(?))
       ) s JOIN mail_messages m ON m.id = s.id JOIN mail_addresses a ON a.message_id = s.id
       WHERE a.role IN ('to', 'cc', 'bcc') GROUP BY a.email, m.account_id`,
    )
    .all(sentFolders, JSON.stringify([...own]), notSent) as { email: string; account_id: number; n: number }[];
  for (const r of sent) {
    const s = byEmail.get(r.email)?.accounts.get(r.account_id);
    if (s) s.sent = r.n;
  }
  // An address only in an account's Junk is not in that account's mail.
  for (const e of byEmail.values()) {
    for (const [id, s] of e.accounts) if (s.sent <= 0 && s.received <= 0 && s.seen <= 0) e.accounts.delete(id);
  }
  const total = (e: Entry) => {
    Object.assign(e, { sent: 0, received: 0, seen: 0, last: 0 });
    for (const s of e.accounts.values()) {
      e.sent += s.sent;
      e.received += s.received;
      e.seen += s.seen;
      e.last = Math.max(e.last, s.last);
    }
  };
  for (const e of byEmail.values()) total(e);

  // Names: the newest non-empty one among the address's newest messages (Junk skipped). One
  // batched query reads every address's newest message, which names nearly all of them; the
  // rest look further back one by one (a statement per address costs more than the row).
  const junkSet = new Set(JSON.parse(junkFolders) as number[]);
  const cols = `a.email, a.role, m.id, m.folder_id, m.from_name,
    CASE a.role WHEN 'to' THEN m.to_json WHEN 'cc' THEN m.cc_json WHEN 'bcc' THEN m.bcc_json WHEN 'reply-to' THEN m.reply_to_json END AS list`;
  type NameRow = { email: string; role: string; id: number; folder_id: number; from_name: string; list: string | null };
  const parsed = new Map<string, MailAddress[]>();
  const nameIn = (r: NameRow): string => {
    if (junkSet.has(r.folder_id)) return '';
    let name = '';
    if (r.role === 'from') name = r.from_name;
    else if (r.list) {
      const key = `${r.id}:${r.role}`;
      let list = parsed.get(key);
      if (!list) {
        if (parsed.size >= PARSED_CACHE_MAX) parsed.clear();
        list = JSON.parse(r.list) as MailAddress[];
        parsed.set(key, list);
      }
      name = list.find((a) => a.name && normalizeEmail(a.email) === r.email)?.name ?? '';
    }
    name = name.trim();
    return name && foldRu(name) !== r.email ? name : '';
  };
  const names = new Map<string, { last: number; name: string; at: number }>();
  const todo: Entry[] = [];
  for (const e of byEmail.values()) {
    if (e.sent <= 0 && e.received <= 0 && e.seen <= 0) continue;
    const cached = ix.names.get(e.email);
    if (cached && cached.last === e.last) names.set(e.email, cached);
    else todo.push(e);
  }
  const newestRows = db
    .prepare(
      `SELECT ${cols} FROM json_each(?) j
       JOIN mail_addresses a ON a.email = j.value ->> 0 AND a.message_id = j.value ->> 1
       JOIN mail_messages m ON m.id = a.message_id`,
    )
    .all(JSON.stringify(todo.map((e) => [e.email, e.last]))) as NameRow[];
  for (const r of newestRows) {
    const name = nameIn(r);
    if (name && !names.get(r.email)?.name) names.set(r.email, { last: byEmail.get(r.email)?.last ?? 0, name, at: r.id });
  }
  const lookBack = db.prepare(
    `SELECT ${cols} FROM mail_addresses a JOIN mail_messages m ON m.id = a.message_id
     WHERE a.email = ? ORDER BY a.message_id DESC LIMIT ${NAME_LOOKBACK}`,
  );
  for (const e of todo) {
    if (names.get(e.email)?.name) continue;
    let found = { last: e.last, name: '', at: 0 };
    for (const r of lookBack.iterate(e.email) as IterableIterator<NameRow>) {
      const name = nameIn(r);
      if (name) {
        found = { last: e.last, name, at: r.id };
        break;
      }
    }
    names.set(e.email, found);
  }
  ix.names = names;

  // Mail sent from this app, from the outbox: recipients its copy in the store does not name —
  // all of them while the copy is not there (just sent, or Sent not synced), else the Bcc ones
  // (the copy has no Bcc header; only the envelope knows them). `to_json` holds To and Cc with
  // their names, the envelope every recipient (bare addresses).
  const outbox = db
    .prepare(
      `SELECT o.account_id, o.to_json, o.envelope_json, o.created_at,
         (SELECT json_group_array(a.email) FROM mail_messages m JOIN mail_addresses a ON a.message_id = m.id
          WHERE m.account_id = o.account_id AND m.message_id = o.message_id_header AND a.role IN ('to', 'cc', 'bcc')) AS copy
       FROM mail_outbox o WHERE o.status = 'sent'`,
    )
    .all() as { account_id: number; to_json: string; envelope_json: string; created_at: string; copy: string }[];
  for (const o of outbox) {
    const at = Math.floor((Date.parse(o.created_at) || 0) / 1000) * ID_PER_SECOND;
    const counted = new Set<string>(JSON.parse(o.copy) as string[]);
    let envelope: string[] = [];
    try {
      envelope = (JSON.parse(o.envelope_json) as { to?: string[] }).to ?? [];
    } catch {
      /* an unreadable envelope: To and Cc still count */
    }
    const listed = (JSON.parse(o.to_json) as string[]).flatMap((item) => addressparser(item.replace(/;/g, ','), { flatten: true }));
    for (const a of [...listed, ...envelope.map((address) => ({ name: '', address }))]) {
      const email = normalizeEmail(a.address);
      if (!email.includes('@') || own.has(email) || counted.has(email)) continue;
      counted.add(email);
      const e = entry(email);
      const s = statsOf(e, o.account_id);
      s.sent++;
      s.last = Math.max(s.last, at);
      total(e);
      const name = (a.name ?? '').trim();
      const prev = names.get(email);
      if (name && (!prev || !prev.name || prev.at <= at)) names.set(email, { last: prev?.last ?? 0, name, at });
    }
  }

  const out: Entry[] = [];
  for (const e of byEmail.values()) {
    if (e.sent <= 0 && e.received <= 0 && e.seen <= 0) continue;
    const n = names.get(e.email);
    if (n?.name) {
      e.name = n.name;
      e.words = nameWords(n.name);
    }
    out.push(e);
  }
  return out.sort((a, b) => rank(a, b) || (a.email < b.email ? -1 : 1));
}

const tier = (s: Stats) => (s.sent > 0 ? 2 : s.received > 0 ? 1 : 0);
const freq = (s: Stats) => (s.sent > 0 ? s.sent : s.received > 0 ? s.received : s.seen);
/** Written to, then wrote, then only seen; within each the more frequent, then the newer. */
const rank = (a: Stats, b: Stats) => tier(b) - tier(a) || freq(b) - freq(a) || b.last - a.last;

/** The account's addresses by its own counts, then the rest in the overall order. */
function rankedFor(ix: RecipientIndex, all: Entry[], accountId: number): Entry[] {
  let out = ix.byAccount.get(accountId);
  if (!out) {
    const mine = all.filter((e) => e.accounts.has(accountId));
    // No mail of its own (a new or unknown account): the overall order, not cached.
    if (!mine.length) return all;
    // A stable sort over the overall order: ties keep it.
    mine.sort((a, b) => rank(a.accounts.get(accountId)!, b.accounts.get(accountId)!));
    out = [...mine, ...all.filter((e) => !e.accounts.has(accountId))];
    ix.byAccount.set(accountId, out);
  }
  return out;
}

/** Marks the index stale: call when messages, the outbox or the accounts changed. */
export function invalidateRecipients(db: Database.Database): void {
  const ix = indexes.get(db);
  if (ix) ix.stale = true;
}

function current(db: Database.Database): Entry[] {
  const ix = indexOf(db);
  if (ix.entries && !ix.stale) return ix.entries;
  const fp = fingerprint(db);
  if (!ix.entries || fp !== ix.fingerprint) {
    ix.entries = build(db, ix);
    ix.byAccount.clear();
    ix.fingerprint = fp;
  }
  ix.stale = false;
  return ix.entries;
}

/**
 * Up to `limit` addresses matching what the user typed, best first; with `accountId`, that
 * account's correspondents first. An empty query answers nothing but readies the index (the
 * compose form asks on focus, before the first keystroke).
 */
export function suggestRecipients(db: Database.Database, query: string, limit = 8, accountId?: number): MailAddress[] {
  const all = current(db);
  const entries = accountId === undefined ? all : rankedFor(indexOf(db), all, accountId);
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const domainQ = q.startsWith('@') ? q.slice(1) : q;
  // With an '@' the user is typing an address, not a name.
  const words = q.includes('@') ? [] : nameWords(q);
  const out: MailAddress[] = [];
  for (const e of entries) {
    const hit =
      e.email.startsWith(q) ||
      (domainQ !== '' && e.domain.startsWith(domainQ)) ||
      (words.length > 0 && words.every((w) => e.words.some((x) => x.startsWith(w))));
    if (!hit) continue;
    out.push({ name: e.name, email: e.email });
    if (out.length >= limit) break;
  }
  return out;
}
