-- SLA policies and clocks (issue 14 §4).
-- A policy sets targets in business minutes for a team, for a label, or
-- (neither) for every conversation; a conversation takes the policy of a
-- label it carries, else its team's, else the one for all.
CREATE TABLE sla_policies (
    id                      TEXT PRIMARY KEY,
    name                    TEXT   NOT NULL,
    team_id                 TEXT,
    label                   TEXT,
    first_response_minutes  BIGINT,
    next_response_minutes   BIGINT,
    resolution_minutes      BIGINT,
    warn_minutes            BIGINT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);

-- A conversation's clocks in its current cycle (from the client's first
-- message, or a reopening, to the resolve): one per metric. Counted time
-- is business time before running_since; a paused clock has no
-- running_since; the window bound is when WeChat's reply window closes
-- (counting stops there).
CREATE TABLE sla_clocks (
    conversation_id  TEXT   NOT NULL,
    metric           TEXT   NOT NULL,
    policy_id        TEXT   NOT NULL,
    target_ms        BIGINT NOT NULL,
    warn_ms          BIGINT NOT NULL,
    started_at       BIGINT NOT NULL,
    elapsed_ms       BIGINT NOT NULL,
    running_since    BIGINT,
    window_closes_at BIGINT,
    stopped_at       BIGINT,
    warned_at        BIGINT,
    breached_at      BIGINT,
    PRIMARY KEY (conversation_id, metric)
);

-- The clock a list row and the header show (JSON, shared::sla::SlaStatus),
-- kept with the clocks, and when the next warning or breach is due (the
-- instant a timer job is armed for).
ALTER TABLE conversations ADD COLUMN sla TEXT;
ALTER TABLE conversations ADD COLUMN sla_timer_at BIGINT;

INSERT INTO automation_cursor (name, seq) SELECT 'sla', seq FROM event_head WHERE id = 1;
