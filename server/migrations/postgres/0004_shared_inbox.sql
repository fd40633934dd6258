-- The shared inbox: statuses with snooze, priority, labels, per-user read
-- positions, notes with mentions, canned responses and contact details.
-- The list columns (preview, waiting_since, last_inbound_position) are kept
-- on the conversation so a queue's first page is one indexed read.

ALTER TABLE conversations ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE conversations ADD COLUMN snoozed_until BIGINT;
ALTER TABLE conversations ADD COLUMN waiting_since BIGINT;
ALTER TABLE conversations ADD COLUMN preview TEXT;
ALTER TABLE conversations ADD COLUMN last_inbound_position BIGINT NOT NULL DEFAULT 0;
-- The newest message position, bumped under the row lock to place the next message.
ALTER TABLE conversations ADD COLUMN last_position BIGINT NOT NULL DEFAULT 0;

UPDATE conversations SET
    preview = (SELECT COALESCE(m.body, m.kind) FROM messages m
               WHERE m.conversation_id = conversations.id ORDER BY m.position DESC LIMIT 1),
    last_inbound_position = COALESCE((SELECT MAX(m.position) FROM messages m
               WHERE m.conversation_id = conversations.id AND m.direction = 'in'), 0),
    last_position = COALESCE((SELECT MAX(m.position) FROM messages m
               WHERE m.conversation_id = conversations.id), 0);
UPDATE conversations SET waiting_since = (
    SELECT MAX(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.direction = 'in' AND m.kind <> 'event')
WHERE status <> 'resolved' AND (
    SELECT m.direction FROM messages m
    WHERE m.conversation_id = conversations.id AND m.direction IN ('in', 'out') AND m.kind <> 'event'
    ORDER BY m.position DESC LIMIT 1) = 'in';

CREATE INDEX conversations_status_activity ON conversations (status, last_message_at);
CREATE INDEX conversations_team_status_activity ON conversations (team_id, status, last_message_at);
CREATE INDEX conversations_assignee_status_activity ON conversations (assignee, status, last_message_at);
CREATE INDEX conversations_status_waiting ON conversations (status, waiting_since);

CREATE TABLE conversation_labels (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    label           TEXT NOT NULL,
    PRIMARY KEY (conversation_id, label)
);
CREATE INDEX conversation_labels_label ON conversation_labels (label, conversation_id);

-- How far each user has read each conversation (a message position).
CREATE TABLE conversation_reads (
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    position        BIGINT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);

CREATE TABLE mentions (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    message_id      TEXT NOT NULL REFERENCES messages (id),
    user_id         TEXT NOT NULL,
    author          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    seen_at         BIGINT
);
CREATE INDEX mentions_user ON mentions (user_id, created_at);

CREATE TABLE canned_responses (
    id         TEXT PRIMARY KEY,
    -- Exactly one of team_id (shared with a team) or owner_id (personal).
    team_id    TEXT,
    owner_id   TEXT,
    shortcut   TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX canned_responses_team ON canned_responses (team_id, shortcut);
CREATE INDEX canned_responses_owner ON canned_responses (owner_id, shortcut);

ALTER TABLE contacts ADD COLUMN phone TEXT;
ALTER TABLE contacts ADD COLUMN email TEXT;
-- JSON: {"crm": "C-1001"}, {"policy_type": "life"}, ["vip"]
ALTER TABLE contacts ADD COLUMN external_ids TEXT NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
