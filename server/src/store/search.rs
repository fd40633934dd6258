//! The search index (written with each message, in its transaction) and
//! agent-scoped searches over messages and contacts.

use super::conversations::Scope;
use super::{stored, Store, Tx};
use crate::error::AppResult;
use crate::search::index_terms;
use crate::{on_read, on_tx};
use shared::api::{ContactHit, MessageHit};
use shared::MessageId;

/// id, conversation, position, direction, body, contact name, created at, contact.
type MessageHitRow = (
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    i64,
    String,
);
/// contact, conversation, name, open id, phone, channel name.
type ContactHitRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
);

/// Adds one message's text to the index inside `tx`.
pub async fn index_message(tx: &mut Tx, message_id: MessageId, text: &str) -> AppResult<()> {
    index_many(tx, &[(&message_id.to_string(), &index_terms(text))]).await
}

/// Indexes several messages' terms (computed beforehand) with one statement.
pub async fn index_many(tx: &mut Tx, messages: &[(&str, &[String])]) -> AppResult<()> {
    let rows: Vec<(&str, String)> = messages
        .iter()
        .filter(|(_, terms)| !terms.is_empty())
        .map(|(id, terms)| (*id, terms.join(" ")))
        .collect();
    for chunk in rows.chunks(tx.backend().batch_rows(2)) {
        let sql = tx.backend().insert_search_terms(chunk.len());
        on_tx!(tx, c => {
            let mut query = sqlx::query(&sql);
            for (id, terms) in chunk {
                query = query.bind(*id).bind(terms);
            }
            query.execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

/// The scope as SQL on `v.team_id`, with its values from `$first` on.
fn scope_sql(scope: &Scope<'_>, first: usize) -> (String, Vec<String>) {
    match scope {
        Scope::All => ("1 = 1".into(), Vec::new()),
        Scope::Teams([]) => ("1 = 0".into(), Vec::new()),
        Scope::Teams(teams) => {
            let marks = super::marks(teams.len(), first);
            (
                format!("v.team_id IN ({})", marks),
                teams.iter().map(|t| t.to_string()).collect(),
            )
        }
    }
}

impl Store {
    /// Messages containing every term, newest indexed first, in
    /// conversations the scope allows. Candidates are read from the index
    /// newest first in windows, each starting where the last ended (keyset,
    /// never OFFSET), so a common word stops at the first `limit` visible
    /// hits instead of sorting every match, and a team that sees few of
    /// them pays the same for each window: one read of the index per
    /// window, then the visible messages among its candidates.
    pub async fn search_messages(
        &self,
        scope: &Scope<'_>,
        terms: &[String],
        limit: i64,
    ) -> AppResult<Vec<MessageHit>> {
        const WINDOW: i64 = 500;
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, 100);
        let (candidates_sql, query) = self.backend().search_candidates(terms);
        let mut hits: Vec<MessageHitRow> = Vec::new();
        let mut before = i64::MAX;
        loop {
            // Every candidate is visible to a scope of all teams, so it reads
            // only as many as it still needs.
            let window = match scope {
                Scope::All => limit - hits.len() as i64,
                Scope::Teams(_) => WINDOW,
            };
            let read: Vec<(String, i64)> = on_read!(self, pool => {
                sqlx::query_as(candidates_sql)
                    .bind(&query)
                    .bind(window)
                    .bind(before)
                    .fetch_all(pool)
                    .await?
            });
            let Some(&(_, last)) = read.last() else {
                break;
            };
            before = last;
            let candidates: Vec<String> = read.into_iter().map(|(id, _)| id).collect();
            let marks = super::marks(candidates.len(), 1);
            let (team_sql, teams) = scope_sql(scope, candidates.len() + 1);
            let page_sql = format!(
                "SELECT m.id, m.conversation_id, m.position, m.direction, COALESCE(m.body, ''), COALESCE(k.name, k.remark), m.created_at, k.id \
                 FROM messages m JOIN conversations v ON v.id = m.conversation_id JOIN contacts k ON k.id = v.contact_id \
                 WHERE m.id IN ({}) AND {team_sql}",
                marks
            );
            let mut page: Vec<MessageHitRow> = on_read!(self, pool => {
                let mut q = sqlx::query_as(&page_sql);
                for id in candidates.iter().chain(&teams) {
                    q = q.bind(id);
                }
                q.fetch_all(pool).await?
            });
            // Newest indexed first, as the candidates came.
            let rank: std::collections::HashMap<&str, usize> = candidates
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i))
                .collect();
            page.sort_by_key(|hit| rank.get(hit.0.as_str()).copied());
            hits.extend(page);
            if hits.len() as i64 >= limit || (candidates.len() as i64) < window {
                break;
            }
        }
        hits.truncate(limit as usize);
        hits.into_iter()
            .map(
                |(
                    message_id,
                    conversation_id,
                    position,
                    direction,
                    body,
                    contact_name,
                    created_at,
                    contact_id,
                )| {
                    Ok(MessageHit {
                        contact_id: stored(&contact_id)?,
                        message_id: stored(&message_id)?,
                        conversation_id: stored(&conversation_id)?,
                        position,
                        direction: stored(&direction)?,
                        body,
                        contact_name,
                        created_at,
                    })
                },
            )
            .collect()
    }

    /// Contacts whose name, remark, phone or WeChat openid contains
    /// `text`, or whose unionid or an id in another system (a CRM's) is it.
    pub async fn search_contacts(
        &self,
        scope: &Scope<'_>,
        text: &str,
        limit: i64,
    ) -> AppResult<Vec<ContactHit>> {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = needle
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
        let phone_pattern = if digits.len() >= 4 {
            format!("%{digits}%")
        } else {
            // Phones are compared without spaces and dashes, so this never matches.
            "-".into()
        };
        // An id in another system is a JSON string value: `"crm":"c-1001"`.
        let external = format!("%:\"{}\"%", escaped.replace('"', ""));
        let (team_sql, teams) = scope_sql(scope, 5);
        let limit = limit.clamp(1, 100);
        let sql = format!(
            "SELECT k.id, v.id, COALESCE(k.name, k.remark), k.open_id, k.phone, ch.name FROM contacts k \
             JOIN channels ch ON ch.id = k.channel_id LEFT JOIN conversations v ON v.contact_id = k.id \
             WHERE (LOWER(COALESCE(k.name, '')) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(k.remark, '')) LIKE $1 ESCAPE '\\' \
                    OR LOWER(k.open_id) LIKE $1 ESCAPE '\\' OR REPLACE(REPLACE(COALESCE(k.phone, ''), ' ', ''), '-', '') LIKE $2 \
                    OR LOWER(COALESCE(k.union_id, '')) = $3 OR LOWER(k.external_ids) LIKE $4 ESCAPE '\\') \
             AND {team_sql} ORDER BY k.name LIMIT {limit}"
        );
        let rows: Vec<ContactHitRow> = on_read!(self, pool => {
            let mut q = sqlx::query_as(&sql)
                .bind(&pattern)
                .bind(&phone_pattern)
                .bind(&needle)
                .bind(&external);
            for team in &teams {
                q = q.bind(team);
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(contact_id, conversation_id, name, open_id, phone, channel_name)| {
                    Ok(ContactHit {
                        contact_id: stored(&contact_id)?,
                        conversation_id: conversation_id.as_deref().map(stored).transpose()?,
                        name,
                        open_id,
                        phone,
                        channel_name,
                    })
                },
            )
            .collect()
    }
}
