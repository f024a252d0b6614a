-- routingMode 'api': the one commands/route decision per call (entry_id), shared by every
-- relay instance so that neither a second instance nor a replayed event routes a call twice.
CREATE TABLE mango_routes (
  entry_id    text PRIMARY KEY,
  call_id     text NOT NULL,
  command_id  text,
  employee_id bigint REFERENCES employees(id) ON DELETE SET NULL,
  extension   text,
  -- pending → sent | failed | no-one (nobody accepting) | skipped (left the queue meanwhile)
  status      text NOT NULL DEFAULT 'pending',
  detail      text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mango_routes_recent ON mango_routes (updated_at) WHERE status = 'sent';
