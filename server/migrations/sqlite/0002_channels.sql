-- WeChat Official Account channels, contacts, conversations and messages.

CREATE TABLE channels (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    app_id     TEXT    NOT NULL,
    mode       TEXT    NOT NULL,
    api_base   TEXT    NOT NULL,
    -- AppSecret, Token and EncodingAESKey, sealed with the server's key.
    secrets    BLOB    NOT NULL,
    team_id    TEXT    REFERENCES teams (id),
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at INTEGER NOT NULL,
    CONSTRAINT channels_app_id_key UNIQUE (kind, app_id)
);

CREATE TABLE contacts (
    id              TEXT    PRIMARY KEY,
    channel_id      TEXT    NOT NULL REFERENCES channels (id),
    open_id         TEXT    NOT NULL,
    union_id        TEXT,
    name            TEXT,
    subscribed      BOOLEAN NOT NULL DEFAULT TRUE,
    -- Start of the 48-hour customer-service window and replies used in it.
    last_inbound_at INTEGER,
    replies_in_window INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT contacts_open_id_key UNIQUE (channel_id, open_id)
);

CREATE TABLE conversations (
    id              TEXT    PRIMARY KEY,
    channel_id      TEXT    NOT NULL REFERENCES channels (id),
    contact_id      TEXT    NOT NULL REFERENCES contacts (id),
    team_id         TEXT,
    status          TEXT    NOT NULL,
    assignee        TEXT,
    last_message_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    CONSTRAINT conversations_contact_key UNIQUE (contact_id)
);

CREATE TABLE messages (
    id              TEXT    PRIMARY KEY,
    channel_id      TEXT    NOT NULL REFERENCES channels (id),
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    -- Order within the conversation; written under the conversation's row lock.
    position        INTEGER NOT NULL,
    direction       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    body            TEXT,
    fields          TEXT    NOT NULL,
    dedupe_key      TEXT    NOT NULL,
    status          TEXT,
    error           TEXT,
    author          TEXT,
    sent_at         INTEGER,
    created_at      INTEGER NOT NULL,
    CONSTRAINT messages_dedupe_key UNIQUE (channel_id, dedupe_key),
    CONSTRAINT messages_position_key UNIQUE (conversation_id, position)
);
