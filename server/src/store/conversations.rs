//! Reading conversations and their messages, limited to what a user may see:
//! queues with filters, sorts and cursors, one conversation, and a page of
//! its timeline.

use super::events::{append, NewEvent};
use super::{stored, Store, Tx};
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use serde_json::json;
use shared::api::{
    ConversationPage, ConversationQuery, ConversationSummary, Direction, MediaView, MessageView,
    Status,
};
use shared::{ChannelId, ContactId, ConversationId, MessageId, TeamId, UserId};

/// Who is asking: their id and which teams' conversations they may see.
pub struct Viewer<'a> {
    pub user: UserId,
    pub scope: Scope<'a>,
}

/// Which teams' conversations a query may return: all, or these.
pub enum Scope<'a> {
    All,
    Teams(&'a [TeamId]),
}

impl Scope<'_> {
    pub fn allows(&self, team: Option<TeamId>) -> bool {
        match self {
            Scope::All => true,
            Scope::Teams(teams) => team.is_some_and(|t| teams.contains(&t)),
        }
    }
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(try_from = "String")]
    id: ConversationId,
    #[sqlx(try_from = "String")]
    channel_id: ChannelId,
    channel_name: String,
    #[sqlx(try_from = "String")]
    contact_id: ContactId,
    contact_name: Option<String>,
    open_id: String,
    team_id: Option<String>,
    team_name: Option<String>,
    status: String,
    snoozed_until: Option<i64>,
    priority: String,
    assignee: Option<String>,
    assignee_name: Option<String>,
    last_message_at: i64,
    preview: Option<String>,
    waiting_since: Option<i64>,
    last_inbound_position: i64,
    read_position: Option<i64>,
    sla: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    #[sqlx(try_from = "String")]
    id: MessageId,
    #[sqlx(try_from = "String")]
    conversation_id: ConversationId,
    #[sqlx(try_from = "String")]
    direction: Direction,
    kind: String,
    body: Option<String>,
    status: Option<String>,
    error: Option<String>,
    author: Option<String>,
    author_name: Option<String>,
    position: i64,
    created_at: i64,
    media_state: Option<String>,
    media_type: Option<String>,
    media_size: Option<i64>,
    media_error: Option<String>,
    fields: String,
    recalled_at: Option<i64>,
}

/// A value bound to a `$n` placeholder of a query built at run time.
enum Arg {
    Text(String),
    Int(i64),
}

/// SQL text with numbered placeholders and their values, built together.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn arg(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        let n = self.args.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    fn text_arg(&mut self, value: impl Into<String>) -> &mut Self {
        self.arg(Arg::Text(value.into()))
    }

    fn list(&mut self, values: impl IntoIterator<Item = String>) -> &mut Self {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.text_arg(value);
        }
        self.push(")")
    }
}

const SUMMARY_SELECT: &str = "SELECT v.id, v.channel_id, ch.name AS channel_name, v.contact_id, \
     COALESCE(c.name, c.remark) AS contact_name, c.open_id, v.team_id, t.name AS team_name, v.status, \
     v.snoozed_until, v.priority, v.assignee, u.name AS assignee_name, v.last_message_at, v.preview, \
     v.waiting_since, v.last_inbound_position, r.position AS read_position, v.sla \
     FROM conversations v JOIN contacts c ON c.id = v.contact_id JOIN channels ch ON ch.id = v.channel_id \
     LEFT JOIN teams t ON t.id = v.team_id LEFT JOIN users u ON u.id = v.assignee \
     LEFT JOIN conversation_reads r ON r.conversation_id = v.id AND r.user_id = ";

/// Sort key of the waiting sort: not waiting sorts last.
const WAITING_KEY: &str = "COALESCE(v.waiting_since, 9223372036854775807)";

fn bad(field: &str, message: &str) -> AppError {
    AppError::validation(field, message)
}

