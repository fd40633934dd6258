-- One client's history without reading the whole log: every event that
-- names a conversation, filed under it, and every other that names a
-- contact, under the contact. Written with the event, in the same
-- transaction; existing events are filed here.
CREATE TABLE event_subjects (
    subject TEXT   NOT NULL,
    seq     BIGINT NOT NULL,
    PRIMARY KEY (subject, seq)
);
-- dialect only: SQLite reads JSON with json_extract (PostgreSQL: ->> on json)
INSERT INTO event_subjects (subject, seq)
SELECT json_extract(payload, '$.conversation'), seq FROM events
WHERE json_valid(payload) AND json_type(payload, '$.conversation') = 'text';
-- dialect only: SQLite reads JSON with json_extract (PostgreSQL: ->> on json)
INSERT INTO event_subjects (subject, seq)
SELECT json_extract(payload, '$.contact'), seq FROM events
WHERE json_valid(payload) AND json_type(payload, '$.contact') = 'text'
  AND json_type(payload, '$.conversation') IS NOT 'text';

-- Evidence bundles of one client's history: asked for with a reason, built
-- by a job, downloadable by the requester (and compliance) until expiry.
CREATE TABLE exports (
    id              TEXT    PRIMARY KEY,
    contact         TEXT    NOT NULL,
    requested_by    TEXT    NOT NULL,
    reason_category TEXT    NOT NULL,
    reason_text     TEXT    NOT NULL,
    date_from       BIGINT,
    date_to         BIGINT,
    -- queued → building → ready | failed; ready → expired
    status          TEXT    NOT NULL,
    progress        BIGINT  NOT NULL DEFAULT 0,
    file_sha256     TEXT,
    file_size       BIGINT,
    counts          TEXT,
    error           TEXT,
    created_at      BIGINT  NOT NULL,
    finished_at     BIGINT,
    expires_at      BIGINT
);
CREATE INDEX exports_created ON exports (created_at);
