-- Message search: normalised unigram + bigram terms (see src/search.rs) as
-- a tsvector of verbatim lexemes with a GIN index, written in the
-- transaction that stores each message.
CREATE TABLE message_search (
    -- Index order, newest last: results are read newest first by this.
    n          BIGSERIAL PRIMARY KEY,
    message_id TEXT      NOT NULL UNIQUE,
    terms      TSVECTOR  NOT NULL
);
CREATE INDEX message_search_terms ON message_search USING GIN (terms);

CREATE INDEX contacts_name ON contacts (name);
CREATE INDEX contacts_phone ON contacts (phone);
