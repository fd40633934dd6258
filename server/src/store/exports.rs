//! Evidence bundles: the `exports` table (asked for, building, ready,
//! failed, expired) with an event at each step, and the reads that gather
//! one client's history for a bundle: their contacts on every channel,
//! the events filed under them (`event_subjects`), and their messages.

use super::events::{append, NewEvent};
use super::{stored, Store};
use crate::access::Access;
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use serde_json::json;
use shared::api::{ExportCounts, ExportReason, ExportRequest, ExportStatus, ExportView};
use shared::{ContactId, ExportId, UserId};

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: String,
    contact: String,
    contact_name: Option<String>,
    requested_by: String,
    requested_by_name: Option<String>,
    reason_category: String,
    reason_text: String,
    date_from: Option<i64>,
    date_to: Option<i64>,
    status: String,
    progress: i64,
    file_sha256: Option<String>,
    file_size: Option<i64>,
    counts: Option<String>,
    error: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
    expires_at: Option<i64>,
}

impl ExportRow {
    fn view(self) -> AppResult<ExportView> {
        Ok(ExportView {
            id: stored(&self.id)?,
            contact: stored(&self.contact)?,
            contact_name: self.contact_name,
            requested_by: stored(&self.requested_by)?,
            requested_by_name: self.requested_by_name.unwrap_or_default(),
            reason: ExportReason {
                category: stored(&self.reason_category)?,
                text: self.reason_text,
            },
            from: self.date_from,
            to: self.date_to,
            status: stored(&self.status)?,
            progress: self.progress,
            counts: self
                .counts
                .as_deref()
                .and_then(|c| serde_json::from_str(c).ok()),
            sha256: self.file_sha256,
            size: self.file_size,
            error: self.error,
            created_at: self.created_at,
            finished_at: self.finished_at,
            expires_at: self.expires_at,
        })
    }
}

const EXPORT_SELECT: &str = "SELECT x.id, x.contact, k.name AS contact_name, x.requested_by, \
     u.name AS requested_by_name, x.reason_category, x.reason_text, x.date_from, x.date_to, \
     x.status, x.progress, x.file_sha256, x.file_size, x.counts, x.error, x.created_at, \
     x.finished_at, x.expires_at \
     FROM exports x LEFT JOIN contacts k ON k.id = x.contact LEFT JOIN users u ON u.id = x.requested_by";

/// One of the client's contacts (a channel's follower), for the bundle.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct ClientContact {
    pub id: String,
    pub channel: String,
    pub channel_name: String,
    pub open_id: String,
    pub union_id: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(skip)]
    pub external_ids: String,
    pub conversation: Option<String>,
}

/// An event exactly as stored: the payload's text is what its digest covers.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub team: Option<String>,
    pub payload: String,
    pub payload_sha256: Option<String>,
}

/// A message, note or activity line of the client's, as the bundle lists it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredMessage {
    pub id: String,
    pub conversation_id: String,
    pub channel_id: String,
    pub contact_id: String,
    pub direction: String,
    pub kind: String,
    pub body: Option<String>,
    pub status: Option<String>,
    pub error: Option<String>,
    pub author: Option<String>,
    pub author_name: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub media_sha256: Option<String>,
    pub media_type: Option<String>,
    pub media_size: Option<i64>,
}

