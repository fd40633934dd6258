//! Storing inbound WeChat pushes: contacts, conversations, messages and
//! their events in the caller's transaction, exactly once per dedupe key.

use super::events::NewEvent;
use super::jobs::{enqueue_many, NewJob};
use super::{is_unique_violation, stored, Tx};
use crate::error::AppResult;
use crate::on_tx;
use serde_json::json;
use shared::{ChannelId, ContactId, ConversationId, MessageId, TeamId};
use uuid::Uuid;

/// One push, flattened for storage.
#[derive(Clone, Debug)]
pub struct Inbound {
    pub channel_id: ChannelId,
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
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub contact_id: ContactId,
}

/// What one push of a batch became.
pub enum Written {
    /// Stored; the event is for the caller to append.
    New(StoredInbound, NewEvent),
    /// A copy of a push stored earlier, or earlier in the same batch;
    /// nothing written.
    Seen,
}

impl super::Store {
    /// Counts of inbound messages per channel, for tests and the demo.
    pub async fn inbound_message_count(&self, channel_id: ChannelId) -> AppResult<i64> {
        Ok(crate::on_read!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE channel_id = $1 AND direction = 'in'")
                .bind(channel_id.to_string())
                .fetch_one(pool)
                .await?
        }))
    }
}

/// One contact's share of a batch.
struct ContactPushes<'a> {
    channel_id: ChannelId,
    open_id: &'a str,
    team: Option<TeamId>,
    /// The last subscribe or unsubscribe among its pushes.
    subscribed: Option<bool>,
    /// Any of its pushes opens the reply window.
    opens_window: bool,
    /// Its new messages in this batch.
    count: i64,
    preview: &'a str,
    contact_id: String,
    conversation: Option<Placed>,
}

/// A conversation after a batch placed its messages: they take the
/// positions up to `last_position`.
#[derive(sqlx::FromRow)]
struct Placed {
    id: String,
    contact_id: String,
    team_id: Option<String>,
    last_position: i64,
    status: String,
}

