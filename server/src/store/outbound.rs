//! Outbound replies: the reply window per contact, queuing a reply with its
//! send job, and the at-most-once state machine
//! `queued -> sending -> sent | failed | unknown`.

use super::conversations::{next_position, Placement};
use super::events::{append, NewEvent};
use super::jobs::{enqueue, NewJob};
use super::search::index_message;
use super::{stored, Store, Tx};
use crate::error::{AppError, AppResult};
use crate::reply_window::ContactWindow;
use crate::{on_read, on_tx};
use serde_json::json;
use shared::api::DeliveryState;
use shared::{ChannelId, ContactId, ConversationId, MessageId, TeamId, UserId};
use uuid::Uuid;

pub const SEND_JOB: &str = "wechat.send";
/// WeChat's limit for a text message, which an automated reply with its
/// variables filled in must keep to.
const MAX_AUTOMATED_BYTES: usize = 2048;

/// A conversation with what sending to its contact needs.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReplyTarget {
    #[sqlx(try_from = "String")]
    pub conversation_id: ConversationId,
    #[sqlx(try_from = "String")]
    pub channel_id: ChannelId,
    pub team_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub contact_id: ContactId,
    pub open_id: String,
    pub subscribed: bool,
    pub last_inbound_at: Option<i64>,
    pub replies_in_window: i64,
    pub kf_servicer: Option<String>,
    pub kf_servicer_at: Option<i64>,
    pub kf_session_ended_at: Option<i64>,
    /// `wechat_oa` or `wecom_kf`.
    pub channel_kind: String,
    /// When automation last replied (cleared by a person's reply).
    pub auto_replied_at: Option<i64>,
}

impl ReplyTarget {
    /// Whether the channel takes files (WeCom Customer Service does).
    pub fn sends_files(&self) -> bool {
        self.channel_kind == "wecom_kf"
    }

    pub fn team(&self) -> Option<TeamId> {
        self.team_id.as_deref().and_then(|t| t.parse().ok())
    }

    /// The facts the reply window is decided from (`crate::reply_window`).
    pub fn window(&self) -> ContactWindow {
        ContactWindow {
            subscribed: self.subscribed,
            last_inbound_at: self.last_inbound_at,
            replies_in_window: self.replies_in_window,
            held_by: self.kf_servicer.clone().zip(self.kf_servicer_at),
            session_ended_at: self.kf_session_ended_at,
        }
    }
}

const TARGET_SQL: &str =
    "SELECT v.id AS conversation_id, v.channel_id, v.team_id, c.id AS contact_id, c.open_id, \
     c.subscribed, c.last_inbound_at, c.replies_in_window, c.kf_servicer, c.kf_servicer_at, \
     c.kf_session_ended_at, h.kind AS channel_kind, v.auto_replied_at \
     FROM conversations v JOIN contacts c ON c.id = v.contact_id \
     JOIN channels h ON h.id = v.channel_id WHERE v.id = $1";

impl Store {
    pub async fn reply_target(
        &self,
        conversation_id: ConversationId,
    ) -> AppResult<Option<ReplyTarget>> {
        Ok(
            on_read!(self, pool => sqlx::query_as(TARGET_SQL).bind(conversation_id.to_string()).fetch_optional(pool).await?),
        )
    }

    pub async fn message_conversation(
        &self,
        message_id: MessageId,
    ) -> AppResult<Option<ConversationId>> {
        let found: Option<String> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT conversation_id FROM messages WHERE id = $1")
                .bind(message_id.to_string())
                .fetch_optional(pool)
                .await?
        });
        found.as_deref().map(stored).transpose()
    }

    /// A message's delivery state (`received` for an inbound one) and error.
    pub async fn message_status(
        &self,
        message_id: MessageId,
    ) -> AppResult<Option<(String, Option<String>)>> {
        Ok(on_read!(self, pool => {
            sqlx::query_as("SELECT COALESCE(status, 'received'), error FROM messages WHERE id = $1")
                .bind(message_id.to_string())
                .fetch_optional(pool)
                .await?
        }))
    }
}

