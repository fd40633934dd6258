-- When a WeCom Customer Service client's session last ended (Harbour ended
-- it, or WeCom said so): until the client writes again, WeCom takes no
-- message from the inbox (state 4), and the composer says so.
ALTER TABLE contacts ADD COLUMN kf_session_ended_at BIGINT;
