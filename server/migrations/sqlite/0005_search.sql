-- Message search: normalised unigram + bigram terms (see src/search.rs) in
-- SQLite's own full-text index, filled from the event log by the indexer.
CREATE VIRTUAL TABLE message_search USING fts5(
    terms,
    message_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- The last event seq the indexer has read.
CREATE TABLE search_state (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO search_state (id, seq) VALUES (1, 0);

CREATE INDEX contacts_name ON contacts (name);
CREATE INDEX contacts_phone ON contacts (phone);
