//! Reading conversations and their messages, limited to what a user may see.

use super::Store;
use crate::error::AppResult;
use crate::on_read;
use shared::api::{ConversationSummary, MediaView, MessageView};
use shared::TeamId;

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    channel_id: String,
    channel_name: String,
    contact_id: String,
    contact_name: Option<String>,
    open_id: String,
    team_id: Option<String>,
    status: String,
    last_message_at: i64,
    preview: Option<String>,
    last_direction: Option<String>,
    last_in_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: String,
    conversation_id: String,
    direction: String,
    kind: String,
    body: Option<String>,
    status: Option<String>,
    error: Option<String>,
    author: Option<String>,
    created_at: i64,
    media_state: Option<String>,
    media_type: Option<String>,
    media_size: Option<i64>,
    media_error: Option<String>,
}

/// Which teams' conversations a query may return: all, or these.
pub enum Scope<'a> {
    All,
    Teams(&'a [TeamId]),
}

impl Scope<'_> {
    fn allows(&self, team: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Teams(teams) => {
                team.is_some_and(|t| teams.iter().any(|mine| mine.to_string() == t))
            }
        }
    }
}

impl Store {
    /// Conversations newest activity first; agents see only their teams'.
    pub async fn list_conversations(
        &self,
        scope: &Scope<'_>,
        limit: i64,
    ) -> AppResult<Vec<ConversationSummary>> {
        // The preview is the newest message; waiting means the newest is from the client.
        let sql = "SELECT v.id, v.channel_id, ch.name AS channel_name, c.id AS contact_id, c.name AS contact_name, \
                   c.open_id, v.team_id, v.status, v.last_message_at, \
                   (SELECT COALESCE(m.body, m.kind) FROM messages m WHERE m.conversation_id = v.id ORDER BY m.position DESC LIMIT 1) AS preview, \
                   (SELECT m.direction FROM messages m WHERE m.conversation_id = v.id AND m.kind <> 'event' ORDER BY m.position DESC LIMIT 1) AS last_direction, \
                   (SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = v.id AND m.direction = 'in' AND m.kind <> 'event') AS last_in_at \
                   FROM conversations v JOIN contacts c ON c.id = v.contact_id JOIN channels ch ON ch.id = v.channel_id \
                   ORDER BY v.last_message_at DESC, v.id LIMIT $1";
        let rows: Vec<SummaryRow> =
            on_read!(self, pool => sqlx::query_as(sql).bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .filter(|r| scope.allows(r.team_id.as_deref()))
            .map(|r| ConversationSummary {
                waiting_since: (r.last_direction.as_deref() == Some("in")
                    && r.status != "resolved")
                    .then_some(r.last_in_at)
                    .flatten(),
                id: r.id,
                channel_id: r.channel_id,
                channel_name: r.channel_name,
                contact_id: r.contact_id,
                contact_name: r.contact_name,
                open_id: r.open_id,
                team: r.team_id.and_then(|t| t.parse().ok()),
                status: r.status,
                last_message_at: r.last_message_at,
                preview: r.preview,
            })
            .collect())
    }

    /// The latest `limit` messages of a conversation, oldest first.
    pub async fn conversation_messages(
        &self,
        conversation_id: &str,
        limit: i64,
    ) -> AppResult<Vec<MessageView>> {
        let sql = "SELECT id, conversation_id, direction, kind, body, status, error, author, created_at, \
                   media_state, media_type, media_size, media_error FROM messages \
                   WHERE conversation_id = $1 ORDER BY position DESC LIMIT $2";
        let mut rows: Vec<MessageRow> = on_read!(self, pool => sqlx::query_as(sql).bind(conversation_id).bind(limit).fetch_all(pool).await?);
        rows.reverse();
        Ok(rows
            .into_iter()
            .map(|r| MessageView {
                id: r.id,
                conversation_id: r.conversation_id,
                direction: r.direction,
                kind: r.kind,
                body: r.body,
                status: r.status,
                error: r.error,
                author: r.author.and_then(|a| a.parse().ok()),
                created_at: r.created_at,
                media: r.media_state.map(|state| MediaView {
                    state,
                    content_type: r.media_type,
                    size: r.media_size,
                    error: r.media_error,
                }),
            })
            .collect())
    }
}
