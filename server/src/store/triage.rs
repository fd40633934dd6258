//! Writing a conversation's changes: reads the facts `crate::triage`
//! decides from, then writes the change, its activity entry, its jobs and
//! its events in one transaction. Internal notes with mentions.

use super::conversations::{next_position, Placement, Scope};
use super::events::{append, NewEvent};
use super::jobs::{enqueue, NewJob};
use super::outbound::{set_kf_session, KfHold};
use super::search::index_message;
use super::{stored, Store, Tx};
use crate::error::{AppError, AppResult};
use crate::triage::{self, Change, Conversation, Facts};
use crate::{on_read, on_tx};
use serde_json::{json, Value};
use shared::api::{Colleague, ConversationAction, Direction, Priority, Status};
use shared::{ChannelId, ConversationId, MessageId, Role, TeamId, UserId};
use uuid::Uuid;

/// Wakes a snoozed conversation when its time comes.
pub const WAKE_JOB: &str = "conversation.wake";

/// Who makes a change, and what they may see.
pub struct Actor<'a> {
    pub id: UserId,
    pub name: &'a str,
    pub scope: Scope<'a>,
}

#[derive(sqlx::FromRow)]
struct ConversationRow {
    #[sqlx(try_from = "String")]
    id: ConversationId,
    team_id: Option<String>,
    #[sqlx(try_from = "String")]
    status: Status,
    assignee: Option<String>,
    assignee_name: Option<String>,
    priority: String,
    snoozed_until: Option<i64>,
}

