-- The durable log of every accepted Mango callback, exactly as received.
CREATE TABLE mango_events (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL,
  idem_key     text NOT NULL UNIQUE,
  entry_id     text,
  payload      jsonb NOT NULL,
  raw_json     text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  reduced      boolean NOT NULL DEFAULT false
);
CREATE INDEX mango_events_entry ON mango_events (entry_id);
CREATE INDEX mango_events_pending ON mango_events (id) WHERE NOT reduced;

CREATE TABLE employees (
  id                  bigserial PRIMARY KEY,
  login               text NOT NULL UNIQUE,
  name                text NOT NULL,
  role                text NOT NULL,
  extension           text,
  mango_user_id       text,
  email               text,
  phones              jsonb NOT NULL DEFAULT '[]',
  active              boolean NOT NULL DEFAULT true,
  accept_calls        boolean NOT NULL DEFAULT false,
  accept_calls_manual boolean NOT NULL DEFAULT false,
  password_hash       text,
  last_call_end_at    timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employees_extension ON employees (extension);

CREATE TABLE sessions (
  token_hash  text PRIMARY KEY,
  employee_id bigint NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);

CREATE TABLE status_log (
  id          bigserial PRIMARY KEY,
  employee_id bigint NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  accept_calls boolean NOT NULL,
  changed_by  bigint REFERENCES employees(id) ON DELETE SET NULL,
  at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calls (
  id                 bigserial PRIMARY KEY,
  entry_id           text NOT NULL UNIQUE,
  direction          text NOT NULL,
  status             text NOT NULL,
  phase              text NOT NULL,
  from_number        text,
  from_extension     text,
  to_number          text,
  to_extension       text,
  line_number        text,
  client_number      text,
  employee_id        bigint REFERENCES employees(id) ON DELETE SET NULL,
  answered_extension text,
  participants       jsonb NOT NULL DEFAULT '[]',
  ringing            jsonb NOT NULL DEFAULT '[]',
  started_at         timestamptz NOT NULL,
  answered_at        timestamptz,
  ended_at           timestamptz,
  talk_seconds       integer NOT NULL DEFAULT 0,
  wait_seconds       integer NOT NULL DEFAULT 0,
  disconnect_reason  integer,
  recordings         jsonb NOT NULL DEFAULT '[]',
  reconciled         boolean NOT NULL DEFAULT false,
  group_call         boolean NOT NULL DEFAULT false,
  reminder_done      boolean NOT NULL DEFAULT false,
  view               jsonb NOT NULL,
  reduced            jsonb,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_started ON calls (started_at DESC, id DESC);
CREATE INDEX calls_client ON calls (client_number);
CREATE INDEX calls_employee ON calls (employee_id);

-- Who has been told of a call, so that everyone who saw a popup also sees it close.
CREATE TABLE call_audience (
  call_id     bigint NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  employee_id bigint NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  popup       boolean NOT NULL DEFAULT false,
  PRIMARY KEY (call_id, employee_id)
);

-- Each employee's ordered feed; the app resumes from the last id it applied.
CREATE TABLE feed (
  id          bigserial PRIMARY KEY,
  employee_id bigint NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feed_employee ON feed (employee_id, id);

CREATE TABLE contacts (
  id         bigserial PRIMARY KEY,
  name       text NOT NULL,
  company    text NOT NULL DEFAULT '',
  phones     jsonb NOT NULL DEFAULT '[]',
  emails     jsonb NOT NULL DEFAULT '[]',
  note       text NOT NULL DEFAULT '',
  merged_into bigint REFERENCES contacts(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE contact_phones (
  phone      text NOT NULL,
  contact_id bigint NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  PRIMARY KEY (phone, contact_id)
);

CREATE TABLE settings (
  key   text PRIMARY KEY,
  value jsonb NOT NULL
);

-- Which relay instances have which employees' apps connected (presence across instances).
CREATE TABLE presence (
  instance_id text NOT NULL,
  employee_id bigint NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  connections integer NOT NULL,
  seen_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, employee_id)
);
