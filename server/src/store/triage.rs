//! Changing a conversation: claim, assign, transfer, unassign, status,
//! snooze, priority and labels; internal notes with mentions. Each change
//! writes an activity entry into the timeline ("Amy assigned this to Ken")
//! and an event, in one transaction with the change itself.

use super::conversations::{next_position, Placement, Scope};
use super::events::{append, NewEvent};
use super::jobs::{enqueue, NewJob};
use super::search::index_message;
use super::{Store, Tx};
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use serde_json::{json, Value};
use shared::api::{Colleague, ConversationAction, Priority};
use shared::{Role, TeamId, UserId};
use uuid::Uuid;

/// Wakes a snoozed conversation when its time comes.
pub const WAKE_JOB: &str = "conversation.wake";

const MAX_NOTE_CHARS: usize = 4000;
const MAX_LABEL_CHARS: usize = 32;
const MAX_LABELS: usize = 20;

/// Who makes a change, and what they may see.
pub struct Actor<'a> {
    pub id: UserId,
    pub name: &'a str,
    pub scope: Scope<'a>,
}

#[derive(sqlx::FromRow)]
struct Current {
    id: String,
    team_id: Option<String>,
    status: String,
    assignee: Option<String>,
    assignee_name: Option<String>,
    priority: String,
    snoozed_until: Option<i64>,
}

impl Current {
    fn team(&self) -> Option<TeamId> {
        self.team_id.as_deref().and_then(|t| t.parse().ok())
    }
}

/// The conversation, locked for the change on PostgreSQL; hidden ones are 404.
async fn current(tx: &mut Tx, scope: &Scope<'_>, id: &str) -> AppResult<Current> {
    let lock = tx.backend().for_update_of("v");
    let sql = format!(
        "SELECT v.id, v.team_id, v.status, v.assignee, u.name AS assignee_name, v.priority, v.snoozed_until \
         FROM conversations v LEFT JOIN users u ON u.id = v.assignee WHERE v.id = $1{lock}"
    );
    let found: Option<Current> =
        on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(&mut *c).await?);
    found
        .filter(|c| scope.allows(c.team()))
        .ok_or(AppError::NotFound("That conversation"))
}

/// An active user who may work in `team`: its members, and admins.
/// Who may work a conversation of team `$1`: active agents and supervisors
/// of the team, and admins; never compliance, who only reads.
const COLLEAGUE_OF_TEAM: &str = "u.active = TRUE AND u.role <> 'compliance' \
     AND (u.role = 'admin' OR EXISTS (SELECT 1 FROM team_members m WHERE m.user_id = u.id AND m.team_id = $1))";

async fn colleague(
    tx: &mut Tx,
    user: UserId,
    team: Option<TeamId>,
) -> AppResult<Option<Colleague>> {
    let sql =
        format!("SELECT u.id, u.name, u.role FROM users u WHERE {COLLEAGUE_OF_TEAM} AND u.id = $2");
    let row: Option<(String, String, String)> = on_tx!(tx, c => {
        sqlx::query_as(&sql)
            .bind(team.map(|t| t.to_string()).unwrap_or_default())
            .bind(user.to_string())
            .fetch_optional(&mut *c)
            .await?
    });
    Ok(row.map(|(id, name, role)| Colleague {
        id: id.parse().unwrap_or(user),
        name,
        role: role.parse().unwrap_or(Role::Agent),
    }))
}

async fn team_name(tx: &mut Tx, team: TeamId) -> AppResult<Option<String>> {
    Ok(on_tx!(tx, c => {
        sqlx::query_scalar("SELECT name FROM teams WHERE id = $1")
            .bind(team.to_string())
            .fetch_optional(&mut *c)
            .await?
    }))
}

/// The new column values and what to say about them.
#[derive(Default)]
struct Change {
    status: Option<String>,
    snoozed_until: Option<Option<i64>>,
    assignee: Option<Option<UserId>>,
    team: Option<TeamId>,
    priority: Option<String>,
    add_labels: Vec<String>,
    remove_labels: Vec<String>,
    /// The activity entry's text.
    sentence: String,
    fields: Value,
}

