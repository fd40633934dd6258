-- Message search: normalised unigram + bigram terms (see src/search.rs) as
-- a tsvector of verbatim lexemes with a GIN index, filled from the event log
-- by the indexer.
CREATE TABLE message_search (
    -- Index order, newest last: results are read newest first by this.
    n          BIGSERIAL PRIMARY KEY,
    message_id TEXT      NOT NULL UNIQUE,
    terms      TSVECTOR  NOT NULL
);
CREATE INDEX message_search_terms ON message_search USING GIN (terms);

-- The last event seq the indexer has read.
CREATE TABLE search_state (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO search_state (id, seq) VALUES (1, 0);

CREATE INDEX contacts_name ON contacts (name);
CREATE INDEX contacts_phone ON contacts (phone);
