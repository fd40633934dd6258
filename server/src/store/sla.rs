//! Where SLAs live (see `crate::sla` and `crate::sla_keeper`): the policies,
//! each conversation's clocks, and the headline clock the list shows.

use super::events::{append, NewEvent};
use super::{is_unique_violation, stored, Store, Tx};
use crate::error::{AppError, AppResult};
use crate::sla::Clock;
use crate::{on_read, on_tx};
use serde_json::json;
use shared::api::Status;
use shared::sla::{SaveSlaPolicy, SlaPolicy, SlaStatus};
use shared::{ConversationId, TeamId, UserId};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct PolicyRow {
    id: String,
    name: String,
    team_id: Option<String>,
    team_name: Option<String>,
    label: Option<String>,
    first_response_minutes: Option<i64>,
    next_response_minutes: Option<i64>,
    resolution_minutes: Option<i64>,
    warn_minutes: i64,
    updated_at: i64,
}

impl PolicyRow {
    fn view(self) -> AppResult<SlaPolicy> {
        Ok(SlaPolicy {
            id: self.id,
            name: self.name,
            team: self.team_id.as_deref().map(stored).transpose()?,
            team_name: self.team_name,
            label: self.label,
            first_response_minutes: self.first_response_minutes,
            next_response_minutes: self.next_response_minutes,
            resolution_minutes: self.resolution_minutes,
            warn_minutes: self.warn_minutes,
            updated_at: self.updated_at,
        })
    }
}

const POLICY_SQL: &str = "SELECT p.id, p.name, p.team_id, t.name AS team_name, p.label, \
     p.first_response_minutes, p.next_response_minutes, p.resolution_minutes, p.warn_minutes, \
     p.updated_at FROM sla_policies p LEFT JOIN teams t ON t.id = p.team_id";

#[derive(sqlx::FromRow)]
struct ClockRow {
    metric: String,
    policy_id: String,
    target_ms: i64,
    warn_ms: i64,
    started_at: i64,
    elapsed_ms: i64,
    running_since: Option<i64>,
    window_closes_at: Option<i64>,
    stopped_at: Option<i64>,
    warned_at: Option<i64>,
    breached_at: Option<i64>,
}

impl ClockRow {
    fn clock(self) -> AppResult<Clock> {
        Ok(Clock {
            metric: stored(&self.metric)?,
            policy: self.policy_id,
            target_ms: self.target_ms,
            warn_ms: self.warn_ms,
            started_at: self.started_at,
            elapsed_ms: self.elapsed_ms,
            running_since: self.running_since,
            window_closes_at: self.window_closes_at,
            stopped_at: self.stopped_at,
            warned_at: self.warned_at,
            breached_at: self.breached_at,
        })
    }
}

/// A conversation as its clocks see it, read under its lock.
pub struct Timed {
    pub team: Option<TeamId>,
    pub status: Status,
    /// Since when the client has waited for an answer.
    pub waiting_since: Option<i64>,
    pub labels: Vec<String>,
    pub clocks: Vec<Clock>,
    /// The headline as stored, and when its timer was last armed for.
    pub shown: Option<String>,
    pub timer_at: Option<i64>,
}

/// A save that met another policy of the same scope (saved at the same
/// moment, past the API's own look) is refused as that look refuses it.
fn scope_taken(err: sqlx::Error, policy: &SaveSlaPolicy) -> AppError {
    if !is_unique_violation(&err, "sla_policies_scope") {
        return err.into();
    }
    let field = if policy.label.is_some() {
        "label"
    } else {
        "team"
    };
    AppError::validation(
        field,
        "Another policy already covers this team and label; change that one instead.",
    )
}

impl Store {
    /// Every policy, oldest first (the order [`crate::sla::policy_for`]
    /// picks in).
    pub async fn sla_policies(&self) -> AppResult<Vec<SlaPolicy>> {
        let sql = format!("{POLICY_SQL} ORDER BY p.created_at, p.id");
        let rows: Vec<PolicyRow> =
            on_read!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter().map(PolicyRow::view).collect()
    }

    pub async fn sla_policy(&self, id: &str) -> AppResult<Option<SlaPolicy>> {
        let sql = format!("{POLICY_SQL} WHERE p.id = $1");
        let row: Option<PolicyRow> =
            on_read!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        row.map(PolicyRow::view).transpose()
    }