/// An image or file reply still waiting to be sent: its channel, file,
/// type, and (a file) the name it goes out under.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct QueuedMedia {
    #[sqlx(try_from = "String")]
    pub channel_id: ChannelId,
    /// `image` or `file`.
    pub kind: String,
    pub media_sha256: String,
    pub media_type: String,
    pub fields: String,
}

impl QueuedMedia {
    /// The name a file was chosen under, if it is a file.
    pub fn file_name(&self) -> Option<String> {
        serde_json::from_str::<serde_json::Value>(&self.fields)
            .ok()?
            .get("file_name")?
            .as_str()
            .map(str::to_owned)
    }
}

impl Store {
    /// The image or file of a reply still to send, to upload to WeChat
    /// before the send is claimed (an upload is harmless to repeat; the send
    /// is not): queued, or (on WeCom Customer Service, where a resend is the
    /// same message) left `sending` by a crash.
    pub async fn queued_media(&self, message_id: MessageId) -> AppResult<Option<QueuedMedia>> {
        Ok(on_read!(self, pool => {
            sqlx::query_as(
                "SELECT channel_id, kind, media_sha256, media_type, fields FROM messages \
                 WHERE id = $1 AND kind IN ('image', 'file') \
                   AND (status = 'queued' OR (status = 'sending' \
                        AND channel_id IN (SELECT id FROM channels WHERE kind = 'wecom_kf'))) \
                   AND media_sha256 IS NOT NULL AND media_type IS NOT NULL",
            )
            .bind(message_id.to_string())
            .fetch_optional(pool)
            .await?
        }))
    }
}

/// What an agent sends: text, or an image or (WeCom Customer Service
/// only) a file kept in the media store.
#[derive(Clone, Copy, Debug)]
pub enum Reply<'a> {
    Text(&'a str),
    Image {
        sha256: &'a str,
        content_type: &'a str,
        size: i64,
    },
    File {
        sha256: &'a str,
        content_type: &'a str,
        size: i64,
        name: &'a str,
    },
}

impl Reply<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Reply::Text(_) => "text",
            Reply::Image { .. } => "image",
            Reply::File { .. } => "file",
        }
    }

    fn body(&self) -> Option<&str> {
        match self {
            Reply::Text(text) => Some(text),
            Reply::Image { .. } | Reply::File { .. } => None,
        }
    }
}

/// Queues a reply and its send job in one transaction, or refuses with the
/// window's reason. Counts the reply against the window at once, so five
/// quick replies cannot all pass the check.
pub async fn queue_reply(
    store: &Store,
    now: i64,
    author: UserId,
    conversation_id: ConversationId,
    reply: Reply<'_>,
) -> AppResult<MessageId> {
    let mut tx = store.begin().await?;
    let target = locked_target(&mut tx, conversation_id).await?;
    if let Some(refusal) = target.window().refusal(now) {
        return Err(AppError::conflict_because(
            refusal.reason(),
            refusal.sentence(),
        ));
    }
    let message_id = insert_reply(&mut tx, now, Some(author), &target, reply, None).await?;
    store.commit(tx).await?;
    Ok(message_id)
}

/// An automated reply (issue 14's rules and closures), queued in the
/// caller's transaction like a person's but with no author and with
/// `fields` saying which rule sent it and why; the client still waits for
/// a person. `None` when it does not go out: the window does not allow a
/// reply, or automation replied already and no person has answered since
/// (automation spends at most one of WeChat's window replies).
pub async fn queue_automated_reply(
    tx: &mut Tx,
    now: i64,
    conversation_id: ConversationId,
    text: &str,
    fields: serde_json::Value,
) -> AppResult<Option<MessageId>> {
    if text.len() > MAX_AUTOMATED_BYTES {
        tracing::warn!(conversation = %conversation_id, bytes = text.len(), "an automated reply is too long for WeChat");
        return Ok(None);
    }
    let target = locked_target(tx, conversation_id).await?;
    let replied = target
        .auto_replied_at
        .is_some_and(|at| at + crate::reply_window::WINDOW_MS > now);
    if replied || target.window().refusal(now).is_some() {
        return Ok(None);
    }
    let id = insert_reply(tx, now, None, &target, Reply::Text(text), Some(fields)).await?;
    Ok(Some(id))
}

