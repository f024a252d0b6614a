/** The app core's own tables (namespace 'core'). Mail tables live with src-main/core/mail. */
import type { Migration } from './migrations';

export const CORE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'calls, contacts cache, kv',
    up: `
      CREATE TABLE calls (
        id            INTEGER PRIMARY KEY,      -- the relay's call id
        started_at    TEXT    NOT NULL,
        client_number TEXT,
        status        TEXT    NOT NULL,
        direction     TEXT    NOT NULL,
        employee_id   INTEGER,
        json          TEXT    NOT NULL,         -- the wire Call as last received
        updated_at    TEXT    NOT NULL
      );
      CREATE INDEX calls_started_at ON calls (started_at DESC, id DESC);
      CREATE INDEX calls_client_number ON calls (client_number, started_at DESC);
      CREATE INDEX calls_status ON calls (status, started_at DESC);

      CREATE TABLE contacts (
        id         INTEGER PRIMARY KEY,         -- the relay's contact id
        name       TEXT NOT NULL,
        company    TEXT NOT NULL,
        json       TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      -- One row per (contact, normalized phone) so a lookup by number is an index probe.
      CREATE TABLE contact_phones (
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        phone      TEXT    NOT NULL,
        PRIMARY KEY (phone, contact_id)
      );

      CREATE TABLE kv (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
];
