//! Where automation lives (see `crate::automation` and `crate::automator`):
//! the rules, how far through the event log automation has read, what it
//! has done once (`rule_runs`), the facts a rule decides from, and writing
//! a rule's plan in the caller's transaction.

use super::events::{append, NewEvent};
use super::outbound::ReplyTarget;
use super::{stored, Store, Tx};
use crate::automation::{Plan, Step, CLOSED_REPLY_GUARD};
use crate::error::AppResult;
use crate::{on_read, on_tx};
use serde_json::{json, Value};
use shared::api::{Priority, Status};
use shared::automation::{RuleInput, RuleView};
use shared::{ConversationId, MessageId, TeamId, UserId};
use uuid::Uuid;

/// The one cursor row.
const CURSOR: &str = "rules";

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: String,
    name: String,
    enabled: bool,
    team_id: Option<String>,
    trigger: String,
    conditions: String,
    actions: String,
    stop: bool,
    position: i64,
    updated_at: i64,
    updated_by: Option<String>,
}

impl RuleRow {
    fn view(self) -> AppResult<RuleView> {
        fn json<T: serde::de::DeserializeOwned>(id: &str, text: &str) -> AppResult<T> {
            serde_json::from_str(text)
                .map_err(|e| anyhow::anyhow!("rule {id} is unreadable: {e}").into())
        }
        Ok(RuleView {
            trigger: json(&self.id, &self.trigger)?,
            conditions: json(&self.id, &self.conditions)?,
            actions: json(&self.id, &self.actions)?,
            team: self.team_id.as_deref().map(stored).transpose()?,
            id: self.id,
            name: self.name,
            enabled: self.enabled,
            stop: self.stop,
            position: self.position,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
        })
    }
}

const RULE_COLUMNS: &str =
    "r.id, r.name, r.enabled, r.team_id, r.trigger, r.conditions, r.actions, r.stop, \
     r.position, r.updated_at, u.name AS updated_by";

/// What the store reads about a conversation for a rule.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ConversationFacts {
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub priority: String,
    pub assignee: Option<String>,
    pub waiting_since: Option<i64>,
    pub contact_name: Option<String>,
    pub tags: String,
    pub recent_runs: i64,
    /// Where a reply would go, and WeChat's window for it.
    #[sqlx(flatten)]
    pub target: ReplyTarget,
}

impl ConversationFacts {
    pub fn team(&self) -> Option<TeamId> {
        self.team_id.as_deref().and_then(|t| t.parse().ok())
    }

    pub fn priority(&self) -> Priority {
        self.priority.parse().unwrap_or(Priority::Normal)
    }

    pub fn assignee(&self) -> Option<UserId> {
        self.assignee.as_deref().and_then(|u| u.parse().ok())
    }

    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
}

/// A client's message as a rule sees it: its text, and whether it was the
/// conversation's first or reopened a resolved one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageFacts {
    pub body: Option<String>,
    pub first: bool,
    pub reopened: bool,
    /// The newest client message of the conversation is this one.
    pub latest: bool,
}

