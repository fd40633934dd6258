-- Automation rules (issue 14 §2): run in `position` order; `team_id` NULL
-- acts on every team's conversations. Trigger, conditions and actions are
-- JSON in the shapes of `shared::automation`.
CREATE TABLE rules (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    enabled     BOOLEAN NOT NULL,
    team_id     TEXT    REFERENCES teams (id),
    trigger     TEXT    NOT NULL,
    conditions  TEXT    NOT NULL,
    actions     TEXT    NOT NULL,
    stop        BOOLEAN NOT NULL,
    position    BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    updated_by  TEXT
);
CREATE INDEX rules_position ON rules (position);

-- What automation has done, once: a rule (or a closure's reply, or the
-- one-reply-per-closed-period guard) on a conversation for one moment
-- (`run_key`: the message, timeline entry, timer or closed period). A
-- second node or a rerun finds the row and does nothing.
CREATE TABLE rule_runs (
    rule_id         TEXT   NOT NULL,
    conversation_id TEXT   NOT NULL,
    run_key         TEXT   NOT NULL,
    ran_at          BIGINT NOT NULL,
    PRIMARY KEY (rule_id, conversation_id, run_key)
);
CREATE INDEX rule_runs_recent ON rule_runs (conversation_id, ran_at);

-- How far through the event log automation has read (one row, `rules`).
CREATE TABLE automation_cursor (
    name TEXT   PRIMARY KEY,
    seq  BIGINT NOT NULL
);

-- When automation last replied to the client; a person's reply clears it.
-- Automation sends at most one reply before a person has answered.
ALTER TABLE conversations ADD COLUMN auto_replied_at BIGINT;

-- Automation acts on what happens from the moment it is installed.
INSERT INTO automation_cursor (name, seq) SELECT 'rules', seq FROM event_head WHERE id = 1;
