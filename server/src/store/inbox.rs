//! Storing an inbound WeChat push: contact, conversation, message and its
//! event in the caller's transaction, exactly once per dedupe key.

use super::events::NewEvent;
use super::jobs::{enqueue, NewJob};
use super::search::index_terms_of;
use super::{is_unique_violation, Tx};
use crate::error::AppResult;
use crate::on_tx;
use serde_json::json;
use shared::TeamId;
use uuid::Uuid;

/// One push, flattened for storage.
#[derive(Clone, Debug)]
pub struct Inbound {
    pub channel_id: String,
    pub team: Option<TeamId>,
    pub open_id: String,
    pub dedupe_key: String,
    /// `text`, `image`, `voice`, `location`, `event`, …
    pub kind: String,
    /// Readable text for the timeline and search (message text, a label, the event name).
    pub body: Option<String>,
    pub fields: serde_json::Value,
    /// True for a user message: it (re)opens the 48-hour reply window.
    pub opens_window: bool,
    /// `Some(true)` for subscribe, `Some(false)` for unsubscribe.
    pub subscribed: Option<bool>,
    /// WeChat's temporary MediaId for images, voice and video: a job
    /// downloads it into the media store well before it expires.
    pub media_id: Option<String>,
    /// Search terms of `body` (see `crate::search`), computed before the
    /// push reaches the single writer.
    pub search_terms: Vec<String>,
}

/// Job kinds queued by an inbound push.
pub const MEDIA_JOB: &str = "wechat.media";
pub const PROFILE_JOB: &str = "wechat.profile";

/// What a new push became.
#[derive(Clone, Debug)]
pub struct StoredInbound {
    pub message_id: String,
    pub conversation_id: String,
    pub contact_id: String,
}

/// What [`store_inbound_rows`] did.
pub enum Written {
    /// Stored; the event is for the caller to append.
    New(StoredInbound, NewEvent),
    /// Already stored by an earlier commit; nothing written.
    Seen,
    /// A concurrent copy committed first and this insert hit the unique key.
    /// On PostgreSQL that aborts the transaction (or the savepoint).
    LostRace,
}