impl Store {
    /// One page of a queue, after the query's cursor.
    ///
    /// Two steps, so a queue's first page is a short walk down an index
    /// whatever the size of the inbox: first the ids, one branch per team
    /// and status (each an index prefix whose order is the sort, each read
    /// only as far as the page needs) merged by the sort key; then those
    /// rows with their contact, channel, team and assignee.
    pub async fn list_conversations(
        &self,
        viewer: &Viewer<'_>,
        query: &ConversationQuery,
    ) -> AppResult<ConversationPage> {
        let limit = query.limit.unwrap_or(100).clamp(1, 500);
        let waiting = match query.sort.as_deref() {
            None | Some("activity") => false,
            Some("waiting") => true,
            Some(_) => return Err(bad("sort", "Sort by `activity` or `waiting`.")),
        };
        let queue = query.queue.as_deref().unwrap_or("all");
        if !["all", "team", "mine", "unassigned", "mentions"].contains(&queue) {
            return Err(bad(
                "queue",
                "Choose the queue mine, unassigned, team, all or mentions.",
            ));
        }
        let default_statuses = if queue == "mentions" {
            "open,pending,snoozed,resolved"
        } else {
            "open,pending"
        };
        let mut statuses: Vec<String> = query
            .status
            .as_deref()
            .unwrap_or(default_statuses)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        statuses.sort();
        statuses.dedup();
        if statuses.is_empty() || statuses.iter().any(|s| s.parse::<Status>().is_err()) {
            return Err(bad(
                "status",
                "Statuses are open, pending, snoozed and resolved.",
            ));
        }
        let cursor = match &query.after {
            Some(after) => Some(
                after
                    .split_once(':')
                    .and_then(|(k, id)| Some((k.parse::<i64>().ok()?, id.to_owned())))
                    .ok_or_else(|| bad("after", "That page cursor is not valid."))?,
            ),
            None => None,
        };
        // The teams to read: the filter, within what the viewer may see.
        let teams: Option<Vec<TeamId>> = match (&viewer.scope, query.team) {
            (Scope::All, None) => None,
            (Scope::All, Some(team)) => Some(vec![team]),
            (Scope::Teams(mine), None) => Some(mine.to_vec()),
            (Scope::Teams(mine), Some(team)) => {
                Some(mine.iter().copied().filter(|t| *t == team).collect())
            }
        };
        if teams.as_ref().is_some_and(Vec::is_empty) {
            return Ok(ConversationPage {
                conversations: Vec::new(),
                next: None,
            });
        }
        let key = if waiting {
            WAITING_KEY
        } else {
            "v.last_message_at"
        };
        let mut sql = Sql::default();
        let branch_teams: Vec<Option<TeamId>> = match &teams {
            Some(teams) => teams.iter().copied().map(Some).collect(),
            None => vec![None],
        };
        let mut branches = 0;
        sql.push("SELECT id, k FROM (");
        for team in &branch_teams {
            for status in &statuses {
                if branches > 0 {
                    sql.push(" UNION ALL ");
                }
                branches += 1;
                sql.push(&format!(
                    "SELECT * FROM (SELECT v.id AS id, {key} AS k FROM conversations v WHERE v.status = "
                ))
                .text_arg(status.clone());
                if let Some(team) = team {
                    sql.push(" AND v.team_id = ").text_arg(team.to_string());
                }
                match queue {
                    "mine" => {
                        sql.push(" AND v.assignee = ")
                            .text_arg(viewer.user.to_string());
                    }
                    "unassigned" => {
                        sql.push(" AND v.assignee IS NULL");
                    }
                    "mentions" => {
                        sql.push(" AND v.id IN (SELECT m.conversation_id FROM mentions m WHERE m.user_id = ")
                            .text_arg(viewer.user.to_string())
                            .push(")");
                    }
                    _ => {}
                }
                if let Some(channel) = query.channel {
                    sql.push(" AND v.channel_id = ")
                        .text_arg(channel.to_string());
                }
                if let Some(assignee) = query.assignee {
                    sql.push(" AND v.assignee = ")
                        .text_arg(assignee.to_string());
                }
                if let Some(label) = &query.label {
                    sql.push(" AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = v.id AND l.label = ")
                        .text_arg(label.clone())
                        .push(")");
                }
                if let Some((k, id)) = &cursor {
                    let (past, tie) = if waiting { (">", ">") } else { ("<", "<") };
                    sql.push(&format!(" AND ({key} {past} "))
                        .arg(Arg::Int(*k))
                        .push(&format!(" OR ({key} = "))
                        .arg(Arg::Int(*k))
                        .push(&format!(" AND v.id {tie} "))
                        .text_arg(id.clone())
                        .push("))");
                }
                let order = if waiting { "ASC" } else { "DESC" };
                sql.push(&format!(
                    " ORDER BY {key} {order}, v.id {order} LIMIT {}) b{branches}",
                    limit + 1
                ));
            }
        }
        let order = if waiting { "ASC" } else { "DESC" };
        sql.push(&format!(
            ") page ORDER BY k {order}, id {order} LIMIT {}",
            limit + 1
        ));
        let ids: Vec<(String, i64)> = on_read!(self, pool => {
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql.text);
            for arg in &sql.args {
                q = match arg {
                    Arg::Text(s) => q.bind(s.as_str()),
                    Arg::Int(i) => q.bind(*i),
                };
            }
            q.fetch_all(pool).await?
        });
        let more = ids.len() as i64 > limit;
        let ids = ids[..ids.len().min(limit as usize)]
            .iter()
            .map(|(id, k)| Ok((stored::<ConversationId>(id)?, *k)))
            .collect::<AppResult<Vec<_>>>()?;
        let next = more
            .then(|| ids.last())
            .flatten()
            .map(|(id, k)| format!("{k}:{id}"));
        let mut rows = Vec::new();
        if !ids.is_empty() {
            let mut sql = Sql::default();
            sql.push(SUMMARY_SELECT)
                .text_arg(viewer.user.to_string())
                .push(" WHERE v.id IN ")
                .list(ids.iter().map(|(id, _)| id.to_string()));
            let mut found = self.summaries(&sql).await?;
            for (id, _) in ids {
                if let Some(at) = found.iter().position(|r| r.id == id) {
                    rows.push(found.swap_remove(at));
                }
            }
        }
        Ok(ConversationPage {
            conversations: self.with_labels(rows).await?,
            next,
        })
    }

    /// One conversation as its row in a list, if the viewer may see it.
    pub async fn conversation_summary(
        &self,
        viewer: &Viewer<'_>,
        id: ConversationId,
    ) -> AppResult<Option<ConversationSummary>> {
        let mut sql = Sql::default();
        sql.push(SUMMARY_SELECT)
            .text_arg(viewer.user.to_string())
            .push(" WHERE v.id = ")
            .text_arg(id.to_string());
        let rows = self.summaries(&sql).await?;
        let found = self.with_labels(rows).await?.into_iter().next();
        Ok(found.filter(|c| viewer.scope.allows(c.team)))
    }

    /// The conversations among `ids` the viewer may see, most recent first,
    /// read together.
    pub async fn conversation_summaries(
        &self,
        viewer: &Viewer<'_>,
        ids: &[ConversationId],
    ) -> AppResult<Vec<ConversationSummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        sql.push(SUMMARY_SELECT)
            .text_arg(viewer.user.to_string())
            .push(" WHERE v.id IN ")
            .list(ids.iter().map(ConversationId::to_string))
            .push(" ORDER BY v.last_message_at DESC");
        let rows = self.summaries(&sql).await?;
        let mut found = self.with_labels(rows).await?;
        found.retain(|c| viewer.scope.allows(c.team));
        Ok(found)
    }

    async fn summaries(&self, sql: &Sql) -> AppResult<Vec<SummaryRow>> {
        Ok(on_read!(self, pool => {
            let mut q = sqlx::query_as::<_, SummaryRow>(&sql.text);
            for arg in &sql.args {
                q = match arg {
                    Arg::Text(s) => q.bind(s.as_str()),
                    Arg::Int(i) => q.bind(*i),
                };
            }
            q.fetch_all(pool).await?
        }))
    }

    async fn with_labels(&self, rows: Vec<SummaryRow>) -> AppResult<Vec<ConversationSummary>> {
        let mut labels: Vec<(ConversationId, String)> = Vec::new();
        if !rows.is_empty() {
            let mut sql = Sql::default();
            sql.push(
                "SELECT conversation_id, label FROM conversation_labels WHERE conversation_id IN ",
            )
            .list(rows.iter().map(|r| r.id.to_string()))
            .push(" ORDER BY label");
            let rows: Vec<(String, String)> = on_read!(self, pool => {
                let mut q = sqlx::query_as::<_, (String, String)>(&sql.text);
                for arg in &sql.args {
                    if let Arg::Text(s) = arg {
                        q = q.bind(s.as_str());
                    }
                }
                q.fetch_all(pool).await?
            });
            labels = rows
                .into_iter()
                .map(|(id, label)| Ok((stored(&id)?, label)))
                .collect::<AppResult<_>>()?;
        }
        Ok(rows
            .into_iter()
            .map(|r| ConversationSummary {
                labels: labels
                    .iter()
                    .filter(|(c, _)| *c == r.id)
                    .map(|(_, l)| l.clone())
                    .collect(),
                unread: r.last_inbound_position > r.read_position.unwrap_or(0),
                id: r.id,
                channel_id: r.channel_id,
                channel_name: r.channel_name,
                contact_id: r.contact_id,
                contact_name: r.contact_name,
                open_id: r.open_id,
                team: r.team_id.and_then(|t| t.parse().ok()),
                team_name: r.team_name,
                // Harbour writes only these words (see `store::triage`).
                status: r.status.parse().unwrap_or(Status::Open),
                snoozed_until: r.snoozed_until,
                priority: r.priority.parse().unwrap_or_default(),
                assignee: r.assignee.and_then(|a| a.parse().ok()),
                assignee_name: r.assignee_name,
                last_message_at: r.last_message_at,
                preview: r.preview,
                waiting_since: r.waiting_since,
                sla: super::sla::headline_of(r.sla.as_deref()),
            })
            .collect())
    }

    /// Up to `limit` messages before position `before` (the newest when
    /// `None`), oldest first.
    pub async fn conversation_messages(
        &self,
        conversation_id: ConversationId,
        before: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<MessageView>> {
        let sql = "SELECT m.id, m.conversation_id, m.direction, m.kind, m.body, m.status, m.error, m.author, \
                   u.name AS author_name, m.position, m.created_at, m.media_state, m.media_type, m.media_size, m.media_error, \
                   m.fields, m.recalled_at \
                   FROM messages m LEFT JOIN users u ON u.id = m.author \
                   WHERE m.conversation_id = $1 AND m.position < $2 ORDER BY m.position DESC LIMIT $3";
        let before = before.unwrap_or(i64::MAX);
        let mut rows: Vec<MessageRow> = on_read!(self, pool => sqlx::query_as(sql).bind(conversation_id.to_string()).bind(before).bind(limit).fetch_all(pool).await?);
        rows.reverse();
        Ok(rows.into_iter().map(message_view).collect())
    }

    /// Records that `user` has read `conversation` up to its newest
    /// message, and that they viewed it.
    pub async fn mark_read(
        &self,
        now: i64,
        user: UserId,
        conversation_id: ConversationId,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO conversation_reads (user_id, conversation_id, position) \
                 SELECT $1, id, last_position FROM conversations WHERE id = $2 \
                 ON CONFLICT (user_id, conversation_id) DO UPDATE SET position = excluded.position",
            )
            .bind(user.to_string())
            .bind(conversation_id.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        let team: Option<Option<String>> = on_tx!(&mut tx, c => {
            sqlx::query_scalar("SELECT team_id FROM conversations WHERE id = $1")
                .bind(conversation_id.to_string())
                .fetch_optional(&mut *c)
                .await?
        });
        let Some(team) = team else {
            return Err(AppError::NotFound("That conversation"));
        };
        // Who looked at what is part of the record (DESIGN.md).
        // Sent to the viewer (and admin/compliance) only, not to the whole team;
        // the team stays in the payload for the audit trail.
        let viewed = NewEvent::new(
            "conversation.viewed",
            Some(user),
            json!({ "conversation": conversation_id, "team": team }),
        );
        append(&mut tx, now, &[viewed]).await?;
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE mentions SET seen_at = $3 WHERE user_id = $1 AND conversation_id = $2 AND seen_at IS NULL")
                .bind(user.to_string())
                .bind(conversation_id.to_string())
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        self.commit(tx).await?;
        Ok(())
    }
}