/// The conversation's reply target, its conversation and contact rows
/// locked: orders messages and counts replies.
async fn locked_target(tx: &mut Tx, conversation_id: ConversationId) -> AppResult<ReplyTarget> {
    let sql = format!("{TARGET_SQL}{}", tx.backend().for_update_of("v, c"));
    let target: Option<ReplyTarget> = on_tx!(tx, c => sqlx::query_as(&sql).bind(conversation_id.to_string()).fetch_optional(&mut *c).await?);
    target.ok_or(AppError::NotFound("That conversation"))
}

/// Writes a queued reply, counts it against the window, and enqueues its
/// send job and its `message.queued` event. `author` is `None` for
/// automation, whose `automated` fields go on the message and the event.
async fn insert_reply(
    tx: &mut Tx,
    now: i64,
    author: Option<UserId>,
    target: &ReplyTarget,
    reply: Reply<'_>,
    automated: Option<serde_json::Value>,
) -> AppResult<MessageId> {
    let message_id = MessageId(Uuid::new_v4());
    let preview = reply.body().unwrap_or(reply.kind());
    let placement = match author {
        Some(_) => Placement::Reply(preview),
        None => Placement::Automated(preview),
    };
    let position = next_position(tx, now, target.conversation_id, placement).await?;
    let (sha256, content_type, size) = match reply {
        Reply::Text(_) => (None, None, None),
        Reply::Image {
            sha256,
            content_type,
            size,
        }
        | Reply::File {
            sha256,
            content_type,
            size,
            ..
        } => (Some(sha256), Some(content_type), Some(size)),
    };
    let fields = match (reply, &automated) {
        (_, Some(automated)) => automated.to_string(),
        (Reply::File { name, .. }, None) => json!({ "file_name": name }).to_string(),
        _ => "{}".to_owned(),
    };
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO messages (id, channel_id, conversation_id, position, direction, kind, body, fields, dedupe_key, status, author, created_at, \
                                   media_state, media_sha256, media_type, media_size) \
             VALUES ($1, $2, $3, $8, 'out', $9, $4, $13, $5, 'queued', $6, $7, \
                     CASE WHEN $10 IS NULL THEN NULL ELSE 'stored' END, $10, $11, $12)",
        )
        .bind(message_id.to_string())
        .bind(target.channel_id.to_string())
        .bind(target.conversation_id.to_string())
        .bind(reply.body())
        .bind(format!("out:{message_id}"))
        .bind(author.map(|a| a.to_string()))
        .bind(now)
        .bind(position)
        .bind(reply.kind())
        .bind(sha256)
        .bind(content_type)
        .bind(size)
        .bind(&fields)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    if let Some(text) = reply.body() {
        index_message(tx, message_id, text).await?;
    }
    on_tx!(tx, c => {
        sqlx::query("UPDATE contacts SET replies_in_window = replies_in_window + 1 WHERE id = $1")
            .bind(target.contact_id.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    enqueue(
        tx,
        now,
        &NewJob {
            // Enough for WeChat's longest advice (a daily quota: hourly for
            // a day); each refusal's own backoff decides when it gives up.
            max_attempts: 25,
            ..NewJob::now(SEND_JOB, json!({ "message": message_id }), now)
        },
    )
    .await?;
    let mut payload = json!({
        "conversation": target.conversation_id,
        "message": message_id,
        "status": DeliveryState::Queued,
        "kind": reply.kind(),
        "body": reply.body(),
        // The file's digest, so the record ties the image to the message.
        "sha256": sha256,
    });
    if let Some(automated) = automated {
        payload["automated"] = automated;
    }
    append(
        tx,
        now,
        &[NewEvent::new("message.queued", author, payload).in_team(target.team())],
    )
    .await?;
    Ok(message_id)
}

/// The outbound message a send job is about to deliver.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Outgoing {
    #[sqlx(try_from = "String")]
    pub id: MessageId,
    #[sqlx(try_from = "String")]
    pub conversation_id: ConversationId,
    #[sqlx(try_from = "String")]
    pub channel_id: ChannelId,
    pub body: Option<String>,
    /// `text`, `image` or `file`.
    pub kind: String,
    pub open_id: String,
    pub team_id: Option<String>,
}

/// Moves `queued -> sending` (or, for a WeCom Customer Service send, also
/// `sending -> sending`) and commits before anything is sent. `None`
/// means the message is not queued: if it was left `sending` by a worker that
/// died mid-send, it becomes `unknown` and is never sent again.
pub async fn claim_for_sending(
    store: &Store,
    now: i64,
    message_id: MessageId,
) -> AppResult<Option<Outgoing>> {
    let mut tx = store.begin().await?;
    let moved = on_tx!(&mut tx, c => {
        // A WeCom Customer Service send carries our id as its `msgid`, so
        // WeCom takes a repeat as the same message: one stranded in
        // `sending` by a crash is sent again rather than left `unknown`.
        sqlx::query(
            "UPDATE messages SET status = 'sending' WHERE id = $1 AND (status = 'queued' \
               OR (status = 'sending' AND channel_id IN (SELECT id FROM channels WHERE kind = 'wecom_kf')))",
        )
            .bind(message_id.to_string())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    if moved == 0 {
        let stranded = on_tx!(&mut tx, c => {
            sqlx::query("UPDATE messages SET status = 'unknown', error = $2 WHERE id = $1 AND status = 'sending'")
                .bind(message_id.to_string())
                .bind("Harbour stopped while sending this message, so it may or may not have reached the client. It was not resent.")
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        if stranded == 1 {
            record_outcome_event(&mut tx, now, message_id, DeliveryState::Unknown).await?;
        }
        store.commit(tx).await?;
        return Ok(None);
    }
    let outgoing: Outgoing = on_tx!(&mut tx, c => {
        sqlx::query_as(
            "SELECT m.id, m.conversation_id, m.channel_id, m.body, m.kind, c.open_id, v.team_id FROM messages m \
             JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id WHERE m.id = $1",
        )
        .bind(message_id.to_string())
        .fetch_one(&mut *c)
        .await?
    });
    store.commit(tx).await?;
    Ok(Some(outgoing))
}

/// Records how a send ended: `sent`, `failed` (with the reason for the
/// agent), `unknown`, or back to `queued` for a definite, retryable refusal.
pub async fn finish_sending(
    store: &Store,
    now: i64,
    message_id: MessageId,
    status: DeliveryState,
    error: Option<&str>,
) -> AppResult<()> {
    let mut tx = store.begin().await?;
    let changed = on_tx!(&mut tx, c => {
        sqlx::query(
            "UPDATE messages SET status = $2, error = $3, sent_at = CASE WHEN $2 = 'sent' THEN $4 ELSE sent_at END \
             WHERE id = $1 AND status = 'sending'",
        )
        .bind(message_id.to_string())
        .bind(status.as_str())
        .bind(error)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    // Only a row that changed is news: a worker that lost the message (it
    // was found stranded and marked `unknown`) records nothing.
    if changed == 1 && status != DeliveryState::Queued {
        record_outcome_event(&mut tx, now, message_id, status).await?;
    }
    store.commit(tx).await?;
    Ok(())
}

/// A queued reply whose send job ran out of attempts: `failed`, with the
/// reason for the agent, never `queued` for ever. Nothing when it is no
/// longer queued.
pub async fn give_up_reply(
    store: &Store,
    now: i64,
    message_id: MessageId,
    sentence: &str,
) -> AppResult<()> {
    let mut tx = store.begin().await?;
    let changed = on_tx!(&mut tx, c => {
        sqlx::query("UPDATE messages SET status = 'failed', error = $2 WHERE id = $1 AND status = 'queued'")
            .bind(message_id.to_string())
            .bind(sentence)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    if changed == 1 {
        record_outcome_event(&mut tx, now, message_id, DeliveryState::Failed).await?;
    }
    store.commit(tx).await?;
    Ok(())
}

async fn record_outcome_event(
    tx: &mut Tx,
    now: i64,
    message_id: MessageId,
    status: DeliveryState,
) -> AppResult<()> {
    let row: (String, Option<String>, Option<String>) = on_tx!(tx, c => {
        sqlx::query_as(
            "SELECT m.conversation_id, v.team_id, m.error FROM messages m JOIN conversations v ON v.id = m.conversation_id WHERE m.id = $1",
        )
        .bind(message_id.to_string())
        .fetch_one(&mut *c)
        .await?
    });
    let team = row.1.as_deref().and_then(|t| t.parse().ok());
    let payload =
        json!({ "conversation": row.0, "message": message_id, "status": status, "error": row.2 });
    append(
        tx,
        now,
        &[NewEvent::new("message.status", None, payload).in_team(team)],
    )
    .await?;
    Ok(())
}

/// WeChat reported that an outbound message was not delivered (WeCom's
/// `msg_send_fail`): it is `failed`, with the reason, whatever it said
/// before. `false` when there is no such outbound message or it had failed
/// already.
pub async fn mark_undelivered(
    tx: &mut Tx,
    now: i64,
    message_id: MessageId,
    sentence: &str,
) -> AppResult<bool> {
    let changed = on_tx!(tx, c => {
        sqlx::query(
            "UPDATE messages SET status = 'failed', error = $2 \
             WHERE id = $1 AND direction = 'out' AND status IS NOT NULL AND status <> 'failed'",
        )
        .bind(message_id.to_string())
        .bind(sentence)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    if changed == 1 {
        record_outcome_event(tx, now, message_id, DeliveryState::Failed).await?;
    }
    Ok(changed == 1)
}

/// Its sender recalled the message stored under `dedupe_key`: it is kept,
/// marked recalled, and the recall is an event. `false` when there is no
/// such message or it was recalled already.
pub async fn mark_recalled(
    tx: &mut Tx,
    now: i64,
    channel: shared::ChannelId,
    dedupe_key: &str,
) -> AppResult<bool> {
    let recalled: Option<(String, String, Option<String>)> = on_tx!(tx, c => {
        sqlx::query_as(
            "UPDATE messages SET recalled_at = $3 \
             WHERE channel_id = $1 AND dedupe_key = $2 AND recalled_at IS NULL \
             RETURNING id, conversation_id, (SELECT v.team_id FROM conversations v WHERE v.id = messages.conversation_id)",
        )
        .bind(channel.to_string())
        .bind(dedupe_key)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?
    });
    let Some((message, conversation, team)) = recalled else {
        return Ok(false);
    };
    let team = team.as_deref().and_then(|t| t.parse().ok());
    let payload = json!({ "conversation": conversation, "message": message });
    append(
        tx,
        now,
        &[NewEvent::new("message.recalled", None, payload).in_team(team)],
    )
    .await?;
    Ok(true)
}

/// A message sent on the team's behalf without an agent (a WeCom welcome
/// or closing message), recorded as sent in the conversation of the client
/// `open_id` on `channel`: on the team's side of the timeline, in the
/// record as a `message.automated` event. It does not count as answering
/// the client, who still waits for a person. `false` when the client has no
/// conversation.
pub async fn record_automated(
    store: &Store,
    now: i64,
    channel: ChannelId,
    open_id: &str,
    purpose: &str,
    body: &str,
    dedupe_key: &str,
) -> AppResult<bool> {
    let mut tx = store.begin().await?;
    let target: Option<(String, Option<String>)> = on_tx!(&mut tx, c => {
        sqlx::query_as(
            "SELECT v.id, v.team_id FROM conversations v JOIN contacts k ON k.id = v.contact_id \
             WHERE k.channel_id = $1 AND k.open_id = $2",
        )
        .bind(channel.to_string())
        .bind(open_id)
        .fetch_optional(&mut *c)
        .await?
    });
    let Some((conversation, team)) = target else {
        return Ok(false);
    };
    let conversation: ConversationId = stored(&conversation)?;
    let team: Option<TeamId> = team.as_deref().and_then(|t| t.parse().ok());
    let message_id = MessageId(Uuid::new_v4());
    let position = next_position(
        &mut tx,
        now,
        conversation,
        super::conversations::Placement::Internal,
    )
    .await?;
    on_tx!(&mut tx, c => {
        sqlx::query(
            "INSERT INTO messages (id, channel_id, conversation_id, position, direction, kind, body, fields, \
                                   dedupe_key, status, sent_at, created_at) \
             VALUES ($1, $2, $3, $4, 'out', 'text', $5, $6, $7, 'sent', $8, $8)",
        )
        .bind(message_id.to_string())
        .bind(channel.to_string())
        .bind(conversation.to_string())
        .bind(position)
        .bind(body)
        .bind(json!({ "automated": purpose }).to_string())
        .bind(dedupe_key)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    index_message(&mut tx, message_id, body).await?;
    let payload = json!({
        "conversation": conversation,
        "message": message_id,
        "purpose": purpose,
        "body": body,
    });
    append(
        &mut tx,
        now,
        &[NewEvent::new("message.automated", None, payload).in_team(team)],
    )
    .await?;
    store.commit(tx).await?;
    Ok(true)
}

/// Who has a WeCom client's session, as far as the inbox can send there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KfHold<'a> {
    /// The inbox (state 0 or 1): it may send.
    Inbox,
    /// A servicer in the WeCom client (state 3).
    Servicer(&'a str),
    /// Nobody: the session ended (state 4) and the client has not written since.
    Ended,
}

/// Records who has a WeCom client's session, for the contact `open_id` on
/// `channel`, as of `now`. An end is recorded only if the client has not
/// written since `now` (their message began a new session); pass the time
/// WeCom was asked, not the time it answered.
pub async fn set_kf_session(
    tx: &mut Tx,
    now: i64,
    channel: ChannelId,
    open_id: &str,
    hold: KfHold<'_>,
) -> AppResult<()> {
    let (servicer, ended_at) = match hold {
        KfHold::Inbox => (None, None),
        KfHold::Servicer(servicer) => (Some(servicer), None),
        KfHold::Ended => (None, Some(now)),
    };
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE contacts SET kf_servicer = $3, kf_servicer_at = $4, \
               kf_session_ended_at = CASE WHEN $5 IS NOT NULL \
                 AND (last_inbound_at IS NULL OR last_inbound_at <= $5) THEN $5 ELSE NULL END \
             WHERE channel_id = $1 AND open_id = $2",
        )
            .bind(channel.to_string())
            .bind(open_id)
            .bind(servicer)
            .bind(servicer.map(|_| now))
            .bind(ended_at)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(())
}

impl Store {
    /// [`set_kf_session`] in a transaction of its own.
    pub async fn record_kf_session(
        &self,
        now: i64,
        channel: ChannelId,
        open_id: &str,
        hold: KfHold<'_>,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        set_kf_session(&mut tx, now, channel, open_id, hold).await?;
        tx.commit_quietly().await?;
        Ok(())
    }
}