/// The conversation, locked for the change on PostgreSQL; hidden ones are 404.
async fn current(tx: &mut Tx, scope: &Scope<'_>, id: ConversationId) -> AppResult<Conversation> {
    let lock = tx.backend().for_update_of("v");
    let sql = format!(
        "SELECT v.id, v.team_id, v.status, v.assignee, u.name AS assignee_name, v.priority, v.snoozed_until \
         FROM conversations v LEFT JOIN users u ON u.id = v.assignee WHERE v.id = $1{lock}"
    );
    let found: Option<ConversationRow> =
        on_tx!(tx, c => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(&mut *c).await?);
    let found = found.ok_or(AppError::NotFound("That conversation"))?;
    let current = Conversation {
        id: found.id,
        team: found.team_id.as_deref().map(stored).transpose()?,
        status: found.status,
        assignee: found.assignee.as_deref().map(stored).transpose()?,
        assignee_name: found.assignee_name,
        // Older rows may hold an empty priority: normal.
        priority: found.priority.parse().unwrap_or(Priority::Normal),
        snoozed_until: found.snoozed_until,
    };
    if scope.allows(current.team) {
        Ok(current)
    } else {
        Err(AppError::NotFound("That conversation"))
    }
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

/// Applies `action` to conversation `id`. `Ok(false)` means nothing needed
/// to change (claiming what one already holds, setting the same priority).
pub async fn apply(
    store: &Store,
    now: i64,
    actor: &Actor<'_>,
    id: ConversationId,
    action: &ConversationAction,
) -> AppResult<bool> {
    let mut tx = store.begin().await?;
    let current = current(&mut tx, &actor.scope, id).await?;
    let facts = match action {
        ConversationAction::Assign { user, .. } => Facts {
            person: colleague(&mut tx, *user, current.team).await?,
            team_name: None,
        },
        ConversationAction::Transfer { team, user, .. } => Facts {
            person: match user {
                Some(user) => colleague(&mut tx, *user, Some(*team)).await?,
                None => None,
            },
            team_name: team_name(&mut tx, *team).await?,
        },
        _ => Facts::default(),
    };
    let Some(change) = triage::decide(&current, action, actor.id, actor.name, now, &facts)? else {
        return Ok(false);
    };
    write_change(&mut tx, now, Some(actor.id), &current, change).await?;
    store.commit(tx).await?;
    Ok(true)
}

async fn write_change(
    tx: &mut Tx,
    now: i64,
    actor: Option<UserId>,
    current: &Conversation,
    change: Change,
) -> AppResult<()> {
    let id = current.id.to_string();
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE conversations SET \
               status = COALESCE($2, status), \
               snoozed_until = CASE WHEN $3 THEN $4 ELSE snoozed_until END, \
               assignee = CASE WHEN $5 THEN $6 ELSE assignee END, \
               team_id = COALESCE($7, team_id), \
               priority = COALESCE($8, priority), \
               waiting_since = CASE WHEN $9 THEN NULL ELSE waiting_since END \
             WHERE id = $1",
        )
        .bind(&id)
        .bind(change.status.map(Status::as_str))
        .bind(change.snoozed_until.is_some())
        .bind(change.snoozed_until.flatten())
        .bind(change.assignee.is_some())
        .bind(change.assignee.flatten().map(|u| u.to_string()))
        .bind(change.team.map(|t| t.to_string()))
        .bind(change.priority.map(Priority::as_str))
        .bind(change.ends_waiting())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    for label in &change.add_labels {
        let sql = "INSERT INTO conversation_labels (conversation_id, label) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        on_tx!(tx, c => sqlx::query(sql).bind(&id).bind(label).execute(&mut *c).await?.rows_affected());
    }
    for label in &change.remove_labels {
        on_tx!(tx, c => {
            sqlx::query("DELETE FROM conversation_labels WHERE conversation_id = $1 AND label = $2")
                .bind(&id)
                .bind(label)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
    }
    if change.ends_waiting() {
        super::kf::end_on_resolve(tx, now, current.id).await?;
    }
    if let Some(until) = change.wake_at() {
        let job = NewJob {
            run_at: until,
            ..NewJob::now(
                WAKE_JOB,
                json!({ "conversation": current.id, "until": until }),
                now,
            )
        };
        enqueue(tx, now, &job).await?;
    }
    let message = insert_entry(
        tx,
        now,
        current.id,
        Direction::Activity,
        change.action,
        &change.sentence,
        &change.fields,
        actor,
    )
    .await?;
    let old_team = current.team;
    let new_team = change.team.or(old_team);
    let payload = json!({
        "conversation": current.id,
        "message": message,
        "action": change.action,
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
pub async fn insert_entry(
    tx: &mut Tx,
    now: i64,
    conversation_id: ConversationId,
    direction: Direction,
    kind: &str,
    body: &str,
    fields: &Value,
    author: Option<UserId>,
) -> AppResult<MessageId> {
    let position = next_position(tx, now, conversation_id, Placement::Internal).await?;
    let message_id = MessageId(Uuid::new_v4());
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO messages (id, channel_id, conversation_id, position, direction, kind, body, fields, dedupe_key, author, created_at) \
             SELECT $1, channel_id, id, $2, $3, $4, $5, $6, $7, $8, $9 FROM conversations WHERE id = $10",
        )
        .bind(message_id.to_string())
        .bind(position)
        .bind(direction.as_str())
        .bind(kind)
        .bind(body)
        .bind(fields.to_string())
        .bind(format!("{direction}:{message_id}"))
        .bind(author.map(|a| a.to_string()))
        .bind(now)
        .bind(conversation_id.to_string())
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
    id: ConversationId,
    text: &str,
    mentions: &[UserId],
) -> AppResult<MessageId> {
    let text = triage::note_text(text)?;
    let mentioned = triage::distinct_mentions(mentions)?;
    let mut tx = store.begin().await?;
    let current = current(&mut tx, &actor.scope, id).await?;
    for user in &mentioned {
        if colleague(&mut tx, *user, current.team).await?.is_none() {
            return Err(AppError::validation(
                "mentions",
                "Only active members of this conversation's team can be mentioned.",
            ));
        }
    }
    let fields = json!({ "mentions": mentioned });
    let message = insert_entry(
        &mut tx,
        now,
        id,
        Direction::Note,
        "note",
        text,
        &fields,
        Some(actor.id),
    )
    .await?;
    index_message(&mut tx, message, text).await?;
    for user in &mentioned {
        insert_mention(&mut tx, now, id, message, *user, actor.id).await?;
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
        &[NewEvent::new("note.added", Some(actor.id), payload).in_team(current.team)],
    )
    .await?;
    store.commit(tx).await?;
    Ok(message)
}

/// A rule's change to conversation `id`, in the caller's transaction:
/// decided as a person's would be, worded "Rule “After hours” assigned
/// this to Ken", with `because` (the rule and why) added to the entry's
/// fields and so to its event. `Ok(false)`: nothing changed, or the change
/// does not apply (a person who left the team, a status it already has).
pub async fn apply_automated(
    tx: &mut Tx,
    now: i64,
    id: ConversationId,
    action: &ConversationAction,
    actor_name: &str,
    because: &Value,
) -> AppResult<bool> {
    let current = current(tx, &Scope::All, id).await?;
    let facts = match action {
        ConversationAction::Assign { user, .. } => Facts {
            person: colleague(tx, *user, current.team).await?,
            team_name: None,
        },
        ConversationAction::Transfer { team, .. } => Facts {
            person: None,
            team_name: team_name(tx, *team).await?,
        },
        _ => Facts::default(),
    };
    let mut change = match triage::decide(
        &current,
        action,
        UserId(Uuid::nil()),
        actor_name,
        now,
        &facts,
    ) {
        Ok(Some(change)) => change,
        Ok(None) => return Ok(false),
        Err(AppError::Validation { message, .. })
        | Err(AppError::ConflictBecause { message, .. }) => {
            tracing::info!(conversation = %id, %message, "a rule's change does not apply");
            return Ok(false);
        }
        Err(other) => return Err(other),
    };
    merge(&mut change.fields, because);
    write_change(tx, now, None, &current, change).await?;
    Ok(true)
}

/// A rule's internal note, in the caller's transaction; `supervisors`:
/// it mentions the active supervisors of the conversation's team, so it
/// lands in their Mentions queue.
pub async fn add_automated_note(
    tx: &mut Tx,
    now: i64,
    id: ConversationId,
    text: &str,
    because: &Value,
    supervisors: bool,
) -> AppResult<MessageId> {
    let text = triage::note_text(text)?;
    let current = current(tx, &Scope::All, id).await?;
    let mentioned = match (supervisors, current.team) {
        (true, Some(team)) => team_supervisors(tx, team).await?,
        _ => Vec::new(),
    };
    let mut fields = json!({ "mentions": mentioned });
    merge(&mut fields, because);
    let message = insert_entry(tx, now, id, Direction::Note, "note", text, &fields, None).await?;
    index_message(tx, message, text).await?;
    for user in &mentioned {
        insert_mention(tx, now, id, message, *user, UserId(Uuid::nil())).await?;
    }
    let mut payload = json!({
        "conversation": id,
        "message": message,
        "body": text,
        "mentions": mentioned,
    });
    merge(&mut payload, because);
    append(
        tx,
        now,
        &[NewEvent::new("note.added", None, payload).in_team(current.team)],
    )
    .await?;
    Ok(message)
}

/// `user` is mentioned in note `message` (by `author`; nil: a rule).
async fn insert_mention(
    tx: &mut Tx,
    now: i64,
    conversation: ConversationId,
    message: MessageId,
    user: UserId,
    author: UserId,
) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO mentions (id, conversation_id, message_id, user_id, author, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(conversation.to_string())
        .bind(message.to_string())
        .bind(user.to_string())
        .bind(author.to_string())
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// The active supervisors of `team`.
async fn team_supervisors(tx: &mut Tx, team: TeamId) -> AppResult<Vec<UserId>> {
    let rows: Vec<String> = on_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT u.id FROM users u JOIN team_members m ON m.user_id = u.id \
             WHERE m.team_id = $1 AND u.role = 'supervisor' AND u.active = TRUE ORDER BY u.id",
        )
        .bind(team.to_string())
        .fetch_all(&mut *c)
        .await?
    });
    Ok(rows.iter().filter_map(|id| id.parse().ok()).collect())
}

/// `extra`'s keys copied into `into` (both objects).
fn merge(into: &mut Value, extra: &Value) {
    if let (Some(into), Some(extra)) = (into.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            into.insert(key.clone(), value.clone());
        }
    }
}

/// The `conversation.wake` job: a snoozed conversation whose time has come opens again.
pub async fn wake(
    store: &Store,
    now: i64,
    conversation_id: ConversationId,
    until: i64,
) -> AppResult<()> {
    let mut tx = store.begin().await?;
    let current = current(&mut tx, &Scope::All, conversation_id).await?;
    // Re-snoozed to another time, or woken already: a later job handles it.
    let Some(change) = triage::wake(&current, until, now) else {
        return Ok(());
    };
    write_change(&mut tx, now, None, &current, change).await?;
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
    conversation_id: ConversationId,
    from_name: &str,
) -> AppResult<()> {
    let mut tx = store.begin().await?;
    let current = current(&mut tx, &Scope::All, conversation_id).await?;
    let change = triage::took_over(actor_name, from_name);
    write_change(&mut tx, now, Some(actor), &current, change).await?;
    store.commit(tx).await?;
    Ok(())
}

/// Records who has a WeCom conversation's session after an agent took it
/// back (as of `as_of`, when WeCom was asked), with the activity entry
/// saying what they did (if anything changed in WeCom), in one transaction.
pub async fn log_kf_session(
    store: &Store,
    now: i64,
    actor: UserId,
    conversation_id: ConversationId,
    (channel, open_id, hold, as_of): (ChannelId, &str, KfHold<'_>, i64),
    change: Option<Change>,
) -> AppResult<()> {
    let mut tx = store.begin().await?;
    set_kf_session(&mut tx, as_of, channel, open_id, hold).await?;
    if let Some(change) = change {
        let current = current(&mut tx, &Scope::All, conversation_id).await?;
        write_change(&mut tx, now, Some(actor), &current, change).await?;
    }
    store.commit(tx).await?;
    Ok(())
}

impl Store {
    /// `Some(team)` when the conversation exists.
    pub async fn conversation_team(&self, id: ConversationId) -> AppResult<Option<Option<TeamId>>> {
        let row: Option<Option<String>> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT team_id FROM conversations WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|team| team.and_then(|t| t.parse().ok())))
    }

    /// The team each of `ids` has now; conversations that do not exist are absent.
    pub async fn conversation_teams(
        &self,
        ids: &[ConversationId],
    ) -> AppResult<std::collections::HashMap<ConversationId, Option<TeamId>>> {
        let mut teams = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, team_id FROM conversations WHERE id IN ({})",
                super::marks(chunk.len(), 1)
            );
            let rows: Vec<(String, Option<String>)> = on_read!(self, pool => {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id.to_string());
                }
                query.fetch_all(pool).await?
            });
            for (id, team) in rows {
                teams.insert(
                    super::stored(&id)?,
                    team.map(|t| super::stored(&t)).transpose()?,
                );
            }
        }
        Ok(teams)
    }

    /// The newest reply to this conversation by someone other than `author`
    /// at or after `since`: (author's name, when).
    pub async fn recent_reply_by_other(
        &self,
        conversation_id: ConversationId,
        author: UserId,
        since: i64,
    ) -> AppResult<Option<(String, i64)>> {
        Ok(on_read!(self, pool => {
            sqlx::query_as(
                "SELECT COALESCE(u.name, 'Another agent'), m.created_at FROM messages m LEFT JOIN users u ON u.id = m.author \
                 WHERE m.conversation_id = $1 AND m.direction = 'out' AND m.author <> $2 AND m.created_at >= $3 \
                 ORDER BY m.position DESC LIMIT 1",
            )
            .bind(conversation_id.to_string())
            .bind(author.to_string())
            .bind(since)
            .fetch_optional(pool)
            .await?
        }))
    }
}