impl Store {
    /// Messages by id, as the timeline shows them (any order).
    pub async fn messages_by_id(&self, ids: &[String]) -> AppResult<Vec<MessageView>> {
        let mut views = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT m.id, m.conversation_id, m.direction, m.kind, m.body, m.status, m.error, m.author, \
                 u.name AS author_name, m.position, m.created_at, m.media_state, m.media_type, m.media_size, \
                 m.media_error, m.fields, m.recalled_at \
                 FROM messages m LEFT JOIN users u ON u.id = m.author WHERE m.id IN ({})",
                super::marks(chunk.len(), 1)
            );
            let rows: Vec<MessageRow> = on_read!(self, pool => {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id);
                }
                query.fetch_all(pool).await?
            });
            views.extend(rows.into_iter().map(message_view));
        }
        Ok(views)
    }
}

/// The keys of a message's fields that say automation wrote it.
fn automated_fields(fields: &serde_json::Value) -> Option<serde_json::Value> {
    const KEYS: [&str; 5] = ["automated", "rule", "rule_name", "why", "because"];
    let kept: serde_json::Map<String, serde_json::Value> = KEYS
        .iter()
        .filter_map(|k| Some((k.to_string(), fields.get(*k)?.clone())))
        .collect();
    (!kept.is_empty()).then_some(serde_json::Value::Object(kept))
}

