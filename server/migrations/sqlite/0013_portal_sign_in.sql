-- Portal sign-in (Harbour in the firm's portal iframe).
-- The portal's id for a user (its tokens' `sub`), linked at their first
-- portal sign-in or set when a portal sign-in created them.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external_id ON users (external_id);

-- Portal token ids (`jti`) already used, kept until the token would have
-- expired: each token signs in once.
CREATE TABLE portal_token_ids (
    issuer     TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX portal_token_ids_expires ON portal_token_ids (expires_at);
