-- Each signed WeChat callback URL (channel, timestamp, nonce) and the hash
-- of the first body that came with it. Plain mode signs the URL, not the
-- body: the same URL again with the same body is WeChat retrying; with
-- another body it is a replay, and refused. Rows older than the accepted
-- timestamp window are pruned.
CREATE TABLE callback_urls (
    channel_id  TEXT     NOT NULL,
    signed_at   BIGINT   NOT NULL,
    nonce       TEXT     NOT NULL,
    body_hash   TEXT     NOT NULL,
    PRIMARY KEY (channel_id, signed_at, nonce)
);
CREATE INDEX callback_urls_signed_at ON callback_urls (signed_at);