fn message_view(r: MessageRow) -> MessageView {
    // Only activity fields are Harbour's own words; a message's are
    // WeChat's, except who typed a message in the WeCom client and the name
    // of a file an agent sent.
    let fields = if r.direction == Direction::Activity || r.kind == "servicer_message" {
        serde_json::from_str(&r.fields).ok()
    } else if r.direction == Direction::Out && r.kind == "file" {
        // The name an agent's file went out under.
        serde_json::from_str::<serde_json::Value>(&r.fields)
            .ok()
            .and_then(|f| f.get("file_name").cloned())
            .map(|name| serde_json::json!({ "file_name": name }))
    } else if matches!(r.direction, Direction::Out | Direction::Note) {
        // What Harbour sent or noted on its own: which rule, and why.
        serde_json::from_str::<serde_json::Value>(&r.fields)
            .ok()
            .and_then(|f| automated_fields(&f))
    } else {
        None
    };
    MessageView {
        fields,
        recalled_at: r.recalled_at,
        id: r.id,
        conversation_id: r.conversation_id,
        direction: r.direction,
        kind: r.kind,
        body: r.body,
        // Harbour writes only these words (see `store::outbound`).
        status: r.status.and_then(|s| s.parse().ok()),
        error: r.error,
        author: r.author.and_then(|a| a.parse().ok()),
        author_name: r.author_name,
        position: r.position,
        created_at: r.created_at,
        media: r
            .media_state
            .and_then(|state| state.parse().ok())
            .map(|state| MediaView {
                state,
                content_type: r.media_type,
                size: r.media_size,
                error: r.media_error,
            }),
    }
}

