-- Each read of client data (an `access.*` event, by its seq), filed by
-- client: "who looked at this client, and when" without reading the log.
CREATE TABLE accesses (
    seq          BIGINT NOT NULL PRIMARY KEY,
    at           BIGINT NOT NULL,
    reader       TEXT   NOT NULL,
    role         TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    contact      TEXT,
    conversation TEXT,
    address      TEXT   NOT NULL
);
CREATE INDEX accesses_contact ON accesses (contact, seq);
