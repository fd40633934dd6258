-- Who holds a WeCom Customer Service client's session in the WeCom client
-- (state 3), as WeCom last told, and since when: while set (and for at most
-- the 48 hours a session lasts), the inbox cannot send there.
ALTER TABLE contacts ADD COLUMN kf_servicer TEXT;
ALTER TABLE contacts ADD COLUMN kf_servicer_at BIGINT;
