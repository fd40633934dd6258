-- A team's WeCom Customer Service welcome and closing messages, sent for
-- every account mapped to the team that has no text of its own.
ALTER TABLE teams ADD COLUMN welcome_text TEXT;
ALTER TABLE teams ADD COLUMN closing_text TEXT;
