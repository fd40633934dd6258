-- The event log is evidence: rows are never deleted or changed, except
-- that a payload may be replaced by a tombstone (retention, erasure), which
-- the chain and the Merkle tree still verify because they cover the
-- payload through its SHA-256, kept here.
ALTER TABLE events ADD COLUMN payload_sha256 TEXT;

-- Allowed: recording the digest of an older row's payload (payload
-- unchanged), and replacing a payload whose digest is recorded by a
-- tombstone, exactly `{"tombstone":{"reason":"…"}}`; never a checkpoint's.
-- dialect only: PostgreSQL guards in plpgsql (SQLite: triggers with RAISE)
CREATE FUNCTION events_is_tombstone(payload TEXT) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    p jsonb;
BEGIN
    p := payload::jsonb;
    RETURN jsonb_typeof(p) = 'object'
        AND (SELECT count(*) FROM jsonb_object_keys(p)) = 1
        AND jsonb_typeof(p -> 'tombstone') = 'object'
        AND (SELECT count(*) FROM jsonb_object_keys(p -> 'tombstone')) = 1
        AND jsonb_typeof(p -> 'tombstone' -> 'reason') = 'string';
EXCEPTION WHEN others THEN
    RETURN false;
END
$$;

-- dialect only: PostgreSQL guards in plpgsql (SQLite: triggers with RAISE)
CREATE FUNCTION events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'events are append-only: an event cannot be deleted';
    END IF;
    IF NEW.seq IS DISTINCT FROM OLD.seq
        OR NEW.at IS DISTINCT FROM OLD.at
        OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.actor IS DISTINCT FROM OLD.actor
        OR NEW.team IS DISTINCT FROM OLD.team
        OR NEW.hash IS DISTINCT FROM OLD.hash
        OR NOT (
            (NEW.payload IS NOT DISTINCT FROM OLD.payload
                AND OLD.payload_sha256 IS NULL
                AND NEW.payload_sha256 IS NOT NULL)
            OR (NEW.payload_sha256 IS NOT NULL
                AND NEW.payload_sha256 IS NOT DISTINCT FROM OLD.payload_sha256
                AND OLD.kind <> 'audit.checkpoint'
                AND events_is_tombstone(NEW.payload))
        )
    THEN
        RAISE EXCEPTION 'events are append-only: only a payload can be replaced, by a tombstone';
    END IF;
    RETURN NEW;
END
$$;

-- dialect only: PostgreSQL guards in plpgsql (SQLite: triggers with RAISE)
CREATE FUNCTION events_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: the log cannot be truncated';
END
$$;

-- dialect only: PostgreSQL guards in plpgsql (SQLite: triggers with RAISE)
CREATE TRIGGER events_guard BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_guard();
-- dialect only: PostgreSQL guards in plpgsql (SQLite: triggers with RAISE)
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_truncate();

-- The newest checkpoint, found without scanning the log.
CREATE INDEX events_checkpoints ON events (seq) WHERE kind = 'audit.checkpoint';
