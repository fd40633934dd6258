//! The `accesses` table: each read of client data (an `access.*` event),
//! by client, so "who looked at this client, and when" is one indexed read.

use super::{Store, Tx};
use crate::access::Access;
use crate::error::AppResult;
use crate::{on_read, on_tx};
use shared::api::AccessEntry;
use shared::ContactId;

/// Records the access that event `seq` holds; a read of a conversation
/// is filed under its client.
pub(crate) async fn insert(
    tx: &mut Tx,
    seq: i64,
    at: i64,
    access: &Access,
) -> Result<(), sqlx::Error> {
    let mut contact = access.contact.map(|c| c.to_string());
    let conversation = access.conversation.map(|c| c.to_string());
    if contact.is_none() {
        if let Some(conversation) = &conversation {
            contact = on_tx!(tx, c => {
                sqlx::query_scalar("SELECT contact_id FROM conversations WHERE id = $1")
                    .bind(conversation)
                    .fetch_optional(&mut *c)
                    .await?
            });
        }
    }
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO accesses (seq, at, reader, role, kind, contact, conversation, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(at)
        .bind(access.reader.to_string())
        .bind(access.role.as_str())
        .bind(access.read.kind())
        .bind(&contact)
        .bind(&conversation)
        .bind(&access.address)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AccessRow {
    seq: i64,
    at: i64,
    reader: String,
    reader_name: Option<String>,
    role: String,
    kind: String,
    address: String,
    conversation: Option<String>,
}

impl Store {
    /// Who read `contact`'s data, newest first, at most `limit`.
    pub async fn contact_accesses(
        &self,
        contact: ContactId,
        limit: i64,
    ) -> AppResult<Vec<AccessEntry>> {
        let rows: Vec<AccessRow> = on_read!(self, pool => {
            sqlx::query_as(
                "SELECT a.seq, a.at, a.reader, u.name AS reader_name, a.role, a.kind, a.address, a.conversation \
                 FROM accesses a LEFT JOIN users u ON u.id = a.reader \
                 WHERE a.contact = $1 ORDER BY a.seq DESC LIMIT $2",
            )
            .bind(contact.to_string())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(AccessEntry {
                    seq: row.seq,
                    at: row.at,
                    reader: super::stored(&row.reader)?,
                    reader_name: row.reader_name.unwrap_or_default(),
                    role: row.role.parse().map_err(|why: String| {
                        crate::error::AppError::internal(anyhow::anyhow!("stored role: {why}"))
                    })?,
                    kind: row.kind,
                    address: row.address,
                    conversation: row.conversation.as_deref().map(super::stored).transpose()?,
                })
            })
            .collect()
    }
}
