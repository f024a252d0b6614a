-- What Mango's callbacks got from the relay, per hour: accepted, duplicate, or refused and why
-- (bad signature, wrong key, not configured, malformed, source not allowed...). Shown to the
-- admin in #/mango so "calls do not arrive" can be diagnosed without the server's logs.
-- Counts are aggregated in memory and upserted every few seconds, never per request.
CREATE TABLE webhook_journal (
  hour      timestamptz NOT NULL,
  outcome   text NOT NULL,
  kind      text NOT NULL,
  ip        text NOT NULL,
  count     bigint NOT NULL,
  first_at  timestamptz NOT NULL,
  last_at   timestamptz NOT NULL,
  PRIMARY KEY (hour, outcome, kind, ip)
);
