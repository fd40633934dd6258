-- Message search: normalised unigram + bigram terms (see src/search.rs) in
-- SQLite's own full-text index, written in the transaction that stores
-- each message.
CREATE VIRTUAL TABLE message_search USING fts5(
    terms,
    message_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE INDEX contacts_name ON contacts (name);
CREATE INDEX contacts_phone ON contacts (phone);