    /// Creates (`id` `None`) or changes a policy, with its event; the
    /// policy's id, or `None` when there is no such policy to change.
    pub async fn save_sla_policy(
        &self,
        now: i64,
        actor: UserId,
        id: Option<&str>,
        policy: &SaveSlaPolicy,
        warn_minutes: i64,
    ) -> AppResult<Option<String>> {
        let mut tx = self.begin().await?;
        let team = policy.team.map(|t| t.to_string());
        let changed = match id {
            Some(id) => on_tx!(&mut tx, c => {
                sqlx::query(
                    "UPDATE sla_policies SET name = $2, team_id = $3, label = $4, \
                     first_response_minutes = $5, next_response_minutes = $6, \
                     resolution_minutes = $7, warn_minutes = $8, updated_at = $9 WHERE id = $1",
                )
                .bind(id)
                .bind(&policy.name)
                .bind(&team)
                .bind(&policy.label)
                .bind(policy.first_response_minutes)
                .bind(policy.next_response_minutes)
                .bind(policy.resolution_minutes)
                .bind(warn_minutes)
                .bind(now)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
            })
            .map_err(|e| scope_taken(e, policy))?,
            None => 0,
        };
        let id = match id {
            Some(id) if changed == 1 => id.to_owned(),
            Some(_) => return Ok(None),
            None => {
                let id = Uuid::new_v4().to_string();
                on_tx!(&mut tx, c => {
                    sqlx::query(
                        "INSERT INTO sla_policies (id, name, team_id, label, first_response_minutes, \
                         next_response_minutes, resolution_minutes, warn_minutes, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                    )
                    .bind(&id)
                    .bind(&policy.name)
                    .bind(&team)
                    .bind(&policy.label)
                    .bind(policy.first_response_minutes)
                    .bind(policy.next_response_minutes)
                    .bind(policy.resolution_minutes)
                    .bind(warn_minutes)
                    .bind(now)
                    .execute(&mut *c)
                    .await
                    .map(|r| r.rows_affected())
                })
                .map_err(|e| scope_taken(e, policy))?;
                id
            }
        };
        let payload = json!({
            "policy": id,
            "name": policy.name,
            "team": policy.team,
            "label": policy.label,
            "first_response_minutes": policy.first_response_minutes,
            "next_response_minutes": policy.next_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "warn_minutes": warn_minutes,
        });
        append(
            &mut tx,
            now,
            &[NewEvent::new("sla_policy.saved", Some(actor), payload)],
        )
        .await?;
        self.commit(tx).await?;
        Ok(Some(id))
    }

    /// Deletes a policy, with its event: `false` when there was none.
    /// Clocks it timed take the policy that applies now, or stop being timed.
    pub async fn delete_sla_policy(&self, now: i64, actor: UserId, id: &str) -> AppResult<bool> {
        let mut tx = self.begin().await?;
        let gone = on_tx!(&mut tx, c => {
            sqlx::query("DELETE FROM sla_policies WHERE id = $1")
                .bind(id)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        if gone == 0 {
            return Ok(false);
        }
        append(
            &mut tx,
            now,
            &[NewEvent::new(
                "sla_policy.deleted",
                Some(actor),
                json!({ "policy": id }),
            )],
        )
        .await?;
        self.commit(tx).await?;
        Ok(true)
    }

    /// Conversations with a clock still open (a change of hours or a
    /// closure moves their due times); with `waiting` too every open
    /// conversation whose client waits (a new policy may time them).
    pub async fn timed_conversations(&self, waiting: bool) -> AppResult<Vec<ConversationId>> {
        let sql = if waiting {
            "SELECT conversation_id FROM sla_clocks WHERE stopped_at IS NULL \
             UNION SELECT id FROM conversations WHERE status = 'open' AND waiting_since IS NOT NULL"
        } else {
            "SELECT DISTINCT conversation_id FROM sla_clocks WHERE stopped_at IS NULL"
        };
        let ids: Vec<String> =
            on_read!(self, pool => sqlx::query_scalar(sql).fetch_all(pool).await?);
        ids.iter().map(|id| stored(id)).collect()
    }

    /// Whether some clock is running anywhere.
    pub async fn any_clock_running(&self) -> AppResult<bool> {
        let found: Option<i64> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM sla_clocks WHERE stopped_at IS NULL LIMIT 1")
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// A conversation's team and labels, and whether a clock of its runs,
    /// read without a lock.
    pub async fn sla_candidate(
        &self,
        conversation: ConversationId,
    ) -> AppResult<Option<(Option<TeamId>, Vec<String>, bool)>> {
        let id = conversation.to_string();
        type Row = (Option<String>, bool);
        let row: Option<Row> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT team_id, EXISTS (SELECT 1 FROM sla_clocks k WHERE k.conversation_id = v.id \
                   AND k.stopped_at IS NULL) FROM conversations v WHERE v.id = $1",
            )
            .bind(&id)
            .fetch_optional(pool)
            .await?
        });
        let Some((team, timed)) = row else {
            return Ok(None);
        };
        let labels: Vec<String> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT label FROM conversation_labels WHERE conversation_id = $1")
                .bind(&id)
                .fetch_all(pool)
                .await?
        });
        Ok(Some((
            team.as_deref().map(stored).transpose()?,
            labels,
            timed,
        )))
    }
}