impl Store {
    /// Every rule, in the order they run.
    pub async fn rules(&self) -> AppResult<Vec<RuleView>> {
        let sql = format!(
            "SELECT {RULE_COLUMNS} FROM rules r LEFT JOIN users u ON u.id = r.updated_by \
             ORDER BY r.position, r.id"
        );
        let rows: Vec<RuleRow> =
            on_read!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        // One unreadable rule must not stop the others.
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                row.view()
                    .map_err(|e| tracing::warn!(error = %e, "a rule is skipped"))
                    .ok()
            })
            .collect())
    }

    pub async fn rule(&self, id: &str) -> AppResult<Option<RuleView>> {
        let sql = format!(
            "SELECT {RULE_COLUMNS} FROM rules r LEFT JOIN users u ON u.id = r.updated_by WHERE r.id = $1"
        );
        let row: Option<RuleRow> =
            on_read!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        row.map(RuleRow::view).transpose()
    }

    /// How far automation has read the log; the first call starts it at
    /// the log's head (rules act on what happens from now on).
    pub async fn automation_cursor(&self) -> AppResult<i64> {
        self.log_cursor(CURSOR).await
    }

    /// How far the log's follower `name` has read; the first call starts
    /// it at the log's head.
    pub async fn log_cursor(&self, name: &str) -> AppResult<i64> {
        let found: Option<i64> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT seq FROM automation_cursor WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        if let Some(seq) = found {
            return Ok(seq);
        }
        let head = self.head().await?.0;
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("INSERT INTO automation_cursor (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(head)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        let seq: i64 = on_tx!(&mut tx, c => {
            sqlx::query_scalar("SELECT seq FROM automation_cursor WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *c)
                .await?
        });
        self.commit(tx).await?;
        Ok(seq)
    }

    /// The conversation as a rule sees it, with the rule runs on it since
    /// `since` and where a reply would go (one query).
    pub async fn conversation_facts(
        &self,
        id: ConversationId,
        since: i64,
    ) -> AppResult<Option<ConversationFacts>> {
        let row = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT v.id AS conversation_id, v.channel_id, v.team_id, c.id AS contact_id, c.open_id, \
                        c.subscribed, c.last_inbound_at, c.replies_in_window, c.kf_servicer, c.kf_servicer_at, \
                        c.kf_session_ended_at, h.kind AS channel_kind, v.auto_replied_at, \
                        t.name AS team_name, v.status, v.priority, v.assignee, v.waiting_since, \
                        c.name AS contact_name, c.tags, \
                        (SELECT COUNT(*) FROM rule_runs r WHERE r.conversation_id = v.id AND r.ran_at > $2) AS recent_runs \
                 FROM conversations v JOIN contacts c ON c.id = v.contact_id \
                 JOIN channels h ON h.id = v.channel_id \
                 LEFT JOIN teams t ON t.id = v.team_id WHERE v.id = $1",
            )
            .bind(id.to_string())
            .bind(since)
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    /// A client's message as a rule sees it; `None` when it is not one.
    /// One query: automation reads it for every client message.
    pub async fn message_facts(&self, message: MessageId) -> AppResult<Option<MessageFacts>> {
        // The entry before it that tells: a client's message (not the
        // first; nothing reopened), or a resolve (it reopened).
        let found: Option<(Option<String>, Option<String>, bool)> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT m.body, \
                   (SELECT p.direction || ':' || p.kind FROM messages p \
                     WHERE p.conversation_id = m.conversation_id AND p.position < m.position \
                       AND (p.direction = 'in' OR (p.direction = 'activity' AND p.kind IN ('resolved', 'reopened'))) \
                     ORDER BY p.position DESC LIMIT 1) AS before, \
                   EXISTS (SELECT 1 FROM messages l WHERE l.conversation_id = m.conversation_id \
                     AND l.position > m.position AND l.direction = 'in') AS later \
                 FROM messages m WHERE m.id = $1 AND m.direction = 'in'",
            )
            .bind(message.to_string())
            .fetch_optional(pool)
            .await?
        });
        Ok(found.map(|(body, before, later)| MessageFacts {
            body,
            first: before.is_none(),
            reopened: before.as_deref() == Some("activity:resolved"),
            latest: !later,
        }))
    }
}

/// Moves the cursor from `from` to `to`, in the transaction that writes
/// what automation did with the events between: `false` when another node
/// moved it first (then this transaction must be rolled back).
pub async fn advance_cursor(tx: &mut Tx, from: i64, to: i64) -> AppResult<bool> {
    advance_log_cursor(tx, CURSOR, from, to).await
}

