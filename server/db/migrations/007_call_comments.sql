-- «Комментарий к звонку»: one current note per call (who wrote it last, and when). Kept apart
-- from calls.view, which the reducer rewrites from the events on every re-reduction, and
-- joined into the call's view when it is read (server/calls/view.ts), so no reduction loses it.
CREATE TABLE IF NOT EXISTS call_comments (
  call_id    bigint PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
  text       text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
  author_id  bigint NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  updated_at timestamptz NOT NULL DEFAULT now()
);