/// Applies `action` to conversation `id`. `Ok(false)` means nothing needed
/// to change (claiming what one already holds, resolving what is resolved).
pub async fn apply(
    store: &Store,
    now: i64,
    actor: &Actor<'_>,
    id: &str,
    action: &ConversationAction,
) -> AppResult<bool> {
    let mut tx = store.begin().await?;
    let current = current(&mut tx, &actor.scope, id).await?;
    let me = actor.id.to_string();
    let name = actor.name;
    let change = match action {
        ConversationAction::Claim => {
            if current.assignee.as_deref() == Some(me.as_str()) {
                return Ok(false);
            }
            if current.assignee.is_some() {
                let holder = current.assignee_name.as_deref().unwrap_or("Someone else");
                return Err(AppError::Conflict(format!(
                    "{holder} already has this conversation. Ask them or a supervisor to hand it over."
                )));
            }
            Change {
                assignee: Some(Some(actor.id)),
                sentence: format!("{name} claimed this"),
                fields: json!({ "assignee": me }),
                ..Change::default()
            }
        }
        ConversationAction::Assign { user, note } => {
            let target = colleague(&mut tx, *user, current.team())
                .await?
                .ok_or_else(|| {
                    AppError::validation(
                        "user",
                        "That person is not an active member of this conversation's team.",
                    )
                })?;
            if current.assignee.as_deref() == Some(target.id.to_string().as_str()) {
                return Ok(false);
            }
            let note = clean_note(note.as_deref())?;
            Change {
                assignee: Some(Some(target.id)),
                sentence: with_note(
                    format!("{name} assigned this to {}", target.name),
                    note.as_deref(),
                ),
                fields: json!({ "assignee": target.id, "assignee_name": target.name, "note": note }),
                ..Change::default()
            }
        }
        ConversationAction::Transfer { team, user, note } => {
            let team_label = team_name(&mut tx, *team)
                .await?
                .ok_or_else(|| AppError::validation("team", "That team does not exist."))?;
            let person = match user {
                Some(user) => Some(colleague(&mut tx, *user, Some(*team)).await?.ok_or_else(
                    || {
                        AppError::validation(
                            "user",
                            "That person is not an active member of that team.",
                        )
                    },
                )?),
                None => None,
            };
            let note = clean_note(note.as_deref())?;
            let to = match &person {
                Some(p) => format!("{team_label} ({})", p.name),
                None => team_label.clone(),
            };
            Change {
                team: Some(*team),
                assignee: Some(person.as_ref().map(|p| p.id)),
                sentence: with_note(format!("{name} transferred this to {to}"), note.as_deref()),
                fields: json!({ "team": team, "team_name": team_label, "assignee": person.as_ref().map(|p| p.id), "note": note }),
                ..Change::default()
            }
        }
        ConversationAction::Unassign => {
            let Some(holder) = current
                .assignee_name
                .clone()
                .filter(|_| current.assignee.is_some())
            else {
                return Ok(false);
            };
            Change {
                assignee: Some(None),
                sentence: format!("{name} unassigned {holder}"),
                fields: json!({ "assignee": null }),
                ..Change::default()
            }
        }
        ConversationAction::Resolve => {
            status_change(&current, "resolved", format!("{name} resolved this"))?
        }
        ConversationAction::Reopen => {
            status_change(&current, "open", format!("{name} reopened this"))?
        }
        ConversationAction::Pending => status_change(
            &current,
            "pending",
            format!("{name} marked this as waiting on the client"),
        )?,
        ConversationAction::Snooze { until } => {
            if *until <= now {
                return Err(AppError::validation(
                    "until",
                    "Snooze until a time in the future.",
                ));
            }
            if *until > now + 365 * 86_400_000 {
                return Err(AppError::validation("until", "Snooze for at most a year."));
            }
            Change {
                status: Some("snoozed".into()),
                snoozed_until: Some(Some(*until)),
                sentence: format!("{name} snoozed this"),
                fields: json!({ "status": "snoozed", "until": until }),
                ..Change::default()
            }
        }
        ConversationAction::Priority { priority } => {
            if priority.parse::<Priority>().is_err() {
                return Err(AppError::validation(
                    "priority",
                    "Priority is low, normal, high or urgent.",
                ));
            }
            if *priority == current.priority {
                return Ok(false);
            }
            Change {
                priority: Some(priority.clone()),
                sentence: format!("{name} set the priority to {priority}"),
                fields: json!({ "priority": priority }),
                ..Change::default()
            }
        }
        ConversationAction::Labels { add, remove } => {
            let add = clean_labels(add)?;
            let remove = clean_labels(remove)?;
            if add.is_empty() && remove.is_empty() {
                return Err(AppError::validation(
                    "add",
                    "Name a label to add or remove.",
                ));
            }
            let mut parts = Vec::new();
            if !add.is_empty() {
                parts.push(format!("added {}", add.join(", ")));
            }
            if !remove.is_empty() {
                parts.push(format!("removed {}", remove.join(", ")));
            }
            Change {
                sentence: format!("{name} {}", parts.join(" and ")),
                fields: json!({ "add": add, "remove": remove }),
                add_labels: add,
                remove_labels: remove,
                ..Change::default()
            }
        }
    };
    write_change(
        &mut tx,
        now,
        Some(actor.id),
        &current,
        action_name(action),
        change,
    )
    .await?;
    store.commit(tx).await?;
    Ok(true)
}

