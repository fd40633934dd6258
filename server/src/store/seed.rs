//! Bulk writes for `harbour seed` (see `crate::seed`, which decides what
//! to write): rows go straight into the read models with multi-row
//! statements, far faster than the event path, for benchmarks and demos.

use super::{Store, Tx};
use crate::error::AppResult;
use crate::on_tx;

/// One value of a seeded row.
#[derive(Clone)]
pub enum SeedValue {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    MaybeInt(Option<i64>),
}

/// One batch of seeded rows; each row's values in the column order below.
#[derive(Default)]
pub struct SeedBatch {
    /// id, channel, open id, name, phone, created at.
    pub contacts: Vec<Vec<SeedValue>>,
    /// id, channel, contact, team, status, assignee, last message at,
    /// created at, priority, snoozed until, waiting since, preview, last
    /// inbound position, last position.
    pub conversations: Vec<Vec<SeedValue>>,
    /// conversation, label.
    pub labels: Vec<Vec<SeedValue>>,
    /// id, channel, conversation, position, direction, body, dedupe key,
    /// delivery status, created at.
    pub messages: Vec<Vec<SeedValue>>,
    /// Message id and its search terms.
    pub terms: Vec<(String, Vec<String>)>,
}

/// Writes one batch in one transaction.
pub async fn write_batch(store: &Store, batch: SeedBatch) -> AppResult<()> {
    let mut tx = store.begin().await?;
    insert_rows(
        &mut tx,
        "INSERT INTO contacts (id, channel_id, open_id, name, phone, created_at, updated_at, subscribed, replies_in_window, profile_state) VALUES ",
        "(%s, %s, %s, %s, %s, %s, 0, TRUE, 0, 'fetched')",
        batch.contacts,
    )
    .await?;
    insert_rows(
        &mut tx,
        "INSERT INTO conversations (id, channel_id, contact_id, team_id, status, assignee, last_message_at, created_at, priority, snoozed_until, waiting_since, preview, last_inbound_position, last_position) VALUES ",
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        batch.conversations,
    )
    .await?;
    insert_rows(
        &mut tx,
        "INSERT INTO conversation_labels (conversation_id, label) VALUES ",
        "(%s, %s)",
        batch.labels,
    )
    .await?;
    insert_rows(
        &mut tx,
        "INSERT INTO messages (id, channel_id, conversation_id, position, direction, kind, body, fields, dedupe_key, status, created_at) VALUES ",
        "(%s, %s, %s, %s, %s, 'text', %s, '{}', %s, %s, %s)",
        batch.messages,
    )
    .await?;
    let terms: Vec<(&str, &[String])> = batch
        .terms
        .iter()
        .map(|(id, terms)| (id.as_str(), terms.as_slice()))
        .collect();
    super::search::index_many(&mut tx, &terms).await?;
    store.commit(tx).await?;
    Ok(())
}

impl Store {
    /// Refreshes the planner's statistics after a bulk load.
    pub async fn analyze(&self) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("ANALYZE").execute(&mut *c).await?.rows_affected());
        self.commit(tx).await?;
        Ok(())
    }
}

/// Inserts `rows` into `table` with multi-row statements. `values` is the
/// SQL of one row with `%s` where each placeholder goes, e.g. `(%s, %s)`.
async fn insert_rows(
    tx: &mut Tx,
    head: &str,
    row_sql: &str,
    rows: Vec<Vec<SeedValue>>,
) -> AppResult<()> {
    let width = rows.first().map(Vec::len).unwrap_or(0);
    if width == 0 {
        return Ok(());
    }
    let per_statement = (30_000 / width).clamp(1, 1_000);
    for chunk in rows.chunks(per_statement) {
        let mut sql = String::from(head);
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let mut row = String::new();
            let mut parts = row_sql.split("%s");
            row.push_str(parts.next().unwrap_or_default());
            for part in parts {
                n += 1;
                row.push_str(&format!("${n}"));
                row.push_str(part);
            }
            sql.push_str(&row);
        }
        on_tx!(tx, c => {
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for value in row {
                    q = match value {
                        SeedValue::Text(s) => q.bind(s.clone()),
                        SeedValue::MaybeText(s) => q.bind(s.clone()),
                        SeedValue::Int(i) => q.bind(*i),
                        SeedValue::MaybeInt(i) => q.bind(*i),
                    };
                }
            }
            q.execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}