/// [`advance_cursor`] for the log's follower `name`.
pub async fn advance_log_cursor(tx: &mut Tx, name: &str, from: i64, to: i64) -> AppResult<bool> {
    let moved = on_tx!(tx, c => {
        sqlx::query("UPDATE automation_cursor SET seq = $3 WHERE name = $1 AND seq = $2")
            .bind(name)
            .bind(from)
            .bind(to)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(moved == 1)
}

/// Records that `rule` ran on `conversation` for `key`: `false` when it had.
async fn claim_run(
    tx: &mut Tx,
    rule: &str,
    conversation: ConversationId,
    key: &str,
    now: i64,
) -> AppResult<bool> {
    claim_once(tx, rule, &conversation.to_string(), key, now).await
}

/// Records that `what` happened to `subject` for `key`, once: `false` when
/// it had (a rerun job, a second node).
pub async fn claim_once(
    tx: &mut Tx,
    what: &str,
    subject: &str,
    key: &str,
    now: i64,
) -> AppResult<bool> {
    let claimed = on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO rule_runs (rule_id, conversation_id, run_key, ran_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (rule_id, conversation_id, run_key) DO NOTHING",
        )
        .bind(what)
        .bind(subject)
        .bind(key)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(claimed == 1)
}

async fn has_run(
    tx: &mut Tx,
    rule: &str,
    conversation: ConversationId,
    key: &str,
) -> AppResult<bool> {
    let found: Option<i64> = on_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT ran_at FROM rule_runs WHERE rule_id = $1 AND conversation_id = $2 AND run_key = $3",
        )
        .bind(rule)
        .bind(conversation.to_string())
        .bind(key)
        .fetch_optional(&mut *c)
        .await?
    });
    Ok(found.is_some())
}

/// Locks the conversation's contact, then the conversation (the order
/// ingest takes them in), and says which team the conversation is in now;
/// `None` when it is gone.
pub async fn lock_conversation(
    tx: &mut Tx,
    conversation: ConversationId,
) -> AppResult<Option<Option<TeamId>>> {
    let id = conversation.to_string();
    let sql = format!(
        "SELECT 1 FROM contacts WHERE id = (SELECT contact_id FROM conversations WHERE id = $1){}",
        tx.backend().for_update_of("contacts")
    );
    on_tx!(tx, c => sqlx::query(&sql).bind(&id).execute(&mut *c).await?.rows_affected());
    let sql = format!(
        "SELECT team_id FROM conversations WHERE id = $1{}",
        tx.backend().for_update_of("conversations")
    );
    let team: Option<Option<String>> =
        on_tx!(tx, c => sqlx::query_scalar(&sql).bind(&id).fetch_optional(&mut *c).await?);
    Ok(team.map(|t| t.and_then(|t| t.parse().ok())))
}

/// Writes `plan` on `conversation` for the moment `key`, once: a second
/// call with the same rule, conversation and key does nothing (`false`).
/// The caller has locked the conversation ([`lock_conversation`]) and says
/// which team it is in now: a team's rule does not act on a conversation
/// that has left the team. A plan that fails is undone alone (logged), so
/// one bad rule does not stop the others. Each automated entry carries the
/// rule and why it ran.
pub async fn apply_plan(
    tx: &mut Tx,
    now: i64,
    conversation: ConversationId,
    team_now: Option<TeamId>,
    key: &str,
    plan: &Plan,
) -> AppResult<bool> {
    if plan.steps.iter().all(|s| matches!(s, Step::Skipped(_)))
        || plan.team.is_some_and(|team| Some(team) != team_now)
    {
        return Ok(false);
    }
    tx.savepoint("automation_plan").await?;
    match write_plan(tx, now, conversation, key, plan).await {
        Ok(done) => {
            tx.release("automation_plan").await?;
            Ok(done)
        }
        Err(e) => {
            tracing::warn!(rule = %plan.rule, %conversation, error = %e, "a rule's plan was undone");
            tx.rollback_to("automation_plan").await?;
            Ok(false)
        }
    }
}

