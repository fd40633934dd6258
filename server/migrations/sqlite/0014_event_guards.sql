-- The event log is evidence: rows are never deleted or changed, except
-- that a payload may be replaced by a tombstone (retention, erasure), which
-- the chain and the Merkle tree still verify because they cover the
-- payload through its SHA-256, kept here.
ALTER TABLE events ADD COLUMN payload_sha256 TEXT;

-- dialect only: SQLite triggers (PostgreSQL: the events_guard function)
CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event cannot be deleted');
    -- dialect only: the end of the trigger above
END;

-- Allowed: recording the digest of an older row's payload (payload
-- unchanged), and replacing a payload whose digest is recorded by a
-- tombstone, exactly `{"tombstone":{"reason":"…"}}`; never a checkpoint's.
-- dialect only: SQLite triggers (PostgreSQL: the events_guard function)
CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
WHEN NEW.seq IS NOT OLD.seq
  OR NEW.at IS NOT OLD.at
  OR NEW.kind IS NOT OLD.kind
  OR NEW.actor IS NOT OLD.actor
  OR NEW.team IS NOT OLD.team
  OR NEW.hash IS NOT OLD.hash
  OR NOT (
      (NEW.payload IS OLD.payload
          AND OLD.payload_sha256 IS NULL
          AND NEW.payload_sha256 IS NOT NULL)
      OR (NEW.payload_sha256 IS NOT NULL
          AND NEW.payload_sha256 IS OLD.payload_sha256
          AND OLD.kind <> 'audit.checkpoint'
          AND json_valid(NEW.payload)
          AND json_type(NEW.payload) = 'object'
          AND (SELECT count(*) FROM json_each(NEW.payload)) = 1
          AND json_type(NEW.payload, '$.tombstone') = 'object'
          AND (SELECT count(*) FROM json_each(NEW.payload, '$.tombstone')) = 1
          AND json_type(NEW.payload, '$.tombstone.reason') = 'text')
  )
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: only a payload can be replaced, by a tombstone');
    -- dialect only: the end of the trigger above
END;

-- The newest checkpoint, found without scanning the log.
CREATE INDEX events_checkpoints ON events (seq) WHERE kind = 'audit.checkpoint';
