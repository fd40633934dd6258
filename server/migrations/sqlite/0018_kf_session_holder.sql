-- Who holds a WeCom Customer Service client's session in the WeCom client
-- (state 3), as WeCom last told: while set, the inbox cannot send there.
ALTER TABLE contacts ADD COLUMN kf_servicer TEXT;