async fn write_plan(
    tx: &mut Tx,
    now: i64,
    conversation: ConversationId,
    key: &str,
    plan: &Plan,
) -> AppResult<bool> {
    let recent: i64 = on_tx!(tx, c => {
        sqlx::query_scalar("SELECT COUNT(*) FROM rule_runs WHERE conversation_id = $1 AND ran_at > $2")
            .bind(conversation.to_string())
            .bind(now - 3_600_000)
            .fetch_one(&mut *c)
            .await?
    });
    if recent >= crate::automation::MAX_RUNS_PER_HOUR {
        return Ok(false);
    }
    if !claim_run(tx, &plan.rule, conversation, key, now).await? {
        return Ok(false);
    }
    let because = json!({
        "rule": plan.rule,
        "rule_name": plan.rule_name,
        "why": plan.why,
        "because": plan.why.sentence(),
    });
    for step in &plan.steps {
        match step {
            Step::Reply { text, once_per } => {
                if let Some(period) = once_per {
                    if has_run(tx, CLOSED_REPLY_GUARD, conversation, period).await? {
                        continue;
                    }
                }
                let mut fields = because.clone();
                fields["automated"] = Value::from("rule");
                let sent =
                    super::outbound::queue_automated_reply(tx, now, conversation, text, fields)
                        .await?;
                if let (Some(_), Some(period)) = (sent, once_per) {
                    claim_run(tx, CLOSED_REPLY_GUARD, conversation, period, now).await?;
                }
            }
            Step::Act(action) => {
                super::triage::apply_automated(
                    tx,
                    now,
                    conversation,
                    action,
                    &format!("Rule “{}”", plan.rule_name),
                    &because,
                )
                .await?;
            }
            Step::Note(text) => {
                super::triage::add_automated_note(tx, now, conversation, text, &because, false)
                    .await?;
            }
            Step::Notify(text) => {
                super::triage::add_automated_note(tx, now, conversation, text, &because, true)
                    .await?;
            }
            Step::AutoAssign(method) => {
                super::assignment::assign_in(tx, conversation, *method, now, Some(&because))
                    .await?;
            }
            Step::Skipped(_) => {}
        }
    }
    Ok(true)
}

/// Validated rule input, as stored.
pub struct RuleRecord<'a> {
    pub input: &'a RuleInput,
    pub position: i64,
}

fn to_json<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(|e| anyhow::anyhow!("cannot write a rule: {e}").into())
}

/// Saves a new rule (`id` `None`) or replaces one; returns its id, or
/// `None` when the rule to replace does not exist.
pub async fn save_rule(
    tx: &mut Tx,
    now: i64,
    actor: UserId,
    id: Option<&str>,
    rule: &RuleRecord<'_>,
) -> AppResult<Option<String>> {
    let input = rule.input;
    let (trigger, conditions, actions) = (
        to_json(&input.trigger)?,
        to_json(&input.conditions)?,
        to_json(&input.actions)?,
    );
    let team = input.team.map(|t| t.to_string());
    // Both statements take the same parameters in the same order.
    let (sql, id) = match id {
        None => (
            "INSERT INTO rules (id, name, enabled, team_id, trigger, conditions, actions, stop, position, \
                                updated_at, updated_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10)",
            Uuid::new_v4().to_string(),
        ),
        Some(id) => (
            "UPDATE rules SET name = $2, enabled = $3, team_id = $4, trigger = $5, conditions = $6, \
               actions = $7, stop = $8, position = $9, updated_at = $10, updated_by = $11 WHERE id = $1",
            id.to_owned(),
        ),
    };
    let changed = on_tx!(tx, c => {
        sqlx::query(sql)
            .bind(&id)
            .bind(&input.name)
            .bind(input.enabled)
            .bind(&team)
            .bind(&trigger)
            .bind(&conditions)
            .bind(&actions)
            .bind(input.stop)
            .bind(rule.position)
            .bind(now)
            .bind(actor.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok((changed == 1).then_some(id))
}

/// The position after the last rule's.
pub async fn next_rule_position(tx: &mut Tx) -> AppResult<i64> {
    let last: Option<i64> = on_tx!(tx, c => {
        sqlx::query_scalar("SELECT MAX(position) FROM rules").fetch_one(&mut *c).await?
    });
    Ok(last.map_or(0, |p| p + 10))
}

pub async fn delete_rule(tx: &mut Tx, id: &str) -> AppResult<bool> {
    let gone = on_tx!(tx, c => {
        sqlx::query("DELETE FROM rules WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(gone == 1)
}

/// The rule's event: `rule.saved` or `rule.deleted`. Not tagged with the
/// rule's team: agents do not see rules, so the socket shows the event
/// only to its actor, admins and compliance.
pub async fn log_rule(
    tx: &mut Tx,
    now: i64,
    actor: UserId,
    kind: &'static str,
    payload: Value,
) -> AppResult<()> {
    append(tx, now, &[NewEvent::new(kind, Some(actor), payload)]).await?;
    Ok(())
}
