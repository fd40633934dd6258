//! Where auto-assignment lives (see `crate::assignment` and
//! `crate::dispatcher`): who is connected on which node, each agent's load
//! and capacity, the teams that assign automatically, their waiting pool,
//! and the one-conversation transactions that assign or hand back.

use super::automation::lock_conversation;
use super::events::{append, NewEvent};
use super::{Store, Tx};
use crate::assignment::{pick, Candidate, Standing, STALE_MS};
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use serde_json::{json, Value};
use shared::api::{ConversationAction, User};
use shared::assignment::{AgentView, Assignment, Availability};
use shared::{ConversationId, Role, TeamId, UserId};

/// A team that assigns automatically.
pub struct AutoTeam {
    pub id: TeamId,
    pub name: String,
    pub method: Assignment,
}

/// A waiting conversation whose assignee may be absent.
pub struct Held {
    pub conversation: ConversationId,
    pub assignee: UserId,
    pub name: String,
    pub standing: Standing,
}

/// What one try at assigning came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Assigned {
    To(UserId),
    /// Every online agent of the team is at capacity (or none is online).
    NobodyFree,
    /// The conversation was taken, answered or moved meanwhile.
    Moved,
}

fn parse<T: std::str::FromStr>(raw: &str) -> AppResult<T> {
    raw.parse()
        .map_err(|_| AppError::internal(anyhow::anyhow!("corrupt id in database")))
}

