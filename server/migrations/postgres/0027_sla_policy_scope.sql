-- One SLA policy per scope (team and label, either absent): the API
-- refuses a second one, and this keeps two saves at the same moment (or
-- two nodes) from both getting through.
CREATE UNIQUE INDEX sla_policies_scope
    ON sla_policies ((COALESCE(team_id, '')), (COALESCE(label, '')));