fn action_name(action: &ConversationAction) -> &'static str {
    match action {
        ConversationAction::Claim => "claimed",
        ConversationAction::Assign { .. } => "assigned",
        ConversationAction::Transfer { .. } => "transferred",
        ConversationAction::Unassign => "unassigned",
        ConversationAction::Resolve => "resolved",
        ConversationAction::Reopen => "reopened",
        ConversationAction::Pending => "pending",
        ConversationAction::Snooze { .. } => "snoozed",
        ConversationAction::Priority { .. } => "priority",
        ConversationAction::Labels { .. } => "labels",
    }
}

fn status_change(current: &Current, status: &str, sentence: String) -> AppResult<Change> {
    if current.status == status {
        return Err(AppError::Conflict(format!(
            "This conversation is already {status}."
        )));
    }
    Ok(Change {
        status: Some(status.to_owned()),
        snoozed_until: Some(None),
        sentence,
        fields: json!({ "status": status }),
        ..Change::default()
    })
}

fn clean_note(note: Option<&str>) -> AppResult<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(AppError::validation(
            "note",
            "Keep the handover note under 500 characters.",
        ));
    }
    Ok(note.map(str::to_owned))
}

fn with_note(sentence: String, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("{sentence}: “{note}”"),
        None => sentence,
    }
}

fn clean_labels(labels: &[String]) -> AppResult<Vec<String>> {
    let mut clean: Vec<String> = Vec::new();
    for label in labels {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || label.contains(',') {
            return Err(AppError::validation(
                "labels",
                format!("A label is 1 to {MAX_LABEL_CHARS} characters without commas."),
            ));
        }
        if !clean.iter().any(|l| l == label) {
            clean.push(label.to_owned());
        }
    }
    if clean.len() > MAX_LABELS {
        return Err(AppError::validation(
            "labels",
            format!("At most {MAX_LABELS} labels at a time."),
        ));
    }
    Ok(clean)
}

