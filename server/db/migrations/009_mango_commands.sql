-- Commands an employee gave through the relay (click-to-call, transfer) whose final outcome Mango
-- posts later to result/<command>: a failure is told to that employee. `result` is set once, by
-- the first result callback for the command (a resent one changes nothing).
CREATE TABLE IF NOT EXISTS mango_commands (
  command_id  text PRIMARY KEY,
  employee_id bigint NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  action      text NOT NULL CHECK (action IN ('callback', 'transfer')),
  target      text NOT NULL,
  call_id     bigint REFERENCES calls(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  result      integer,
  result_at   timestamptz
);
CREATE INDEX IF NOT EXISTS mango_commands_created ON mango_commands (created_at);