impl Store {
    /// Records an export asked for (the `access.export` event, which the
    /// client's access history lists) and queues the job that builds it.
    pub async fn request_export(
        &self,
        now: i64,
        access: &Access,
        request: &ExportRequest,
        job: &str,
    ) -> AppResult<ExportId> {
        let id = ExportId(uuid::Uuid::new_v4());
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO exports (id, contact, requested_by, reason_category, reason_text, \
                 date_from, date_to, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id.to_string())
            .bind(request.contact.to_string())
            .bind(access.reader.to_string())
            .bind(request.reason.category.as_str())
            .bind(&request.reason.text)
            .bind(request.from)
            .bind(request.to)
            .bind(ExportStatus::Queued.as_str())
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        let access = access.clone().detail(json!({
            "export": id,
            "reason": request.reason,
            "from": request.from,
            "to": request.to,
        }));
        let event = NewEvent::new(access.read.kind(), Some(access.reader), access.payload());
        let appended = append(&mut tx, now, &[event]).await?;
        let seq = appended.first().map_or(0, |e| e.seq.0);
        super::accesses::insert(&mut tx, seq, now, &access).await?;
        super::jobs::enqueue(
            &mut tx,
            now,
            &super::jobs::NewJob {
                max_attempts: 3,
                ..super::jobs::NewJob::now(job, json!({ "export": id }), now)
            },
        )
        .await?;
        self.commit(tx).await?;
        Ok(id)
    }

    pub async fn export(&self, id: ExportId) -> AppResult<Option<ExportView>> {
        let sql = format!("{EXPORT_SELECT} WHERE x.id = $1");
        let row: Option<ExportRow> = on_read!(self, pool => {
            sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?
        });
        row.map(ExportRow::view).transpose()
    }

    /// Exports newest first: everyone's, or only `requested_by`'s.
    pub async fn exports(
        &self,
        requested_by: Option<UserId>,
        limit: i64,
    ) -> AppResult<Vec<ExportView>> {
        let sql = format!(
            "{EXPORT_SELECT} WHERE ($1 IS NULL OR x.requested_by = $1) \
             ORDER BY x.created_at DESC, x.id LIMIT $2"
        );
        let rows: Vec<ExportRow> = on_read!(self, pool => {
            sqlx::query_as(&sql)
                .bind(requested_by.map(|u| u.to_string()))
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(ExportRow::view).collect()
    }

    /// How far the build got (0–100); no event, it is only progress.
    pub async fn export_progress(&self, id: ExportId, progress: i64) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE exports SET status = $2, progress = $3 WHERE id = $1 AND status IN ('queued', 'building')",
            )
            .bind(id.to_string())
            .bind(ExportStatus::Building.as_str())
            .bind(progress)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(())
    }