async fn write_change(
    tx: &mut Tx,
    now: i64,
    actor: Option<UserId>,
    current: &Current,
    action: &'static str,
    change: Change,
) -> AppResult<()> {
    let id = current.id.as_str();
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE conversations SET \
               status = COALESCE($2, status), \
               snoozed_until = CASE WHEN $3 THEN $4 ELSE snoozed_until END, \
               assignee = CASE WHEN $5 THEN $6 ELSE assignee END, \
               team_id = COALESCE($7, team_id), \
               priority = COALESCE($8, priority), \
               waiting_since = CASE WHEN $2 = 'resolved' THEN NULL ELSE waiting_since END \
             WHERE id = $1",
        )
        .bind(id)
        .bind(&change.status)
        .bind(change.snoozed_until.is_some())
        .bind(change.snoozed_until.flatten())
        .bind(change.assignee.is_some())
        .bind(change.assignee.flatten().map(|u| u.to_string()))
        .bind(change.team.map(|t| t.to_string()))
        .bind(&change.priority)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    for label in &change.add_labels {
        let sql = "INSERT INTO conversation_labels (conversation_id, label) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        on_tx!(tx, c => sqlx::query(sql).bind(id).bind(label).execute(&mut *c).await?.rows_affected());
    }
    for label in &change.remove_labels {
        on_tx!(tx, c => {
            sqlx::query("DELETE FROM conversation_labels WHERE conversation_id = $1 AND label = $2")
                .bind(id)
                .bind(label)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
    }
    if let Some(Some(until)) = change.snoozed_until {
        let job = NewJob {
            run_at: until,
            ..NewJob::now(WAKE_JOB, json!({ "conversation": id, "until": until }), now)
        };
        enqueue(tx, now, &job).await?;
    }
    let message = insert_entry(
        tx,
        now,
        id,
        "activity",
        action,
        &change.sentence,
        &change.fields,
        actor,
    )
    .await?;
    let old_team = current.team();
    let new_team = change.team.or(old_team);
    let payload = json!({
        "conversation": id,
        "message": message,
        "action": action,
        "text": change.sentence,
        "fields": change.fields,
    });
    let mut events =
        vec![NewEvent::new("conversation.updated", actor, payload.clone()).in_team(new_team)];
    if new_team != old_team {
        // Those who could see it before learn that it left their team.
        events.push(NewEvent::new("conversation.updated", actor, payload).in_team(old_team));
    }
    append(tx, now, &events).await?;
    Ok(())
}

/// Writes a note or an activity entry into the timeline; returns its id.
#[allow(clippy::too_many_arguments)]
async fn insert_entry(
    tx: &mut Tx,
    now: i64,
    conversation_id: &str,
    direction: &str,
    kind: &str,
    body: &str,
    fields: &Value,
    author: Option<UserId>,
) -> AppResult<String> {
    let position = next_position(tx, now, conversation_id, Placement::Internal).await?;
    let message_id = Uuid::new_v4().to_string();
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO messages (id, channel_id, conversation_id, position, direction, kind, body, fields, dedupe_key, author, created_at) \
             SELECT $1, channel_id, id, $2, $3, $4, $5, $6, $7, $8, $9 FROM conversations WHERE id = $10",
        )
        .bind(&message_id)
        .bind(position)
        .bind(direction)
        .bind(kind)
        .bind(body)
        .bind(fields.to_string())
        .bind(format!("{direction}:{message_id}"))
        .bind(author.map(|a| a.to_string()))
        .bind(now)
        .bind(conversation_id)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(message_id)
}

/// Adds an internal note; `mentions` must be people who may see the
/// conversation. Returns the note's message id.
pub async fn add_note(
    store: &Store,
    now: i64,
    actor: &Actor<'_>,
    id: &str,
    text: &str,
    mentions: &[UserId],
) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::validation("text", "Write something in the note."));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::validation(
            "text",
            format!("Keep a note under {MAX_NOTE_CHARS} characters."),
        ));
    }
    let mut tx = store.begin().await?;
    let current = current(&mut tx, &actor.scope, id).await?;
    let mut mentioned: Vec<UserId> = Vec::new();
    for user in mentions {
        if mentioned.contains(user) {
            continue;
        }
        if colleague(&mut tx, *user, current.team()).await?.is_none() {
            return Err(AppError::validation(
                "mentions",
                "Only active members of this conversation's team can be mentioned.",
            ));
        }
        mentioned.push(*user);
    }
    let fields = json!({ "mentions": mentioned });
    let message = insert_entry(
        &mut tx,
        now,
        id,
        "note",
        "note",
        text,
        &fields,
        Some(actor.id),
    )
    .await?;
    index_message(&mut tx, &message, text).await?;
    for user in &mentioned {
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO mentions (id, conversation_id, message_id, user_id, author, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(id)
            .bind(&message)
            .bind(user.to_string())
            .bind(actor.id.to_string())
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
    }
    let payload = json!({
        "conversation": id,
        "message": message,
        "body": text,
        "author_name": actor.name,
        "mentions": mentioned,
    });
    append(
        &mut tx,
        now,
        &[NewEvent::new("note.added", Some(actor.id), payload).in_team(current.team())],
    )
    .await?;
    store.commit(tx).await?;
    Ok(message)
}