/// Stores a batch of pushes in `tx`, exactly once per dedupe key, in push
/// order, with a handful of multi-row statements whatever the batch size
/// (round trips to the database, not rows, bound the single writer). The
/// events are returned for the caller to append, once for the batch.
///
/// `None`: a copy of one of the pushes was committed by another writer
/// while this ran and the message insert hit the unique key. That aborts
/// the transaction (or savepoint) on PostgreSQL; the caller rolls back and
/// stores each push on its own, when the copy is seen and skipped.
pub async fn store_inbound_batch(
    tx: &mut Tx,
    now: i64,
    pushes: &[&Inbound],
) -> AppResult<Option<Vec<Written>>> {
    use std::collections::{HashMap, HashSet};
    let started = std::time::Instant::now();
    // Pushes already stored, and copies of one push within the batch.
    let seen = stored_keys(tx, pushes).await?;
    let looked_up = started.elapsed();
    let mut taken = HashSet::new();
    let fresh: Vec<bool> = pushes
        .iter()
        .map(|p| {
            let key = (p.channel_id, p.dedupe_key.as_str());
            !seen.contains(&key) && taken.insert(key)
        })
        .collect();

    // One row per contact, in order of first appearance.
    let mut contacts: Vec<ContactPushes<'_>> = Vec::new();
    let mut contact_of: HashMap<(ChannelId, &str), usize> = HashMap::new();
    let mut slot = vec![usize::MAX; pushes.len()];
    for (i, push) in pushes.iter().enumerate().filter(|(i, _)| fresh[*i]) {
        let key = (push.channel_id, push.open_id.as_str());
        let at = *contact_of.entry(key).or_insert_with(|| {
            contacts.push(ContactPushes {
                channel_id: push.channel_id,
                open_id: &push.open_id,
                team: push.team,
                subscribed: None,
                opens_window: false,
                count: 0,
                preview: "",
                contact_id: String::new(),
                conversation: None,
            });
            contacts.len() - 1
        });
        let contact = &mut contacts[at];
        contact.subscribed = push.subscribed.or(contact.subscribed);
        contact.opens_window |= push.opens_window;
        contact.count += 1;
        contact.preview = push.body.as_deref().unwrap_or(&push.kind);
        slot[i] = at;
    }
    if contacts.is_empty() {
        return Ok(Some(pushes.iter().map(|_| Written::Seen).collect()));
    }
    upsert_contacts(tx, now, &mut contacts).await?;
    let contacted = started.elapsed();
    place_messages(tx, now, &mut contacts).await?;
    let placed_at = started.elapsed();

    // Messages take their conversation's new positions in push order.
    let mut next: Vec<i64> = contacts
        .iter()
        .map(|c| c.conversation.as_ref().map_or(0, |p| p.last_position) - c.count + 1)
        .collect();
    let mut written = Vec::with_capacity(pushes.len());
    let mut rows = Vec::new();
    let mut media_jobs = Vec::new();
    for (i, push) in pushes.iter().enumerate() {
        let Some(contact) = contacts.get(slot[i]) else {
            written.push(Written::Seen);
            continue;
        };
        let Some(placed) = &contact.conversation else {
            return Err(anyhow::anyhow!("a conversation was not placed").into());
        };
        let message_id = MessageId(Uuid::new_v4());
        let position = next[slot[i]];
        next[slot[i]] += 1;
        if push.media_id.is_some() {
            media_jobs.push(NewJob::now(
                MEDIA_JOB,
                json!({ "message": message_id }),
                now,
            ));
        }
        let payload = json!({
            "conversation": placed.id,
            "message": message_id,
            "contact": contact.contact_id,
            "channel": push.channel_id,
            "kind": push.kind,
            "body": push.body,
            "status": placed.status,
            // A client's own message (not an event push): they now wait.
            "opens_window": push.opens_window,
        });
        let team = placed.team_id.as_deref().and_then(|t| t.parse().ok());
        written.push(Written::New(
            StoredInbound {
                message_id,
                conversation_id: stored(&placed.id)?,
                contact_id: stored(&contact.contact_id)?,
            },
            NewEvent::new("message.received", None, payload).in_team(team),
        ));
        rows.push((*push, message_id.to_string(), placed.id.as_str(), position));
    }
    if !insert_messages(tx, now, &rows).await? {
        return Ok(None);
    }
    let inserted = started.elapsed();
    let terms: Vec<(&str, &[String])> = rows
        .iter()
        .map(|(push, id, ..)| (id.as_str(), push.search_terms.as_slice()))
        .collect();
    super::search::index_many(tx, &terms).await?;
    enqueue_many(tx, now, &media_jobs).await?;
    // Where a batch's time goes, step by step (cumulative).
    tracing::debug!(
        pushes = pushes.len(),
        contacts = contacts.len(),
        lookup_us = looked_up.as_micros() as u64,
        contacts_us = contacted.as_micros() as u64,
        place_us = placed_at.as_micros() as u64,
        messages_us = inserted.as_micros() as u64,
        indexed_us = started.elapsed().as_micros() as u64,
        "stored a batch of pushes"
    );
    Ok(Some(written))
}

/// The (channel, dedupe key) pairs of `pushes` already stored.
async fn stored_keys<'a>(
    tx: &mut Tx,
    pushes: &[&'a Inbound],
) -> AppResult<std::collections::HashSet<(ChannelId, &'a str)>> {
    let mut channels: Vec<ChannelId> = pushes.iter().map(|p| p.channel_id).collect();
    channels.sort_unstable();
    channels.dedup();
    let mut stored = std::collections::HashSet::new();
    for channel in channels {
        let keys: Vec<&str> = pushes
            .iter()
            .filter(|p| p.channel_id == channel)
            .map(|p| p.dedupe_key.as_str())
            .collect();
        let sql = format!(
            "SELECT dedupe_key FROM messages WHERE channel_id = $1 AND dedupe_key IN ({})",
            super::marks(keys.len(), 2)
        );
        let found: Vec<String> = on_tx!(tx, c => {
            let mut query = sqlx::query_scalar(&sql).bind(channel.to_string());
            for key in &keys {
                query = query.bind(*key);
            }
            query.fetch_all(&mut *c).await?
        });
        for key in found {
            if let Some(push) = pushes
                .iter()
                .find(|p| p.channel_id == channel && p.dedupe_key == key)
            {
                stored.insert((push.channel_id, push.dedupe_key.as_str()));
            }
        }
    }
    Ok(stored)
}

