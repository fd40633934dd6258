-- WeCom Customer Service entries that name no client (a servicer starting
-- or stopping to receive): kept in the log as events, once each; the
-- msgids here are what makes a replayed page store them only once.
CREATE TABLE kf_entries (
    channel_id TEXT NOT NULL,
    msgid      TEXT NOT NULL,
    PRIMARY KEY (channel_id, msgid)
);
