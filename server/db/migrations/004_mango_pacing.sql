-- Mango's rate limits are per account, not per relay instance: the next allowed send time of
-- each limited request kind, shared by every instance (see server/mango/pacing.ts).
CREATE TABLE IF NOT EXISTS mango_pacing (
  path    text PRIMARY KEY,
  next_at timestamptz NOT NULL
);
