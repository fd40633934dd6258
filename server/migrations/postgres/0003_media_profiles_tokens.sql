-- Contact profiles fetched by a job, inbound media kept in the
-- content-addressed store, and access tokens shared by every node.

ALTER TABLE contacts ADD COLUMN language TEXT;
ALTER TABLE contacts ADD COLUMN remark TEXT;
ALTER TABLE contacts ADD COLUMN subscribed_at BIGINT;
-- none → queued → fetched | failed
ALTER TABLE contacts ADD COLUMN profile_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE contacts ADD COLUMN profile_fetched_at BIGINT;

-- WeChat's temporary MediaId (valid three days) and, once downloaded, the
-- sha256 that names the file under <data dir>/media.
ALTER TABLE messages ADD COLUMN media_id TEXT;
-- pending → stored | failed
ALTER TABLE messages ADD COLUMN media_state TEXT;
ALTER TABLE messages ADD COLUMN media_sha256 TEXT;
ALTER TABLE messages ADD COLUMN media_type TEXT;
ALTER TABLE messages ADD COLUMN media_size BIGINT;
ALTER TABLE messages ADD COLUMN media_error TEXT;

CREATE TABLE access_tokens (
    app_id        TEXT    PRIMARY KEY,
    -- The token, sealed with the server's key like every other secret.
    sealed        BYTEA    NOT NULL,
    obtained_at   BIGINT NOT NULL,
    expires_in_ms BIGINT NOT NULL
);