/// Creates or updates every contact of the batch (one statement for those
/// that (un)subscribed, one for the rest) and queues a profile lookup for
/// each one not asked about yet.
async fn upsert_contacts(
    tx: &mut Tx,
    now: i64,
    contacts: &mut [ContactPushes<'_>],
) -> AppResult<()> {
    let mut new_contacts = Vec::new();
    let per_statement = tx.backend().batch_rows(8);
    let groups: Vec<(bool, Vec<usize>)> = [false, true]
        .into_iter()
        .flat_map(|explicit| {
            let members: Vec<usize> = (0..contacts.len())
                .filter(|&i| contacts[i].subscribed.is_some() == explicit)
                .collect();
            members
                .chunks(per_statement)
                .map(|chunk| (explicit, chunk.to_vec()))
                .collect::<Vec<_>>()
        })
        .collect();
    for (explicit, group) in groups {
        // last_inbound_at is set exactly when the window opens, so the update
        // reads that from `excluded`.
        let sql = format!(
            "INSERT INTO contacts (id, channel_id, open_id, subscribed, last_inbound_at, replies_in_window, created_at, updated_at) \
             VALUES {} \
             ON CONFLICT (channel_id, open_id) DO UPDATE SET \
               subscribed = {}, \
               last_inbound_at = COALESCE(excluded.last_inbound_at, contacts.last_inbound_at), \
               replies_in_window = CASE WHEN excluded.last_inbound_at IS NULL THEN contacts.replies_in_window ELSE 0 END, \
               updated_at = excluded.updated_at \
             RETURNING id, channel_id, open_id, profile_state",
            super::value_rows(group.len(), 8, 1),
            if explicit { "excluded.subscribed" } else { "contacts.subscribed" },
        );
        let returned: Vec<(String, String, String, String)> = on_tx!(tx, c => {
            let mut query = sqlx::query_as(&sql);
            for &i in &group {
                let contact = &contacts[i];
                query = query
                    .bind(Uuid::new_v4().to_string())
                    .bind(contact.channel_id.to_string())
                    .bind(contact.open_id)
                    .bind(contact.subscribed.unwrap_or(true))
                    .bind(contact.opens_window.then_some(now))
                    .bind(0_i64)
                    .bind(now)
                    .bind(now);
            }
            query.fetch_all(&mut *c).await?
        });
        for (id, channel_id, open_id, profile_state) in returned {
            let channel_id: ChannelId = stored(&channel_id)?;
            let Some(contact) = contacts
                .iter_mut()
                .find(|c| c.channel_id == channel_id && c.open_id == open_id)
            else {
                continue;
            };
            if profile_state == "none" {
                new_contacts.push(id.clone());
            }
            contact.contact_id = id;
        }
    }
    if contacts.iter().any(|c| c.contact_id.is_empty()) {
        return Err(anyhow::anyhow!("a contact was not stored").into());
    }
    if new_contacts.is_empty() {
        return Ok(());
    }
    // New contacts: ask WeChat who they are, once.
    let sql = format!(
        "UPDATE contacts SET profile_state = 'queued' WHERE id IN ({})",
        super::marks(new_contacts.len(), 1)
    );
    on_tx!(tx, c => {
        let mut query = sqlx::query(&sql);
        for id in &new_contacts {
            query = query.bind(id);
        }
        query.execute(&mut *c).await?.rows_affected()
    });
    let jobs: Vec<NewJob> = new_contacts
        .into_iter()
        .map(|id| NewJob::now(PROFILE_JOB, json!({ "contact": id }), now))
        .collect();
    enqueue_many(tx, now, &jobs).await
}

/// Reserves each contact's positions in its conversation. Conversations
/// already open and waiting (or pushes that are only events) take one UPDATE
/// that leaves status and waiting time alone, so only the activity indexes
/// are rewritten; the rest take one upsert that creates or reopens.
async fn place_messages(
    tx: &mut Tx,
    now: i64,
    contacts: &mut [ContactPushes<'_>],
) -> AppResult<()> {
    let sql = format!(
        "WITH batch (contact_id, added, preview, opens) AS (VALUES {}) \
         UPDATE conversations SET last_message_at = $1, preview = batch.preview, \
           last_position = conversations.last_position + batch.added, \
           last_inbound_position = conversations.last_position + batch.added \
         FROM batch WHERE conversations.contact_id = batch.contact_id \
           AND (NOT batch.opens OR (conversations.status = 'open' AND conversations.waiting_since IS NOT NULL)) \
         RETURNING conversations.id, conversations.contact_id, conversations.team_id, \
           conversations.last_position, conversations.status",
        super::value_rows(contacts.len(), 4, 2)
    );
    let hot: Vec<Placed> = on_tx!(tx, c => {
        let mut query = sqlx::query_as(&sql).bind(now);
        for contact in contacts.iter() {
            query = query
                .bind(&contact.contact_id)
                .bind(contact.count)
                .bind(contact.preview)
                .bind(contact.opens_window);
        }
        query.fetch_all(&mut *c).await?
    });
    attach(contacts, hot);
    let cold: Vec<usize> = (0..contacts.len())
        .filter(|&i| contacts[i].conversation.is_none())
        .collect();
    if cold.is_empty() {
        return Ok(());
    }
    // waiting_since is set exactly when the window opens, so the update
    // reads that from `excluded`.
    let sql = format!(
        "INSERT INTO conversations (id, channel_id, contact_id, team_id, status, last_message_at, created_at, \
                                    preview, waiting_since, last_position, last_inbound_position) \
         VALUES {} \
         ON CONFLICT (contact_id) DO UPDATE SET last_message_at = excluded.last_message_at, preview = excluded.preview, \
           waiting_since = COALESCE(conversations.waiting_since, excluded.waiting_since), \
           status = CASE WHEN excluded.waiting_since IS NOT NULL AND conversations.status IN ('resolved', 'snoozed', 'pending') \
                         THEN 'open' ELSE conversations.status END, \
           snoozed_until = CASE WHEN excluded.waiting_since IS NOT NULL THEN NULL ELSE conversations.snoozed_until END, \
           last_position = conversations.last_position + excluded.last_position, \
           last_inbound_position = conversations.last_position + excluded.last_position \
         RETURNING id, contact_id, team_id, last_position, status",
        super::value_rows(cold.len(), 11, 1)
    );
    let placed: Vec<Placed> = on_tx!(tx, c => {
        let mut query = sqlx::query_as(&sql);
        for &i in &cold {
            let contact = &contacts[i];
            query = query
                .bind(Uuid::new_v4().to_string())
                .bind(contact.channel_id.to_string())
                .bind(&contact.contact_id)
                .bind(contact.team.map(|t| t.to_string()))
                .bind("open")
                .bind(now)
                .bind(now)
                .bind(contact.preview)
                .bind(contact.opens_window.then_some(now))
                .bind(contact.count)
                .bind(contact.count);
        }
        query.fetch_all(&mut *c).await?
    });
    attach(contacts, placed);
    if contacts.iter().any(|c| c.conversation.is_none()) {
        return Err(anyhow::anyhow!("a conversation was not placed").into());
    }
    Ok(())
}

fn attach(contacts: &mut [ContactPushes<'_>], placed: Vec<Placed>) {
    for conversation in placed {
        if let Some(contact) = contacts
            .iter_mut()
            .find(|c| c.contact_id == conversation.contact_id)
        {
            contact.conversation = Some(conversation);
        }
    }
}

/// Inserts the batch's messages; `false` when one hit the dedupe key (see
/// [`store_inbound_batch`]).
async fn insert_messages(
    tx: &mut Tx,
    now: i64,
    rows: &[(&Inbound, String, &str, i64)],
) -> AppResult<bool> {
    for chunk in rows.chunks(tx.backend().batch_rows(12)) {
        let sql = format!(
            "INSERT INTO messages (id, channel_id, conversation_id, position, direction, kind, body, fields, \
                                   dedupe_key, created_at, media_id, media_state) VALUES {}",
            super::value_rows(chunk.len(), 12, 1)
        );
        let inserted = on_tx!(tx, c => {
            let mut query = sqlx::query(&sql);
            for (push, id, conversation, position) in chunk {
                query = query
                    .bind(id)
                    .bind(push.channel_id.to_string())
                    .bind(*conversation)
                    .bind(*position)
                    .bind("in")
                    .bind(&push.kind)
                    .bind(&push.body)
                    .bind(push.fields.to_string())
                    .bind(&push.dedupe_key)
                    .bind(now)
                    .bind(&push.media_id)
                    .bind(push.media_id.as_ref().map(|_| "pending"));
            }
            query.execute(&mut *c).await.map(|r| r.rows_affected())
        });
        match inserted {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err, "dedupe") => return Ok(false),
            Err(err) => return Err(err.into()),
        }
    }
    Ok(true)
}
