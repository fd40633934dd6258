//! How nodes sharing a PostgreSQL database coordinate: they tell each other
//! things (new events, presence) with `NOTIFY` out and `LISTEN` in, with a
//! listener that comes back after a lost connection, and take turns with
//! advisory locks. A SQLite database has one node, so all are no-ops.

use super::{Db, Store};
use crate::error::AppResult;
use std::time::Duration;

/// The channel on which a node announces that the event log grew (payload:
/// the new head `seq`); every node's hub listens to it.
pub const EVENTS_CHANNEL: &str = "harbour_events";

impl Store {
    /// True when other nodes may share this database.
    pub fn has_peers(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// Sends `payload` to every node listening on `channel`.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
        if let Db::Postgres(pool) = &self.db {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(channel)
                .bind(payload)
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// True once the store's connections were closed (the node is stopping).
    pub fn is_closed(&self) -> bool {
        match &self.db {
            Db::Sqlite { writer, .. } => writer.is_closed(),
            Db::Postgres(pool) => pool.is_closed(),
        }
    }

    /// Waits for and takes the cluster-wide right to refresh `app_id`'s
    /// access token, held until the returned transaction ends (dropped or
    /// rolled back). PostgreSQL: a transaction-scoped advisory lock. SQLite
    /// has one node, whose client already refreshes one at a time: `None`.
    pub async fn token_refresh_lock(
        &self,
        app_id: &str,
    ) -> AppResult<Option<sqlx::Transaction<'static, sqlx::Postgres>>> {
        let Db::Postgres(pool) = &self.db else {
            return Ok(None);
        };
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('harbour.access_token'), hashtext($1))")
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        Ok(Some(tx))
    }

    /// Calls `on_notice` with the payload of each notice on `channel`, and
    /// listens again (once a second) whenever the connection is lost, until
    /// the store is closed. `None` without peers.
    pub fn listen(
        &self,
        channel: &'static str,
        on_notice: impl Fn(&str) + Send + 'static,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let Db::Postgres(pool) = &self.db else {
            return None;
        };
        let pool = pool.clone();
        Some(tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(err) = listener.listen(channel).await {
                            tracing::warn!(error = %err, channel, "LISTEN failed");
                        } else {
                            while let Ok(notification) = listener.recv().await {
                                on_notice(notification.payload());
                            }
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "cannot open a LISTEN connection"),
                }
                if pool.is_closed() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }))
    }
}