/// The `conversation.wake` job: a snoozed conversation whose time has come opens again.
pub async fn wake(store: &Store, now: i64, conversation_id: &str, until: i64) -> AppResult<()> {
    let mut tx = store.begin().await?;
    let current = current(&mut tx, &Scope::All, conversation_id).await?;
    let due = current
        .snoozed_until
        .filter(|_| current.status == "snoozed");
    // Re-snoozed to another time, or woken already: a later job handles it.
    if due != Some(until) || until > now {
        return Ok(());
    }
    let change = Change {
        status: Some("open".into()),
        snoozed_until: Some(None),
        sentence: "The snooze ended".into(),
        fields: json!({ "status": "open" }),
        ..Change::default()
    };
    write_change(&mut tx, now, None, &current, "woke", change).await?;
    store.commit(tx).await?;
    Ok(())
}

impl Store {
    /// People who may be assigned or mentioned in a conversation of `team`.
    pub async fn colleagues(&self, team: Option<TeamId>) -> AppResult<Vec<Colleague>> {
        let sql = format!(
            "SELECT u.id, u.name, u.role FROM users u WHERE {COLLEAGUE_OF_TEAM} ORDER BY u.name"
        );
        let rows: Vec<(String, String, String)> = on_read!(self, pool => {
            sqlx::query_as(&sql)
            .bind(team.map(|t| t.to_string()).unwrap_or_default())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(id, name, role)| {
                Some(Colleague {
                    id: id.parse().ok()?,
                    name,
                    role: role.parse().ok()?,
                })
            })
            .collect())
    }
}

/// Records that `actor` took the reply lock over from `from_name`.
pub async fn log_take_over(
    store: &Store,
    now: i64,
    actor: UserId,
    actor_name: &str,
    conversation_id: &str,
    from_name: &str,
) -> AppResult<()> {
    let mut tx = store.begin().await?;
    let current = current(&mut tx, &Scope::All, conversation_id).await?;
    let change = Change {
        sentence: format!("{actor_name} took over the reply from {from_name}"),
        fields: json!({ "from": from_name }),
        ..Change::default()
    };
    write_change(&mut tx, now, Some(actor), &current, "took_over", change).await?;
    store.commit(tx).await?;
    Ok(())
}

impl Store {
    /// `Some(team)` when the conversation exists.
    pub async fn conversation_team(&self, id: &str) -> AppResult<Option<Option<TeamId>>> {
        let row: Option<Option<String>> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT team_id FROM conversations WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|team| team.and_then(|t| t.parse().ok())))
    }

    /// The newest reply to this conversation by someone other than `author`
    /// at or after `since`: (author's name, when).
    pub async fn recent_reply_by_other(
        &self,
        conversation_id: &str,
        author: UserId,
        since: i64,
    ) -> AppResult<Option<(String, i64)>> {
        Ok(on_read!(self, pool => {
            sqlx::query_as(
                "SELECT COALESCE(u.name, 'Another agent'), m.created_at FROM messages m LEFT JOIN users u ON u.id = m.author \
                 WHERE m.conversation_id = $1 AND m.direction = 'out' AND m.author <> $2 AND m.created_at >= $3 \
                 ORDER BY m.position DESC LIMIT 1",
            )
            .bind(conversation_id)
            .bind(author.to_string())
            .bind(since)
            .fetch_optional(pool)
            .await?
        }))
    }
}
