-- Events waiting for the call reducer. Marking each event row reduced (the previous way)
-- rewrote the whole row and its indexes once more per event; a queue row is a few bytes,
-- inserted with the event and deleted when the reducer claims it. New events are stored with
-- reduced = true and queued explicitly when they are not reduced in their own transaction.
CREATE TABLE reduce_queue (event_id bigint PRIMARY KEY);
INSERT INTO reduce_queue (event_id) SELECT id FROM mango_events WHERE NOT reduced;
ALTER TABLE mango_events ALTER COLUMN reduced SET DEFAULT true;

-- An instance of the previous release (during a rolling upgrade) still stores unreduced events
-- with reduced = false: queue those too. Its own reducer may reduce them as well; reducing a
-- call twice gives the same record.
CREATE FUNCTION queue_unreduced_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reduce_queue (event_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER mango_events_unreduced AFTER INSERT ON mango_events
  FOR EACH ROW WHEN (NOT NEW.reduced) EXECUTE FUNCTION queue_unreduced_event();
