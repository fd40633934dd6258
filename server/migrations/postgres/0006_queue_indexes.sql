-- Queue pages walk one index prefix per (team, status) in sort order and
-- stop after a page (see store/conversations.rs), so every queue sort has
-- an index ending in its key and the id that breaks ties.
DROP INDEX conversations_status_activity;
DROP INDEX conversations_team_status_activity;
DROP INDEX conversations_assignee_status_activity;
DROP INDEX conversations_status_waiting;

CREATE INDEX conversations_status_activity ON conversations (status, last_message_at, id);
CREATE INDEX conversations_team_activity ON conversations (team_id, status, last_message_at, id);
CREATE INDEX conversations_team_assignee_activity ON conversations (team_id, status, assignee, last_message_at, id);
CREATE INDEX conversations_assignee_activity ON conversations (assignee, status, last_message_at, id);

CREATE INDEX conversations_status_waiting ON conversations (status, (COALESCE(waiting_since, 9223372036854775807)), id);
CREATE INDEX conversations_team_waiting ON conversations (team_id, status, (COALESCE(waiting_since, 9223372036854775807)), id);
CREATE INDEX conversations_team_assignee_waiting ON conversations (team_id, status, assignee, (COALESCE(waiting_since, 9223372036854775807)), id);
CREATE INDEX conversations_assignee_waiting ON conversations (assignee, status, (COALESCE(waiting_since, 9223372036854775807)), id);
