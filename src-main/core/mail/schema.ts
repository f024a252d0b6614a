/**
 * The mail capability's own tables (all prefixed `mail_`), as numbered migrations.
 *
 * `MAIL_MIGRATIONS` can be handed to the app store's namespaced migration runner (namespace
 * `mail`); `migrateMail(db)` applies them by itself, recording versions in `mail_migrations`,
 * so the mail service also works on a bare better-sqlite3 database (tests, benchmark).
 *
 * Message ids are chosen by us and ordered by date (`date seconds * 2^20 + random`), so the FTS
 * rowid order is the date order: a search walks the index newest first and stops at LIMIT.
 */
import type Database from 'better-sqlite3';

export interface MailMigration {
  version: number;
  name: string;
  sql: string;
}

export const MAIL_NAMESPACE = 'mail';

export const MAIL_MIGRATIONS: readonly MailMigration[] = [
  {
    version: 1,
    name: 'accounts, folders, messages, threads, fts, outbox, drafts',
    sql: `
CREATE TABLE mail_accounts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL,
  login TEXT NOT NULL,
  preset TEXT NOT NULL,
  imap_host TEXT NOT NULL,
  imap_port INTEGER NOT NULL,
  imap_security TEXT NOT NULL,
  smtp_host TEXT NOT NULL,
  smtp_port INTEGER NOT NULL,
  smtp_security TEXT NOT NULL,
  auth TEXT NOT NULL DEFAULT 'password',
  password_enc TEXT,
  oauth_json TEXT,
  oauth_secret_enc TEXT,
  oauth_refresh_enc TEXT,
  last_check_json TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE mail_folders (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  name TEXT NOT NULL,
  delimiter TEXT,
  special_use TEXT,
  depth INTEGER NOT NULL DEFAULT 0,
  sync_enabled INTEGER NOT NULL DEFAULT 0,
  uidvalidity INTEGER,
  uidnext INTEGER,
  highest_modseq TEXT,
  last_sync_at TEXT,
  UNIQUE (account_id, path)
);

CREATE TABLE mail_messages (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  folder_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  message_id TEXT,
  in_reply_to TEXT,
  refs TEXT NOT NULL DEFAULT '',
  thread_id INTEGER,
  subject TEXT NOT NULL DEFAULT '',
  from_name TEXT NOT NULL DEFAULT '',
  from_email TEXT NOT NULL DEFAULT '',
  to_json TEXT NOT NULL DEFAULT '[]',
  cc_json TEXT NOT NULL DEFAULT '[]',
  bcc_json TEXT NOT NULL DEFAULT '[]',
  reply_to_json TEXT NOT NULL DEFAULT '[]',
  date INTEGER NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  seen INTEGER NOT NULL DEFAULT 0,
  flagged INTEGER NOT NULL DEFAULT 0,
  answered INTEGER NOT NULL DEFAULT 0,
  draft INTEGER NOT NULL DEFAULT 0,
  flags TEXT NOT NULL DEFAULT '',
  snippet TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  html TEXT,
  has_attachments INTEGER NOT NULL DEFAULT 0,
  body_partial INTEGER NOT NULL DEFAULT 0,
  UNIQUE (folder_id, uid)
);
CREATE INDEX mail_messages_folder_id ON mail_messages (folder_id, id);
CREATE INDEX mail_messages_unseen ON mail_messages (folder_id, seen);
CREATE INDEX mail_messages_msgid ON mail_messages (account_id, message_id);
CREATE INDEX mail_messages_thread ON mail_messages (thread_id, id);

CREATE TABLE mail_addresses (
  email TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  role TEXT NOT NULL,
  PRIMARY KEY (email, message_id, role)
) WITHOUT ROWID;
CREATE INDEX mail_addresses_message ON mail_addresses (message_id);

CREATE TABLE mail_attachments (
  message_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_id TEXT,
  inline INTEGER NOT NULL DEFAULT 0,
  part TEXT,
  content BLOB,
  PRIMARY KEY (message_id, idx)
);

CREATE TABLE mail_threads (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  subject TEXT NOT NULL DEFAULT ''
);
CREATE TABLE mail_thread_refs (
  account_id INTEGER NOT NULL,
  ref TEXT NOT NULL,
  thread_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, ref)
) WITHOUT ROWID;
CREATE INDEX mail_thread_refs_thread ON mail_thread_refs (thread_id);

CREATE VIRTUAL TABLE mail_fts USING fts5(
  subject, addresses, body,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

CREATE TABLE mail_ops (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  folder_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  op TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
);
CREATE INDEX mail_ops_folder_uid ON mail_ops (folder_id, uid);

CREATE TABLE mail_outbox (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  message_id_header TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  to_json TEXT NOT NULL DEFAULT '[]',
  envelope_json TEXT NOT NULL,
  raw BLOB NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at INTEGER,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  sent_copy_done INTEGER NOT NULL DEFAULT 0,
  source_message_id INTEGER,
  mode TEXT NOT NULL DEFAULT 'new'
);

CREATE TABLE mail_drafts (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  data_json TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE mail_image_allow (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (kind, value)
) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'fts term dictionary (fast prefix search)',
    sql: `
CREATE TABLE mail_fts_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE mail_fts_vocab_tmp USING fts5vocab(mail_fts, 'row');
INSERT OR IGNORE INTO mail_fts_terms (term) SELECT term FROM mail_fts_vocab_tmp;
DROP TABLE mail_fts_vocab_tmp;
`,
  },
  {
    version: 3,
    name: 'outbox: whether the sending attempt has handed the whole message to the server',
    sql: `ALTER TABLE mail_outbox ADD COLUMN handed_over INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 4,
    name: "folders: the server's mailbox id (RFC 8474 OBJECTID), which survives a rename",
    sql: `ALTER TABLE mail_folders ADD COLUMN mailbox_id TEXT;`,
  },
  {
    version: 5,
    name: 'accounts: the signature added to new mail, replies and forwards',
    sql: `ALTER TABLE mail_accounts ADD COLUMN signature TEXT NOT NULL DEFAULT '';`,
  },
  {
    version: 6,
    name: "outbox: scheduled sending (undo window, «Отправить позже») and the draft it can go back to",
    sql: `
ALTER TABLE mail_outbox ADD COLUMN user_scheduled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_outbox ADD COLUMN draft_json TEXT;
`,
  },
  {
    version: 7,
    name: '«Правила сортировки»: per-account rules applied to new INBOX mail',
    sql: `
CREATE TABLE mail_rules (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  match TEXT NOT NULL DEFAULT 'all',
  conditions_json TEXT NOT NULL,
  actions_json TEXT NOT NULL,
  stop INTEGER NOT NULL DEFAULT 0,
  target_path TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX mail_rules_account ON mail_rules (account_id, position);
`,
  },
  {
    version: 8,
    name: '«Шаблоны писем»: saved texts with subject and files, shared by all accounts',
    // name_key: the name folded in JS (SQLite's lower() knows only ASCII), so «Запрос» and «запрос» are one name.
    sql: `
CREATE TABLE mail_templates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE mail_template_files (
  template_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  content BLOB NOT NULL,
  PRIMARY KEY (template_id, idx)
);
`,
  },
  {
    version: 9,
    name: 'quick filters: partial indexes for «Помеченные» and «С вложениями» lists',
    // «Непрочитанные» walks mail_messages_unseen (folder_id, seen, rowid). has_attachments has
    // been filled on insert since version 1 (non-inline files), so old rows need no backfill.
    // Partial indexes stay small (only flagged / with files) and give the list order (rowid) for free.
    sql: `
CREATE INDEX mail_messages_flagged ON mail_messages (folder_id) WHERE flagged = 1;
CREATE INDEX mail_messages_attached ON mail_messages (folder_id) WHERE has_attachments = 1;
`,
  },
  {
    version: 10,
    name: 'search by conditions alone: partial indexes over all folders',
    // `непрочитанные` or `есть:вложения` typed alone searches the account's folders newest first;
    // without these it walked the whole account (and sorted it) when few messages match (10–50 ms
    // over 100 000, 0.1 ms with). Keyed by account: the search always names one.
    sql: `
CREATE INDEX mail_messages_unseen_all ON mail_messages (account_id, id) WHERE seen = 0;
CREATE INDEX mail_messages_attached_all ON mail_messages (account_id, id) WHERE has_attachments = 1;
`,
  },
  {
    version: 11,
    name: 'every folder kept in step: server counts (STATUS) and how much is still to fetch',
    // Folders used to be synced only once opened; now all are, except virtual ones that only
    // repeat other folders' mail (\All: Gmail's «Вся почта», \Flagged), which keep counts until
    // opened. fetch_left: messages still to download (NULL: never synced); a folder whose last
    // sync finished counts as done. server_total / server_unread: the last STATUS, shown while
    // the folder's mail is not all here.
    sql: `
ALTER TABLE mail_folders ADD COLUMN server_total INTEGER;
ALTER TABLE mail_folders ADD COLUMN server_unread INTEGER;
ALTER TABLE mail_folders ADD COLUMN fetch_left INTEGER;
UPDATE mail_folders SET fetch_left = 0 WHERE last_sync_at IS NOT NULL;
UPDATE mail_folders SET sync_enabled = 1 WHERE coalesce(special_use, '') NOT IN ('\\All', '\\Flagged');
`,
  },
  {
    version: 12,
    name: "drafts: a copy in the mailbox's \\Drafts folder, kept in step by the sync",
    // message_id: the draft's own Message-ID, the same for every copy of it, so a copy is found by
    // it (no UIDPLUS, a copy made before a crash) and the reader links a copy back to its draft.
    // server_folder_id / server_uid / server_uidvalidity: the last copy known on the server.
    // server_due_at: newer than that copy, to be appended from this time on (epoch ms; NULL: in
    // step, or local only); server_pushed_at: the last append (autosave is rate-limited by it).
    sql: `
ALTER TABLE mail_drafts ADD COLUMN message_id TEXT;
ALTER TABLE mail_drafts ADD COLUMN server_folder_id INTEGER;
ALTER TABLE mail_drafts ADD COLUMN server_uid INTEGER;
ALTER TABLE mail_drafts ADD COLUMN server_uidvalidity INTEGER;
ALTER TABLE mail_drafts ADD COLUMN server_due_at INTEGER;
ALTER TABLE mail_drafts ADD COLUMN server_pushed_at INTEGER;
CREATE INDEX mail_drafts_message_id ON mail_drafts (account_id, message_id);
-- Drafts kept before this version get their copy on the first sync.
UPDATE mail_drafts SET server_due_at = 0;
`,
  },
];

/** Applies the mail migrations not applied yet; safe to call on every start. */
export function migrateMail(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS mail_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM mail_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  for (const m of MAIL_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO mail_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
  }
}
