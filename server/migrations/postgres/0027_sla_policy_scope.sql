-- One SLA policy per scope (team and label, either absent): the API
-- refuses a second one, and this keeps two saves at the same moment (or
-- two nodes) from both getting through.
--
-- Such a twin may exist already. It never applied (a conversation takes
-- the oldest policy of a scope), so it goes: the oldest stays.
DELETE FROM sla_policies WHERE EXISTS (
    SELECT 1 FROM sla_policies o
    WHERE COALESCE(o.team_id, '') = COALESCE(sla_policies.team_id, '')
      AND COALESCE(o.label, '') = COALESCE(sla_policies.label, '')
      AND (o.created_at < sla_policies.created_at
           OR (o.created_at = sla_policies.created_at AND o.id < sla_policies.id))
);

CREATE UNIQUE INDEX sla_policies_scope
    ON sla_policies ((COALESCE(team_id, '')), (COALESCE(label, '')));