/// What placing a message does to the conversation's list columns.
pub enum Placement<'a> {
    /// An agent's reply: the client is no longer waiting.
    Reply(&'a str),
    /// Automation's reply: shown in the list, but the client still waits
    /// for a person.
    Automated(&'a str),
    /// A note or an activity entry: the list row stays as it is.
    Internal,
}

/// The position for a new message at the end of `conversation_id`, taken
/// under the conversation's row lock.
pub async fn next_position(
    tx: &mut Tx,
    now: i64,
    conversation_id: ConversationId,
    placement: Placement<'_>,
) -> AppResult<i64> {
    let position: Option<i64> = match placement {
        Placement::Reply(preview) => on_tx!(tx, c => {
            sqlx::query_scalar(
                "UPDATE conversations SET last_position = last_position + 1, last_message_at = $2, \
                 preview = $3, waiting_since = NULL, auto_replied_at = NULL WHERE id = $1 RETURNING last_position",
            )
            .bind(conversation_id.to_string())
            .bind(now)
            .bind(preview)
            .fetch_optional(&mut *c)
            .await?
        }),
        Placement::Automated(preview) => on_tx!(tx, c => {
            sqlx::query_scalar(
                "UPDATE conversations SET last_position = last_position + 1, last_message_at = $2, \
                 preview = $3, auto_replied_at = $2 WHERE id = $1 RETURNING last_position",
            )
            .bind(conversation_id.to_string())
            .bind(now)
            .bind(preview)
            .fetch_optional(&mut *c)
            .await?
        }),
        Placement::Internal => on_tx!(tx, c => {
            sqlx::query_scalar(
                "UPDATE conversations SET last_position = last_position + 1 WHERE id = $1 RETURNING last_position",
            )
            .bind(conversation_id.to_string())
            .fetch_optional(&mut *c)
            .await?
        }),
    };
    position.ok_or(AppError::NotFound("That conversation"))
}
