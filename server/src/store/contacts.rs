//! Contacts: the profile panel's read (with every visible conversation of
//! the same person across channels) and validated edits, each an event
//! that records what changed.

use super::conversations::{Scope, Viewer};
use super::events::{append, NewEvent};
use super::{stored, Store};
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use serde_json::{json, Value};
use shared::api::{ContactView, UpdateContact};
use shared::{ChannelId, ContactId, ConversationId, TeamId};
use std::collections::BTreeMap;

#[derive(sqlx::FromRow)]
struct ContactRow {
    #[sqlx(try_from = "String")]
    id: ContactId,
    #[sqlx(try_from = "String")]
    channel_id: ChannelId,
    channel_name: String,
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

const CONTACT_SELECT: &str = "SELECT k.id, k.channel_id, ch.name AS channel_name, k.open_id, k.union_id, k.name, k.remark, \
     k.phone, k.email, k.external_ids, k.attributes, k.tags, k.subscribed, k.language, k.created_at \
     FROM contacts k JOIN channels ch ON ch.id = k.channel_id WHERE k.id = $1";

impl Store {
    /// The contact, if the viewer may see one of its conversations.
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

/// The edit with text trimmed and blanks turned into "clear".
struct Clean {
    name: Option<Option<String>>,
    phone: Option<Option<String>>,
    email: Option<Option<String>>,
    external_ids: Option<BTreeMap<String, String>>,
    attributes: Option<BTreeMap<String, Value>>,
    tags: Option<Vec<String>>,
}

fn text(value: &Option<Option<String>>) -> Option<Option<String>> {
    value.as_ref().map(|v| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    })
}

fn validate(edit: &UpdateContact) -> AppResult<Clean> {
    let bad = |field: &str, message: &str| AppError::validation(field, message);
    let name = text(&edit.name);
    if name
        .as_ref()
        .and_then(Option::as_ref)
        .is_some_and(|n| n.chars().count() > 100)
    {
        return Err(bad("name", "Keep the name under 100 characters."));
    }
    let phone = text(&edit.phone);
    if let Some(Some(phone)) = &phone {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && i == 0));
        if !allowed || !(6..=15).contains(&digits) {
            return Err(bad(
                "phone",
                "Enter a phone number of 6 to 15 digits, like +852 9123 4567.",
            ));
        }
    }
    let email = text(&edit.email);
    if let Some(Some(email)) = &email {
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.contains(char::is_whitespace);
        if !valid {
            return Err(bad(
                "email",
                "Enter an email address like name@example.com.",
            ));
        }
    }
    let key_ok = |k: &str| !k.trim().is_empty() && k.chars().count() <= 40;
    if let Some(ids) = &edit.external_ids {
        if ids.len() > 20
            || ids
                .iter()
                .any(|(k, v)| !key_ok(k) || v.trim().is_empty() || v.chars().count() > 100)
        {
            return Err(bad(
                "external_ids",
                "External ids are up to 20 pairs of a system name (up to 40 characters) and an id (up to 100).",
            ));
        }
    }
    if let Some(attributes) = &edit.attributes {
        let value_ok = |v: &Value| match v {
            Value::String(s) => s.chars().count() <= 500,
            Value::Number(_) | Value::Bool(_) => true,
            _ => false,
        };
        if attributes.len() > 50 || attributes.iter().any(|(k, v)| !key_ok(k) || !value_ok(v)) {
            return Err(bad(
                "attributes",
                "Attributes are up to 50 names (up to 40 characters) with a text (up to 500), number or yes/no value.",
            ));
        }
    }
    let tags = match &edit.tags {
        Some(tags) => {
            // Counted before anything else, so a huge list costs nothing.
            if tags.len() > 30 {
                return Err(bad("tags", "At most 30 tags."));
            }
            let mut clean: Vec<String> = Vec::with_capacity(tags.len());
            let mut seen = std::collections::HashSet::with_capacity(tags.len());
            for tag in tags {
                let tag = tag.trim();
                if tag.is_empty() || tag.chars().count() > 32 {
                    return Err(bad("tags", "A tag is 1 to 32 characters."));
                }
                if seen.insert(tag) {
                    clean.push(tag.to_owned());
                }
            }
            Some(clean)
        }
        None => None,
    };
    Ok(Clean {
        name,
        phone,
        email,
        external_ids: edit.external_ids.clone(),
        attributes: edit.attributes.clone(),
        tags,
    })
}