impl Store {
    /// `user`'s first socket on `node` opened.
    pub async fn connected(&self, user: UserId, node: &str, now: i64) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO agent_connections (user_id, node, seen_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, node) DO UPDATE SET seen_at = excluded.seen_at",
            )
            .bind(user.to_string())
            .bind(node)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(())
    }

    /// `user`'s last socket on `node` closed.
    pub async fn disconnected(&self, user: UserId, node: &str, now: i64) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("DELETE FROM agent_connections WHERE user_id = $1 AND node = $2")
                .bind(user.to_string())
                .bind(node)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE users SET last_seen_at = $2 WHERE id = $1")
                .bind(user.to_string())
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(())
    }

    /// `node`'s rows are `users`, touched now; rows no node has touched
    /// for a day (nodes that died) go.
    pub async fn sync_connections(&self, node: &str, users: &[UserId], now: i64) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("DELETE FROM agent_connections WHERE node = $1 OR seen_at < $2")
                .bind(node)
                .bind(now - 86_400_000)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        for user in users {
            on_tx!(&mut tx, c => {
                sqlx::query("INSERT INTO agent_connections (user_id, node, seen_at) VALUES ($1, $2, $3)")
                    .bind(user.to_string())
                    .bind(node)
                    .bind(now)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            });
        }
        tx.commit_quietly().await?;
        Ok(())
    }

    /// `node` stops: the people connected there are seen for the last time
    /// (one user at a time, in id order, as assignment locks them).
    pub async fn drop_connections(&self, node: &str, now: i64) -> AppResult<()> {
        let mut tx = self.begin().await?;
        let users: Vec<String> = on_tx!(&mut tx, c => {
            sqlx::query_scalar("SELECT user_id FROM agent_connections WHERE node = $1 ORDER BY user_id")
                .bind(node)
                .fetch_all(&mut *c)
                .await?
        });
        for user in &users {
            on_tx!(&mut tx, c => {
                sqlx::query("UPDATE users SET last_seen_at = $2 WHERE id = $1")
                    .bind(user)
                    .bind(now)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            });
        }
        on_tx!(&mut tx, c => {
            sqlx::query("DELETE FROM agent_connections WHERE node = $1")
                .bind(node)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(())
    }

    /// Every active agent: connected or not, available or away, their load
    /// and capacity.
    pub async fn agents(&self, now: i64) -> AppResult<Vec<AgentView>> {
        type Row = (String, Option<i64>, Option<i64>, i64);
        let rows: Vec<Row> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT u.id, u.last_seen_at, \
                 (SELECT MAX(a.seen_at) FROM agent_connections a WHERE a.user_id = u.id), \
                 (SELECT COUNT(*) FROM conversations c WHERE c.assignee = u.id \
                  AND c.status IN ('open', 'pending')) \
                 FROM users u WHERE u.active = TRUE AND u.role = 'agent'",
            )
            .fetch_all(pool)
            .await?
        });
        let mut seen = std::collections::HashMap::new();
        for (id, last_seen, connection, load) in rows {
            seen.insert(id, (last_seen, connection, load));
        }
        Ok(self
            .list_users()
            .await?
            .into_iter()
            .filter_map(|user: User| {
                let (last_seen, connection, load) = seen.remove(&user.id.to_string())?;
                let connected = connection.is_some_and(|at| at > now - STALE_MS);
                Some(AgentView {
                    id: user.id,
                    name: user.name,
                    teams: user.teams,
                    connected,
                    availability: user.availability,
                    online: connected && user.availability == Availability::Available,
                    load,
                    capacity: user.capacity,
                    offline_since: (!connected).then(|| last_seen.max(connection)).flatten(),
                })
            })
            .collect())
    }

    /// The teams that assign automatically.
    pub async fn auto_teams(&self) -> AppResult<Vec<AutoTeam>> {
        let rows: Vec<(String, String, String)> = on_read!(self, pool => {
            sqlx::query_as("SELECT id, name, assignment FROM teams WHERE assignment <> 'manual'")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, name, method)| {
                Ok(AutoTeam {
                    id: parse(&id)?,
                    name,
                    method: method.parse().unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Waiting conversations of `team` whose assignee may be absent: away,
    /// deactivated, or not connected for `grace_ms`.
    pub async fn held_by_absent(
        &self,
        team: TeamId,
        now: i64,
        grace_ms: i64,
        limit: i64,
    ) -> AppResult<Vec<Held>> {
        type Row = (
            String,
            String,
            String,
            bool,
            String,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Row> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT c.id, u.id, u.name, u.active, u.availability, u.last_seen_at, \
                 (SELECT MAX(a.seen_at) FROM agent_connections a WHERE a.user_id = u.id) \
                 FROM conversations c JOIN users u ON u.id = c.assignee \
                 WHERE c.team_id = $1 AND c.status = 'open' AND c.waiting_since IS NOT NULL \
                 AND (u.active = FALSE OR u.availability = 'away' OR \
                  (NOT EXISTS (SELECT 1 FROM agent_connections a WHERE a.user_id = u.id AND a.seen_at > $2) \
                   AND COALESCE(u.last_seen_at, 0) <= $3)) \
                 ORDER BY c.waiting_since, c.id LIMIT $4",
            )
            .bind(team.to_string())
            .bind(now - grace_ms.max(STALE_MS))
            .bind(now - grace_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(conversation, user, name, active, availability, last_seen, connection)| {
                    Ok(Held {
                        conversation: parse(&conversation)?,
                        assignee: parse(&user)?,
                        name,
                        standing: Standing {
                            active,
                            availability: availability.parse().unwrap_or_default(),
                            connected: connection.is_some_and(|at| at > now - STALE_MS),
                            last_seen: last_seen.max(connection),
                        },
                    })
                },
            )
            .collect()
    }

    /// Whether an online agent of `team` is under capacity (read without
    /// a lock: the assignment itself checks again).
    pub async fn has_room(&self, team: TeamId, now: i64) -> AppResult<bool> {
        let sql = format!(
            "SELECT u.id FROM users u WHERE {} AND u.capacity > \
             (SELECT COUNT(*) FROM conversations c WHERE c.assignee = u.id \
              AND c.status IN ('open', 'pending')) LIMIT 1",
            online_in_team()
        );
        let found: Option<String> = on_read!(self, pool => {
            sqlx::query_scalar(&sql)
                .bind(team.to_string())
                .bind(now - STALE_MS)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// `team`'s unassigned conversations whose client waits, longest first.
    pub async fn waiting_pool(&self, team: TeamId, limit: i64) -> AppResult<Vec<ConversationId>> {
        let rows: Vec<String> = on_read!(self, pool => {
            sqlx::query_scalar(
                "SELECT id FROM conversations WHERE team_id = $1 AND status = 'open' \
                 AND assignee IS NULL AND waiting_since IS NOT NULL \
                 ORDER BY COALESCE(waiting_since, 9223372036854775807), id LIMIT $2",
            )
            .bind(team.to_string())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.iter().map(|id| parse(id)).collect()
    }

    /// Gives `conversation` to an online agent of `team` under capacity,
    /// in one transaction that locks the conversation, then the team's
    /// candidates, so two nodes never give it twice nor overfill an agent.
    pub async fn auto_assign(
        &self,
        conversation: ConversationId,
        team: &AutoTeam,
        now: i64,
    ) -> AppResult<Assigned> {
        let mut tx = self.begin().await?;
        if lock_conversation(&mut tx, conversation).await? != Some(Some(team.id))
            || !still_waiting_unassigned(&mut tx, conversation).await?
        {
            return Ok(Assigned::Moved);
        }
        let done = assign_in(&mut tx, conversation, team.method, now, None).await?;
        if matches!(done, Assigned::To(_)) {
            self.commit(tx).await?;
        }
        Ok(done)
    }

    /// Hands `held` back to its team, unassigned, saying why, when its
    /// assignee is still absent as read after the lock (they may have come
    /// back meanwhile); nothing when it changed hands or stopped waiting.
    pub async fn release(&self, held: &Held, now: i64, grace_ms: i64) -> AppResult<bool> {
        let mut tx = self.begin().await?;
        if lock_conversation(&mut tx, held.conversation)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        let still: Option<(Option<String>, String, Option<i64>)> = on_tx!(&mut tx, c => {
            sqlx::query_as("SELECT assignee, status, waiting_since FROM conversations WHERE id = $1")
                .bind(held.conversation.to_string())
                .fetch_optional(&mut *c)
                .await?
        });
        let assignee = held.assignee.to_string();
        if !matches!(&still, Some((Some(a), s, Some(_))) if *a == assignee && s == "open") {
            return Ok(false);
        }
        let Some(standing) = standing_in(&mut tx, held.assignee, now).await? else {
            return Ok(false);
        };
        let Some(why) = crate::assignment::absence(&standing, now, grace_ms) else {
            return Ok(false);
        };
        let because = crate::assignment::released_because(why, &held.name, now);
        let done = super::triage::apply_automated(
            &mut tx,
            now,
            held.conversation,
            &ConversationAction::Unassign,
            "Auto-assignment",
            &because,
        )
        .await?;
        self.commit(tx).await?;
        Ok(done)
    }

    /// The user says whether they take new conversations; an event.
    pub async fn set_availability(
        &self,
        user: UserId,
        availability: Availability,
        now: i64,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE users SET availability = $2, updated_at = $3 WHERE id = $1")
                .bind(user.to_string())
                .bind(availability.as_str())
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        let payload = json!({ "user": user, "availability": availability });
        append(
            &mut tx,
            now,
            &[NewEvent::new("user.availability", Some(user), payload)],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// How `team` hands out its waiting conversations; an event.
    pub async fn set_team_assignment(
        &self,
        team: TeamId,
        assignment: Assignment,
        actor: UserId,
        now: i64,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        let done = on_tx!(&mut tx, c => {
            sqlx::query("UPDATE teams SET assignment = $2 WHERE id = $1")
                .bind(team.to_string())
                .bind(assignment.as_str())
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        if done == 0 {
            return Err(AppError::NotFound("That team"));
        }
        let payload: Value = json!({ "team": team, "assignment": assignment });
        append(
            &mut tx,
            now,
            &[NewEvent::new("team.assignment", Some(actor), payload).in_team(Some(team))],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }
}

/// Gives `conversation`, unassigned and locked by the caller, to an
/// online agent of its team with room, by `method`, in the caller's
/// transaction. `rule`: the fields of the rule that asks (its entry is
/// then the rule's, "Rule “Triage” assigned this to Amy"); without one
/// it is auto-assignment's, saying how many were online.
pub async fn assign_in(
    tx: &mut Tx,
    conversation: ConversationId,
    method: Assignment,
    now: i64,
    rule: Option<&Value>,
) -> AppResult<Assigned> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = on_tx!(tx, c => {
        sqlx::query_as(
            "SELECT c.assignee, c.team_id, t.name FROM conversations c \
             LEFT JOIN teams t ON t.id = c.team_id WHERE c.id = $1",
        )
        .bind(conversation.to_string())
        .fetch_optional(&mut *c)
        .await?
    });
    let Some((None, Some(team), Some(team_name))) = row else {
        return Ok(Assigned::Moved);
    };
    let team: TeamId = parse(&team)?;
    let candidates = candidates(tx, team, now).await?;
    let Some(chosen) = pick(method, &candidates) else {
        return Ok(Assigned::NobodyFree);
    };
    let (actor, because) = match rule {
        Some(fields) => (
            format!(
                "Rule “{}”",
                fields["rule_name"].as_str().unwrap_or_default()
            ),
            fields.clone(),
        ),
        None => (
            "Auto-assignment".to_owned(),
            crate::assignment::assigned_because(method, &team_name, candidates.len()),
        ),
    };
    let action = ConversationAction::Assign {
        user: chosen.id,
        note: None,
    };
    if !super::triage::apply_automated(tx, now, conversation, &action, &actor, &because).await? {
        return Ok(Assigned::Moved);
    }
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE users SET assign_turn = (SELECT MAX(assign_turn) FROM users) + 1 WHERE id = $1",
        )
        .bind(chosen.id.to_string())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(Assigned::To(chosen.id))
}

/// Where `user` stands now, read in the caller's transaction.
async fn standing_in(tx: &mut Tx, user: UserId, now: i64) -> AppResult<Option<Standing>> {
    let row: Option<(bool, String, Option<i64>, Option<i64>)> = on_tx!(tx, c => {
        sqlx::query_as(
            "SELECT u.active, u.availability, u.last_seen_at, \
             (SELECT MAX(a.seen_at) FROM agent_connections a WHERE a.user_id = u.id) \
             FROM users u WHERE u.id = $1",
        )
        .bind(user.to_string())
        .fetch_optional(&mut *c)
        .await?
    });
    Ok(
        row.map(|(active, availability, last_seen, connection)| Standing {
            active,
            availability: availability.parse().unwrap_or_default(),
            connected: connection.is_some_and(|at| at > now - STALE_MS),
            last_seen: last_seen.max(connection),
        }),
    )
}

async fn still_waiting_unassigned(tx: &mut Tx, conversation: ConversationId) -> AppResult<bool> {
    let row: Option<(Option<String>, String, Option<i64>)> = on_tx!(tx, c => {
        sqlx::query_as("SELECT assignee, status, waiting_since FROM conversations WHERE id = $1")
            .bind(conversation.to_string())
            .fetch_optional(&mut *c)
            .await?
    });
    Ok(matches!(row, Some((None, status, Some(_))) if status == "open"))
}

/// The agents of team `$1` auto-assignment may give one to, connected
/// since `$2`.
fn online_in_team() -> String {
    format!(
        "u.active = TRUE AND u.role = '{agent}' AND u.availability = 'available' \
         AND EXISTS (SELECT 1 FROM team_members m WHERE m.user_id = u.id AND m.team_id = $1) \
         AND EXISTS (SELECT 1 FROM agent_connections a WHERE a.user_id = u.id AND a.seen_at > $2)",
        agent = Role::Agent.as_str(),
    )
}

/// The online agents of `team`, locked (in id order) until the
/// transaction ends, with their load now. The load is read by a statement
/// after the lock is held, so on PostgreSQL it sees what another node's
/// assignment committed while this one waited.
async fn candidates(tx: &mut Tx, team: TeamId, now: i64) -> AppResult<Vec<Candidate>> {
    let online = online_in_team();
    // On PostgreSQL, only those locked: one who came online between the
    // two statements is not locked, so not given one.
    let mut locked: Option<Vec<String>> = None;
    if matches!(tx.backend(), super::Backend::Postgres) {
        let lock = format!("SELECT u.id FROM users u WHERE {online} ORDER BY u.id FOR UPDATE OF u");
        let ids: Vec<String> = on_tx!(tx, c => {
            sqlx::query_scalar(&lock)
                .bind(team.to_string())
                .bind(now - STALE_MS)
                .fetch_all(&mut *c)
                .await?
        });
        locked = Some(ids);
    }
    let sql = format!(
        "SELECT u.id, u.name, u.capacity, u.assign_turn, \
         (SELECT COUNT(*) FROM conversations c WHERE c.assignee = u.id \
          AND c.status IN ('open', 'pending')) \
         FROM users u WHERE {online} ORDER BY u.id"
    );
    let rows: Vec<(String, String, i64, i64, i64)> = on_tx!(tx, c => {
        sqlx::query_as(&sql)
            .bind(team.to_string())
            .bind(now - STALE_MS)
            .fetch_all(&mut *c)
            .await?
    });
    rows.into_iter()
        .filter(|(id, ..)| locked.as_ref().is_none_or(|ids| ids.contains(id)))
        .map(|(id, name, capacity, turn, load)| {
            Ok(Candidate {
                id: parse(&id)?,
                name,
                load,
                capacity,
                turn,
            })
        })
        .collect()
}

/// A team's counts on the floor.
pub struct TeamCounts {
    pub waiting: i64,
    pub unassigned: i64,
    pub open: i64,
    pub longest_wait_since: Option<i64>,
}

impl Store {
    /// Every team's open, waiting and unassigned-waiting counts, and its
    /// longest wait (teams with none are absent).
    pub async fn team_counts(&self) -> AppResult<std::collections::HashMap<TeamId, TeamCounts>> {
        type Row = (String, i64, i64, i64, Option<i64>);
        let rows: Vec<Row> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT team_id, \
                 SUM(CASE WHEN status = 'open' AND waiting_since IS NOT NULL THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN status = 'open' AND waiting_since IS NOT NULL AND assignee IS NULL THEN 1 ELSE 0 END), \
                 COUNT(*), \
                 MIN(CASE WHEN status = 'open' THEN waiting_since END) \
                 FROM conversations WHERE status IN ('open', 'pending') AND team_id IS NOT NULL \
                 GROUP BY team_id",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(team, waiting, unassigned, open, longest_wait_since)| {
                Ok((
                    parse(&team)?,
                    TeamCounts {
                        waiting,
                        unassigned,
                        open,
                        longest_wait_since,
                    },
                ))
            })
            .collect()
    }

    /// The conversations of `team` waiting longest, at most `limit`.
    pub async fn longest_waits(
        &self,
        team: TeamId,
        limit: i64,
    ) -> AppResult<Vec<shared::assignment::Waiting>> {
        type Row = (
            String,
            Option<String>,
            String,
            i64,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT v.id, COALESCE(k.name, k.remark), k.open_id, v.waiting_since, u.name, v.sla \
                 FROM conversations v JOIN contacts k ON k.id = v.contact_id \
                 LEFT JOIN users u ON u.id = v.assignee \
                 WHERE v.team_id = $1 AND v.status = 'open' AND v.waiting_since IS NOT NULL \
                 ORDER BY COALESCE(v.waiting_since, 9223372036854775807), v.id LIMIT $2",
            )
            .bind(team.to_string())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(id, contact_name, open_id, waiting_since, assignee_name, sla)| {
                    Ok(shared::assignment::Waiting {
                        id: parse(&id)?,
                        contact_name,
                        open_id,
                        waiting_since,
                        assignee_name,
                        sla: super::sla::headline_of(sla.as_deref()),
                    })
                },
            )
            .collect()
    }
}