    /// The bundle is written: ready to download until `expires_at`.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_export(
        &self,
        now: i64,
        export: &ExportView,
        sha256: &str,
        size: i64,
        counts: ExportCounts,
        checkpoint_size: u64,
        expires_at: i64,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        let updated = on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE exports SET status = $2, progress = 100, file_sha256 = $3, file_size = $4, \
                 counts = $5, finished_at = $6, expires_at = $7, error = NULL \
                 WHERE id = $1 AND status IN ('queued', 'building')",
            )
            .bind(export.id.to_string())
            .bind(ExportStatus::Ready.as_str())
            .bind(sha256)
            .bind(size)
            .bind(serde_json::to_string(&counts).unwrap_or_default())
            .bind(now)
            .bind(expires_at)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        if updated == 0 {
            // Finished (or given up) already, by another run of the job.
            return Ok(());
        }
        let payload = json!({
            "export": export.id,
            "contact": export.contact,
            "sha256": sha256,
            "size": size,
            "counts": counts,
            "checkpoint": checkpoint_size,
        });
        append(
            &mut tx,
            now,
            &[NewEvent::new("export.finished", None, payload)],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// The build gave up: why, for the requester.
    pub async fn fail_export(&self, now: i64, id: ExportId, error: &str) -> AppResult<()> {
        let Some(export) = self.export(id).await? else {
            return Ok(());
        };
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE exports SET status = $2, error = $3, finished_at = $4 WHERE id = $1")
                .bind(id.to_string())
                .bind(ExportStatus::Failed.as_str())
                .bind(error)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        let payload = json!({ "export": id, "contact": export.contact, "error": error });
        append(
            &mut tx,
            now,
            &[NewEvent::new("export.failed", None, payload)],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Ready exports past their time, marked expired; their ids, so the
    /// caller removes the files.
    pub async fn expire_exports(&self, now: i64) -> AppResult<Vec<ExportId>> {
        let mut tx = self.begin().await?;
        let ids: Vec<String> = on_tx!(&mut tx, c => {
            sqlx::query_scalar(
                "UPDATE exports SET status = 'expired' WHERE status = 'ready' AND expires_at <= $1 RETURNING id",
            )
            .bind(now)
            .fetch_all(&mut *c)
            .await?
        });
        tx.commit_quietly().await?;
        ids.iter().map(|id| stored(id)).collect()
    }

    /// The client `contact` is: that contact and every other (on another
    /// channel) with the same WeChat unionid, each with its conversation.
    pub async fn client_contacts(&self, contact: ContactId) -> AppResult<Vec<ClientContact>> {
        let rows: Vec<ClientContact> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT k.id, k.channel_id AS channel, h.name AS channel_name, k.open_id, k.union_id, \
                 k.name, k.phone, k.email, k.external_ids, v.id AS conversation \
                 FROM contacts k JOIN channels h ON h.id = k.channel_id \
                 LEFT JOIN conversations v ON v.contact_id = k.id \
                 WHERE k.id = $1 OR k.union_id = (SELECT NULLIF(union_id, '') FROM contacts WHERE id = $1) \
                 ORDER BY CASE WHEN k.id = $1 THEN 0 ELSE 1 END, k.created_at, k.id",
            )
            .bind(contact.to_string())
            .fetch_all(pool)
            .await?
        });
        if rows.is_empty() {
            return Err(AppError::NotFound("That contact"));
        }
        Ok(rows)
    }

    /// Every event filed under `subjects` (contact and conversation ids)
    /// up to `up_to`, in `seq` order, exactly as stored.
    pub async fn subject_events(
        &self,
        subjects: &[String],
        up_to: i64,
    ) -> AppResult<Vec<StoredEvent>> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT e.seq, e.at, e.kind, e.actor, e.team, e.payload, e.payload_sha256 FROM events e \
             WHERE e.seq IN (SELECT s.seq FROM event_subjects s WHERE s.subject IN ({}) AND s.seq <= $1) \
             ORDER BY e.seq",
            super::marks(subjects.len(), 2)
        );
        let rows: Vec<StoredEvent> = on_read!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(up_to);
            for subject in subjects {
                query = query.bind(subject);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The messages, notes and activity lines of `conversations`, oldest first.
    pub async fn messages_of_conversations(
        &self,
        conversations: &[String],
    ) -> AppResult<Vec<StoredMessage>> {
        if conversations.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT m.id, m.conversation_id, m.channel_id, v.contact_id, m.direction, m.kind, m.body, \
             m.status, m.error, m.author, u.name AS author_name, m.created_at, m.sent_at, \
             m.media_sha256, m.media_type, m.media_size \
             FROM messages m JOIN conversations v ON v.id = m.conversation_id \
             LEFT JOIN users u ON u.id = m.author \
             WHERE m.conversation_id IN ({}) ORDER BY m.created_at, m.conversation_id, m.position",
            super::marks(conversations.len(), 1)
        );
        let rows: Vec<StoredMessage> = on_read!(self, pool => {
            let mut query = sqlx::query_as(&sql);
            for conversation in conversations {
                query = query.bind(conversation);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Names and roles of users, by id.
    pub async fn user_names(
        &self,
    ) -> AppResult<std::collections::HashMap<String, (String, String)>> {
        let rows: Vec<(String, String, String)> = on_read!(self, pool => {
            sqlx::query_as("SELECT id, name, role FROM users").fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, role)| (id, (name, role)))
            .collect())
    }
}

/// An event of a client's history page.
#[derive(sqlx::FromRow)]
struct HistoryRow {
    seq: i64,
    at: i64,
    kind: String,
    actor: Option<String>,
    payload: String,
}

/// Which part of a client's history to read.
#[derive(Clone, Copy, Debug)]
pub struct HistoryPage {
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Entries with a `seq` below this (the newest when `None`).
    pub before: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// The client's complete history on every channel (their contacts by
    /// unionid), newest first: every event filed under them, with the
    /// message each is about as it stands now.
    pub async fn client_history(
        &self,
        contact: ContactId,
        page: HistoryPage,
    ) -> AppResult<shared::api::ClientHistory> {
        let contacts = self.client_contacts(contact).await?;
        let subjects: Vec<String> = contacts
            .iter()
            .map(|c| c.id.clone())
            .chain(contacts.iter().filter_map(|c| c.conversation.clone()))
            .collect();
        let sql = format!(
            "SELECT e.seq, e.at, e.kind, e.actor, e.payload FROM event_subjects s \
             JOIN events e ON e.seq = s.seq \
             WHERE s.subject IN ({}) AND s.seq < $1 AND e.at >= $2 AND e.at <= $3 \
             ORDER BY s.seq DESC LIMIT $4",
            super::marks(subjects.len(), 5)
        );
        let rows: Vec<HistoryRow> = on_read!(self, pool => {
            let mut query = sqlx::query_as(&sql)
                .bind(page.before.unwrap_or(i64::MAX))
                .bind(page.from.unwrap_or(i64::MIN))
                .bind(page.to.unwrap_or(i64::MAX))
                .bind(page.limit);
            for subject in &subjects {
                query = query.bind(subject);
            }
            query.fetch_all(pool).await?
        });
        let payloads: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null))
            .collect();
        let message_ids: Vec<String> = payloads
            .iter()
            .filter_map(|p| p.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let messages: std::collections::HashMap<String, shared::api::MessageView> = self
            .messages_by_id(&message_ids)
            .await?
            .into_iter()
            .map(|m| (m.id.to_string(), m))
            .collect();
        let users = self.user_names().await?;
        let channel_of: std::collections::HashMap<&str, &str> = contacts
            .iter()
            .filter_map(|c| Some((c.conversation.as_deref()?, c.channel_name.as_str())))
            .collect();
        let before = (rows.len() as i64 == page.limit)
            .then(|| rows.last().map(|r| r.seq))
            .flatten();
        let entries = rows
            .into_iter()
            .zip(payloads)
            .map(|(row, payload)| {
                let conversation = payload.get("conversation").and_then(|c| c.as_str());
                let message = payload
                    .get("message")
                    .and_then(|m| m.as_str())
                    .and_then(|m| messages.get(m))
                    .cloned();
                Ok(shared::api::HistoryEntry {
                    seq: row.seq,
                    at: row.at,
                    actor_name: row
                        .actor
                        .as_ref()
                        .and_then(|a| users.get(a))
                        .map(|u| u.0.clone()),
                    actor: row.actor.as_deref().map(stored).transpose()?,
                    conversation_id: conversation.map(stored).transpose()?,
                    channel_name: conversation
                        .and_then(|c| channel_of.get(c))
                        .map(|c| (*c).to_owned()),
                    kind: row.kind,
                    message,
                    detail: payload,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let contacts = contacts
            .into_iter()
            .map(|c| {
                Ok(shared::api::ClientContactView {
                    contact_id: stored(&c.id)?,
                    conversation_id: c.conversation.as_deref().map(stored).transpose()?,
                    channel_name: c.channel_name,
                    open_id: c.open_id,
                    union_id: c.union_id,
                    name: c.name,
                    phone: c.phone,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(shared::api::ClientHistory {
            contacts,
            entries,
            before,
        })
    }
}

impl Store {
    /// Every row of the index of events by client, in `seq` order:
    /// `each(seq, subject)`; `audit verify` holds it against the log.
    pub async fn each_event_subject(
        &self,
        mut each: impl FnMut(i64, &str),
    ) -> Result<(), sqlx::Error> {
        use futures::TryStreamExt;
        let sql = "SELECT seq, subject FROM event_subjects ORDER BY seq, subject";
        on_read!(self, pool => {
            let mut rows = sqlx::query_as::<_, (i64, String)>(sql).fetch(pool);
            while let Some((seq, subject)) = rows.try_next().await? {
                each(seq, &subject);
            }
        });
        Ok(())
    }
}
