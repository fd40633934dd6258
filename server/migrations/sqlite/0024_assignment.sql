-- Auto-assignment and presence (issue 14 §3).
-- How a team hands out waiting conversations: manual, round_robin or
-- least_loaded.
ALTER TABLE teams ADD COLUMN assignment TEXT NOT NULL DEFAULT 'manual';
-- How many open conversations auto-assignment may give a user at once;
-- whether they take new ones (available, away); when their last socket
-- closed; round-robin's turn (larger: given a conversation more lately).
ALTER TABLE users ADD COLUMN capacity BIGINT NOT NULL DEFAULT 10;
ALTER TABLE users ADD COLUMN availability TEXT NOT NULL DEFAULT 'available';
ALTER TABLE users ADD COLUMN last_seen_at BIGINT;
ALTER TABLE users ADD COLUMN assign_turn BIGINT NOT NULL DEFAULT 0;

-- Who has a socket open on which node. A node writes its row when a
-- user's first socket there opens, deletes it when the last closes, and
-- touches its rows while it runs; a row not touched for a minute is a
-- node that died.
CREATE TABLE agent_connections (
    user_id TEXT   NOT NULL,
    node    TEXT   NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, node)
);
CREATE INDEX agent_connections_node ON agent_connections (node);
