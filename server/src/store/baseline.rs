//! The simplest operations each backend can do, which the benchmarks
//! (`cargo xtask bench`) measure Harbour's real paths against in the same
//! run: a plain insert and a primary-key lookup. Kept here so no SQL lives
//! outside the store, not because the app uses them.

use super::Store;
use crate::error::AppResult;
use crate::on_tx;

impl Store {
    /// Creates the benchmark's `plain_events` table: the event log's
    /// columns with no hash chain and no head row.
    pub async fn create_plain_events(&self) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "CREATE TABLE plain_events (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, kind TEXT NOT NULL, \
             actor TEXT, team TEXT, payload TEXT NOT NULL, hash TEXT NOT NULL)",
        )
        .execute(&mut *c)
        .await?
        .rows_affected());
        self.commit(tx).await?;
        Ok(())
    }

    /// One row into `plain_events`, in its own transaction.
    pub async fn insert_plain_event(&self, seq: i64, payload: &str) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO plain_events (seq, at, kind, actor, team, payload, hash) \
             VALUES ($1, 1, 'bench.event', NULL, NULL, $2, 'x')",
        )
        .bind(seq)
        .bind(payload)
        .execute(&mut *c)
        .await?
        .rows_affected());
        self.commit(tx).await?;
        Ok(())
    }

    /// A conversation's status by primary key, nothing else.
    pub async fn conversation_status(
        &self,
        id: shared::ConversationId,
    ) -> AppResult<Option<String>> {
        Ok(crate::on_read!(self, pool => {
            sqlx::query_scalar("SELECT status FROM conversations WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Up to `limit` conversation ids of `team`, in no particular order.
    pub async fn team_conversation_ids(
        &self,
        team: shared::TeamId,
        limit: i64,
    ) -> AppResult<Vec<shared::ConversationId>> {
        let ids: Vec<String> = crate::on_read!(self, pool => {
            sqlx::query_scalar("SELECT id FROM conversations WHERE team_id = $1 LIMIT $2")
                .bind(team.to_string())
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        ids.iter().map(|id| super::stored(id)).collect()
    }
}
