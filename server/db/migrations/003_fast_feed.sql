-- Each feed item names the employee's previous item, so an instance that committed it can hand
-- it straight to a socket that already has the previous one (no read-back), and any socket that
-- does not gets it from the table in order as before.
ALTER TABLE feed ADD COLUMN IF NOT EXISTS prev_id bigint;

-- A caller's last calls (popup cards) read newest first without sorting all their calls:
-- a frequent caller has thousands.
CREATE INDEX IF NOT EXISTS calls_client_recent ON calls (client_number, started_at DESC);
DROP INDEX IF EXISTS calls_client;

-- A revision of the facts that decide who hears of a call (extension, name, active, accept
-- calls), bumped by any change to them, so each reduction can reuse its cached employee list
-- while the revision is unchanged instead of reading every employee.
CREATE TABLE IF NOT EXISTS employees_rev (one boolean PRIMARY KEY DEFAULT true CHECK (one), rev bigint NOT NULL);
INSERT INTO employees_rev (one, rev) VALUES (true, 1) ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION employees_rev_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE employees_rev SET rev = rev + 1;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS employees_rev_bump ON employees;
CREATE TRIGGER employees_rev_bump AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF name, extension, active, accept_calls ON employees
  FOR EACH STATEMENT EXECUTE FUNCTION employees_rev_bump();
