-- Today's figures on the supervisor's floor (issue 14 §5).
-- New conversations by day, and the day's resolves (activity entries).
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX messages_activity_day ON messages (created_at) WHERE direction = 'activity';

-- Every SLA breach, kept (a conversation's clocks are replaced when a new
-- cycle starts; its breaches are not).
CREATE TABLE sla_breaches (
    conversation_id TEXT   NOT NULL,
    metric          TEXT   NOT NULL,
    team_id         TEXT,
    breached_at     BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, metric, breached_at)
);
CREATE INDEX sla_breaches_day ON sla_breaches (breached_at);

-- The SLA keeper asks, for every message, whether a clock runs.
CREATE INDEX sla_clocks_running ON sla_clocks (conversation_id) WHERE stopped_at IS NULL;
