-- An account whose password someone else chose (the first admin's, printed
-- at first start) must choose its own before doing anything else.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
