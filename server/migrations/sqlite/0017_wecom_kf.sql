-- WeCom Customer Service: the accounts (open_kfid) of a connected estate,
-- each mapped to a team, with the sync_msg cursor and what serialises the
-- pull across nodes.
CREATE TABLE kf_accounts (
    channel_id       TEXT    NOT NULL REFERENCES channels (id),
    open_kfid        TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    team_id          TEXT    REFERENCES teams (id),
    -- next_cursor of the last page committed; moves in the page's transaction
    sync_cursor      TEXT    NOT NULL DEFAULT '',
    -- counts callbacks; a pass that started at a lower count runs again
    sync_wanted      BIGINT  NOT NULL DEFAULT 0,
    -- the newest callback Token and when it came (valid 10 minutes)
    sync_token       TEXT,
    sync_token_at    BIGINT,
    -- held by the node that is pulling; fences every page it commits
    sync_lease       TEXT,
    sync_lease_until BIGINT,
    synced_at        BIGINT,
    -- sent through the one-off codes WeCom gives: when a customer opens the
    -- chat (within 20 s), and when a resolved conversation ends the session
    welcome_text     TEXT,
    closing_text     TEXT,
    created_at       BIGINT  NOT NULL,
    PRIMARY KEY (channel_id, open_kfid)
);

-- A message its sender recalled (WeCom's user_recall_msg): kept in the
-- record, shown as recalled.
ALTER TABLE messages ADD COLUMN recalled_at BIGINT;
