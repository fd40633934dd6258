//! Contacts: the profile panel's read (with every visible conversation of
//! the same person across channels) and validated edits, each an event
//! that records what changed.

use super::conversations::{Scope, Viewer};
use super::events::{append, NewEvent};
use super::{stored, Store};
use crate::contacts::validate;
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use serde_json::{json, Value};
use shared::api::{ContactView, UpdateContact};
use shared::{ChannelId, ContactId, ConversationId, TeamId};

#[derive(sqlx::FromRow)]
struct ContactRow {
    #[sqlx(try_from = "String")]
    id: ContactId,
    #[sqlx(try_from = "String")]
    channel_id: ChannelId,
    channel_name: String,
    channel_kind: String,
    open_id: String,
    union_id: Option<String>,
    name: Option<String>,
    remark: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    external_ids: String,
    attributes: String,
    tags: String,
    subscribed: bool,
    language: Option<String>,
    created_at: i64,
}

const CONTACT_SELECT: &str = "SELECT k.id, k.channel_id, ch.name AS channel_name, ch.kind AS channel_kind, k.open_id, k.union_id, k.name, k.remark, \
     k.phone, k.email, k.external_ids, k.attributes, k.tags, k.subscribed, k.language, k.created_at \
     FROM contacts k JOIN channels ch ON ch.id = k.channel_id WHERE k.id = $1";

impl Store {
    /// The contact, if the viewer may see one of its conversations.
    /// Contacts whose id in `system` is exactly `id` (ids in other systems
    /// are a JSON object per contact: found by text first, then checked).
    pub async fn contacts_by_external_id(
        &self,
        system: &str,
        id: &str,
    ) -> AppResult<Vec<ContactId>> {
        let quoted = serde_json::to_string(id).map_err(AppError::internal)?;
        let escaped = quoted
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let rows: Vec<(String, String)> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT id, external_ids FROM contacts WHERE external_ids LIKE $1 ESCAPE '\\' LIMIT 50",
            )
            .bind(&pattern)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .filter(|(_, ids)| {
                serde_json::from_str::<std::collections::BTreeMap<String, String>>(ids)
                    .is_ok_and(|ids| ids.get(system).map(String::as_str) == Some(id))
            })
            .map(|(contact, _)| stored::<ContactId>(&contact))
            .collect()
    }

    pub async fn contact(
        &self,
        viewer: &Viewer<'_>,
        id: ContactId,
    ) -> AppResult<Option<ContactView>> {
        let row: Option<ContactRow> = on_read!(self, pool => sqlx::query_as(CONTACT_SELECT).bind(id.to_string()).fetch_optional(pool).await?);
        let Some(row) = row else { return Ok(None) };
        // Every conversation of this person: this contact's, and those of
        // contacts on other channels with the same union id.
        let ids: Vec<String> = on_read!(self, pool => {
            sqlx::query_scalar(
                "SELECT v.id FROM conversations v JOIN contacts k ON k.id = v.contact_id \
                 WHERE k.id = $1 OR (k.union_id IS NOT NULL AND k.union_id = $2)",
            )
            .bind(row.id.to_string())
            .bind(&row.union_id)
            .fetch_all(pool)
            .await?
        });
        let ids = ids
            .iter()
            .map(|id| stored::<ConversationId>(id))
            .collect::<AppResult<Vec<_>>>()?;
        let conversations = self.conversation_summaries(viewer, &ids).await?;
        let own_visible = conversations.iter().any(|c| c.contact_id == row.id);
        if !own_visible && !matches!(viewer.scope, Scope::All) {
            return Ok(None);
        }
        Ok(Some(ContactView {
            id: row.id,
            channel_id: row.channel_id,
            channel_name: row.channel_name,
            channel_kind: row.channel_kind,
            open_id: row.open_id,
            union_id: row.union_id,
            name: row.name,
            remark: row.remark,
            phone: row.phone,
            email: row.email,
            external_ids: serde_json::from_str(&row.external_ids).unwrap_or_default(),
            attributes: serde_json::from_str(&row.attributes).unwrap_or_default(),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            subscribed: row.subscribed,
            language: row.language,
            created_at: row.created_at,
            conversations,
        }))
    }

    /// Applies a validated edit; the event names each changed field with
    /// its old and new value, for the audit trail.
    pub async fn update_contact(
        &self,
        now: i64,
        viewer: &Viewer<'_>,
        id: ContactId,
        edit: &UpdateContact,
    ) -> AppResult<ContactView> {
        let before = self
            .contact(viewer, id)
            .await?
            .ok_or(AppError::NotFound("That contact"))?;
        let clean = validate(edit)?;
        let mut changes = serde_json::Map::new();
        let mut note = |field: &str, old: Value, new: Value| {
            if old != new {
                changes.insert(field.to_owned(), json!({ "from": old, "to": new }));
            }
        };
        let name = clean.name.clone().unwrap_or(before.name.clone());
        let phone = clean.phone.clone().unwrap_or(before.phone.clone());
        let email = clean.email.clone().unwrap_or(before.email.clone());
        let external_ids = clean
            .external_ids
            .clone()
            .unwrap_or(before.external_ids.clone());
        let attributes = clean
            .attributes
            .clone()
            .unwrap_or(before.attributes.clone());
        let tags = clean.tags.clone().unwrap_or(before.tags.clone());
        note("name", json!(before.name), json!(name));
        note("phone", json!(before.phone), json!(phone));
        note("email", json!(before.email), json!(email));
        note(
            "external_ids",
            json!(before.external_ids),
            json!(external_ids),
        );
        note("attributes", json!(before.attributes), json!(attributes));
        note("tags", json!(before.tags), json!(tags));
        if changes.is_empty() {
            return Ok(before);
        }
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE contacts SET name = $2, phone = $3, email = $4, external_ids = $5, attributes = $6, tags = $7, updated_at = $8 WHERE id = $1",
            )
            .bind(id.to_string())
            .bind(&name)
            .bind(&phone)
            .bind(&email)
            .bind(json!(external_ids).to_string())
            .bind(json!(attributes).to_string())
            .bind(json!(tags).to_string())
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        let teams: Vec<Option<TeamId>> = before
            .conversations
            .iter()
            .filter(|c| c.contact_id == id)
            .map(|c| c.team)
            .collect();
        let conversations: Vec<ConversationId> = before
            .conversations
            .iter()
            .filter(|c| c.contact_id == id)
            .map(|c| c.id)
            .collect();
        let payload = json!({ "contact": id, "conversations": conversations, "changes": changes });
        let events: Vec<NewEvent> = if teams.is_empty() {
            vec![NewEvent::new("contact.updated", Some(viewer.user), payload)]
        } else {
            teams
                .into_iter()
                .map(|team| {
                    NewEvent::new("contact.updated", Some(viewer.user), payload.clone())
                        .in_team(team)
                })
                .collect()
        };
        append(&mut tx, now, &events).await?;
        self.commit(tx).await?;
        self.contact(viewer, id)
            .await?
            .ok_or(AppError::NotFound("That contact"))
    }
}