/// Stores a push's rows in `tx`, exactly once per dedupe key. The event is
/// returned for the caller to append (group commit appends a whole batch's
/// events at once).
pub async fn store_inbound_rows(tx: &mut Tx, now: i64, push: &Inbound) -> AppResult<Written> {
    let seen: Option<String> = on_tx!(tx, c => {
        sqlx::query_scalar("SELECT id FROM messages WHERE channel_id = $1 AND dedupe_key = $2")
            .bind(&push.channel_id)
            .bind(&push.dedupe_key)
            .fetch_optional(&mut *c)
            .await?
    });
    if seen.is_some() {
        return Ok(Written::Seen);
    }
    let (contact_id, profile_state): (String, String) = on_tx!(tx, c => {
        sqlx::query_as(
            "INSERT INTO contacts (id, channel_id, open_id, subscribed, last_inbound_at, replies_in_window, created_at, updated_at) \
             VALUES ($1, $2, $3, COALESCE($4, TRUE), CASE WHEN $5 THEN $6 END, 0, $6, $6) \
             ON CONFLICT (channel_id, open_id) DO UPDATE SET \
               subscribed = COALESCE($4, contacts.subscribed), \
               last_inbound_at = CASE WHEN $5 THEN $6 ELSE contacts.last_inbound_at END, \
               replies_in_window = CASE WHEN $5 THEN 0 ELSE contacts.replies_in_window END, \
               updated_at = $6 \
             RETURNING id, profile_state",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&push.channel_id)
        .bind(&push.open_id)
        .bind(push.subscribed)
        .bind(push.opens_window)
        .bind(now)
        .fetch_one(&mut *c)
        .await?
    });
    if profile_state == "none" {
        // A new contact: ask WeChat who it is, once.
        on_tx!(tx, c => {
            sqlx::query("UPDATE contacts SET profile_state = 'queued' WHERE id = $1")
                .bind(&contact_id)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        enqueue(
            tx,
            now,
            &NewJob::now(PROFILE_JOB, json!({ "contact": contact_id }), now),
        )
        .await?;
    }
    // Most pushes come from a client already waiting in an open
    // conversation (or are events): then one UPDATE that leaves status and
    // waiting time alone places the message, so only the activity indexes
    // are rewritten. Otherwise one upsert creates or reopens the
    // conversation. Either way the row lock orders positions.
    let hot: Option<(String, Option<String>, i64, String)> = on_tx!(tx, c => {
        sqlx::query_as(
            "UPDATE conversations SET last_message_at = $2, preview = $3, \
               last_position = last_position + 1, last_inbound_position = last_position + 1 \
             WHERE contact_id = $1 AND (NOT $4 OR (status = 'open' AND waiting_since IS NOT NULL)) \
             RETURNING id, team_id, last_position, status",
        )
        .bind(&contact_id)
        .bind(now)
        .bind(push.body.as_deref().unwrap_or(&push.kind))
        .bind(push.opens_window)
        .fetch_optional(&mut *c)
        .await?
    });
    let (conversation_id, team, position, status) = match hot {
        Some(placed) => placed,
        None => on_tx!(tx, c => {
            sqlx::query_as(
                "INSERT INTO conversations (id, channel_id, contact_id, team_id, status, last_message_at, created_at, \
                                            preview, waiting_since, last_position, last_inbound_position) \
                 VALUES ($1, $2, $3, $4, 'open', $5, $5, $6, CASE WHEN $7 THEN $5 END, 1, 1) \
                 ON CONFLICT (contact_id) DO UPDATE SET last_message_at = $5, preview = $6, \
                   waiting_since = CASE WHEN $7 THEN COALESCE(conversations.waiting_since, $5) ELSE conversations.waiting_since END, \
                   status = CASE WHEN $7 AND conversations.status IN ('resolved', 'snoozed', 'pending') THEN 'open' ELSE conversations.status END, \
                   snoozed_until = CASE WHEN $7 THEN NULL ELSE conversations.snoozed_until END, \
                   last_position = conversations.last_position + 1, \
                   last_inbound_position = conversations.last_position + 1 \
                 RETURNING id, team_id, last_position, status",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(&push.channel_id)
            .bind(&contact_id)
            .bind(push.team.map(|t| t.to_string()))
            .bind(now)
            .bind(push.body.as_deref().unwrap_or(&push.kind))
            .bind(push.opens_window)
            .fetch_one(&mut *c)
            .await?
        }),
    };
    let message_id = Uuid::new_v4().to_string();
    let inserted = on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO messages (id, channel_id, conversation_id, position, direction, kind, body, fields, dedupe_key, created_at, media_id, media_state) \
             VALUES ($1, $2, $3, $10, 'in', $4, $5, $6, $7, $8, $9, CASE WHEN $9 IS NULL THEN NULL ELSE 'pending' END)",
        )
        .bind(&message_id)
        .bind(&push.channel_id)
        .bind(&conversation_id)
        .bind(&push.kind)
        .bind(&push.body)
        .bind(push.fields.to_string())
        .bind(&push.dedupe_key)
        .bind(now)
        .bind(&push.media_id)
        .bind(position)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    });
    match inserted {
        Ok(_) => {}
        // A concurrent retry of the same push won the race: this one is a duplicate.
        Err(err) if is_unique_violation(&err, "dedupe") => return Ok(Written::LostRace),
        Err(err) => return Err(err.into()),
    }
    index_terms_of(tx, &message_id, &push.search_terms).await?;
    if push.media_id.is_some() {
        enqueue(
            tx,
            now,
            &NewJob::now(MEDIA_JOB, json!({ "message": message_id }), now),
        )
        .await?;
    }
    let team = team.and_then(|t| t.parse().ok());
    let payload = json!({
        "conversation": conversation_id,
        "message": message_id,
        "contact": contact_id,
        "channel": push.channel_id,
        "kind": push.kind,
        "body": push.body,
        "status": status,
    });
    let event = NewEvent::new("message.received", None, payload).in_team(team);
    Ok(Written::New(
        StoredInbound {
            message_id,
            conversation_id,
            contact_id,
        },
        event,
    ))
}

impl super::Store {
    /// Counts of inbound messages per channel, for tests and the demo.
    pub async fn inbound_message_count(&self, channel_id: &str) -> AppResult<i64> {
        Ok(crate::on_read!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE channel_id = $1 AND direction = 'in'")
                .bind(channel_id)
                .fetch_one(pool)
                .await?
        }))
    }
}