/// The conversation's status, labels and clocks; the caller has locked it.
pub async fn timed(tx: &mut Tx, conversation: ConversationId) -> AppResult<Option<Timed>> {
    let id = conversation.to_string();
    /// Team, status, waiting since, headline, timer.
    type Row = (
        Option<String>,
        String,
        Option<i64>,
        Option<String>,
        Option<i64>,
    );
    let row: Option<Row> = on_tx!(tx, c => {
        sqlx::query_as(
            "SELECT team_id, status, waiting_since, sla, sla_timer_at FROM conversations WHERE id = $1",
        )
            .bind(&id)
            .fetch_optional(&mut *c)
            .await?
    });
    let Some((team, status, waiting_since, shown, timer_at)) = row else {
        return Ok(None);
    };
    let labels: Vec<String> = on_tx!(tx, c => {
        sqlx::query_scalar("SELECT label FROM conversation_labels WHERE conversation_id = $1")
            .bind(&id)
            .fetch_all(&mut *c)
            .await?
    });
    let rows: Vec<ClockRow> = on_tx!(tx, c => {
        sqlx::query_as(
            "SELECT metric, policy_id, target_ms, warn_ms, started_at, elapsed_ms, running_since, \
             window_closes_at, stopped_at, warned_at, breached_at FROM sla_clocks \
             WHERE conversation_id = $1 ORDER BY metric",
        )
        .bind(&id)
        .fetch_all(&mut *c)
        .await?
    });
    Ok(Some(Timed {
        team: team.as_deref().map(stored).transpose()?,
        status: stored(&status)?,
        waiting_since,
        labels,
        clocks: rows
            .into_iter()
            .map(ClockRow::clock)
            .collect::<AppResult<_>>()?,
        shown,
        timer_at,
    }))
}

/// Replaces the conversation's clocks with `clocks`.
pub async fn save_clocks(
    tx: &mut Tx,
    conversation: ConversationId,
    clocks: &[Clock],
) -> AppResult<()> {
    let id = conversation.to_string();
    on_tx!(tx, c => {
        sqlx::query("DELETE FROM sla_clocks WHERE conversation_id = $1")
            .bind(&id)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    for clock in clocks {
        on_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO sla_clocks (conversation_id, metric, policy_id, target_ms, warn_ms, \
                 started_at, elapsed_ms, running_since, window_closes_at, stopped_at, warned_at, breached_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&id)
            .bind(clock.metric.as_str())
            .bind(&clock.policy)
            .bind(clock.target_ms)
            .bind(clock.warn_ms)
            .bind(clock.started_at)
            .bind(clock.elapsed_ms)
            .bind(clock.running_since)
            .bind(clock.window_closes_at)
            .bind(clock.stopped_at)
            .bind(clock.warned_at)
            .bind(clock.breached_at)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
    }
    Ok(())
}

/// Stores the headline clock and the instant its timer is armed for.
pub async fn save_headline(
    tx: &mut Tx,
    conversation: ConversationId,
    shown: Option<&str>,
    timer_at: Option<i64>,
) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query("UPDATE conversations SET sla = $2, sla_timer_at = $3 WHERE id = $1")
            .bind(conversation.to_string())
            .bind(shown)
            .bind(timer_at)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// The stored headline as the API shows it (`None` when unreadable: the
/// next change rewrites it).
pub fn headline_of(stored: Option<&str>) -> Option<SlaStatus> {
    serde_json::from_str(stored?).ok()
}

/// Keeps a breach for the day's figures (clocks are replaced by the next
/// cycle; breaches stay).
pub async fn keep_breach(
    tx: &mut Tx,
    conversation: ConversationId,
    metric: shared::sla::SlaMetric,
    team: Option<TeamId>,
    at: i64,
) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO sla_breaches (conversation_id, metric, team_id, breached_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(conversation.to_string())
        .bind(metric.as_str())
        .bind(team.map(|t| t.to_string()))
        .bind(at)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Whether a person had replied in the conversation by `at`.
pub async fn answered(tx: &mut Tx, conversation: ConversationId, at: i64) -> AppResult<bool> {
    let found: Option<i64> = on_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM messages WHERE conversation_id = $1 AND direction = 'out' \
             AND author IS NOT NULL AND created_at <= $2 LIMIT 1",
        )
        .bind(conversation.to_string())
        .bind(at)
        .fetch_optional(&mut *c)
        .await?
    });
    Ok(found.is_some())
}
