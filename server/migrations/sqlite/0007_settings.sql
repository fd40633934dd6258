-- What Harbour keeps about itself, e.g. a fingerprint of the secret key
-- every node of this database must share.
CREATE TABLE harbour_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
