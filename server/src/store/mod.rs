//! The storage layer: one `Store` over SQLite (embedded default) or
//! PostgreSQL (several nodes). Queries live here and nowhere else; both
//! backends share the SQL text wherever the dialects agree.

pub mod accesses;
pub mod assignment;
pub mod automation;
pub mod baseline;
pub mod calendar;
pub mod callback_urls;
pub mod canned;
pub mod channels;
pub mod contacts;
pub mod conversations;
pub mod csp_reports;
pub mod dialect;
pub mod events;
pub mod exports;
pub mod floor;
pub mod inbox;
pub mod jobs;
pub mod kf;
pub mod media;
pub mod notify;
pub mod outbound;
pub mod search;
pub mod seed;
pub mod settings;
pub mod sla;
pub mod tokens;
pub mod triage;
pub mod users;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Connection pools. SQLite has one writer connection (SQLite allows one
/// writer at a time anyway; one connection avoids busy errors and makes
/// `seq` order trivially the commit order) and a pool of readers.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// Woken after every commit that appended events; the hub listens.
    appended: Arc<Notify>,
}

/// A write transaction on either backend.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    /// Commits without waking the hub: for transactions that appended no
    /// events (job bookkeeping). Anything else commits with `Store::commit`.
    pub async fn commit_quietly(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    /// Marks a point the transaction can go back to (`rollback_to`)
    /// without losing what came before it.
    pub async fn savepoint(&mut self, name: &'static str) -> Result<(), sqlx::Error> {
        self.execute_plain(&format!("SAVEPOINT {name}")).await
    }

    /// Keeps what was done since the savepoint `name` and forgets the mark.
    pub async fn release(&mut self, name: &'static str) -> Result<(), sqlx::Error> {
        self.execute_plain(&format!("RELEASE SAVEPOINT {name}"))
            .await
    }

    /// Undoes what was done since the savepoint `name`, and forgets the mark.
    pub async fn rollback_to(&mut self, name: &'static str) -> Result<(), sqlx::Error> {
        self.execute_plain(&format!("ROLLBACK TO SAVEPOINT {name}"))
            .await?;
        self.release(name).await
    }

    async fn execute_plain(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        crate::on_tx!(self, c => sqlx::query(sql).execute(&mut *c).await?.rows_affected());
        Ok(())
    }
}

/// Runs `$body` with `$conn` bound to the transaction's connection, once per backend.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` bound to a read pool, once per backend.
#[macro_export]
macro_rules! on_read {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite { reader: $pool, .. } => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}

/// Options for opening a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 16,
        }
    }
}

impl Store {
    pub async fn connect(url: &str, options: &StoreOptions) -> anyhow::Result<Store> {
        let db = if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)
                .context("HARBOUR_DATABASE_URL is not a valid SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a callback acknowledged to WeChat must survive power loss.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if let Some(parent) = std::path::Path::new(connect.get_filename()).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).with_context(|| {
                        format!("cannot create the database directory {}", parent.display())
                    })?;
                }
            }
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(connect.clone())
                .await
                .context("cannot open the SQLite database")?;
            let reader = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(connect.read_only(true))
                .await
                .context("cannot open the SQLite database for reading")?;
            Db::Sqlite { writer, reader }
        } else {
            let connect = PgConnectOptions::from_str(url)
                .context("HARBOUR_DATABASE_URL is not a valid PostgreSQL URL")?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(connect)
                .await
                .context("cannot connect to PostgreSQL")?;
            Db::Postgres(pool)
        };
        Ok(Store {
            db,
            appended: Arc::new(Notify::new()),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations for this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.db {
            Db::Sqlite { writer, .. } => sqlx::migrate!("./migrations/sqlite").run(writer).await?,
            Db::Postgres(pool) => {
                // Several nodes may start at once; sqlx takes an advisory lock.
                sqlx::migrate!("./migrations/postgres").run(pool).await?
            }
        }
        Ok(())
    }

    /// True when the database answers and every migration is applied.
    pub async fn ready(&self) -> bool {
        let expected = match self.backend() {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").iter().count(),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").iter().count(),
        } as i64;
        let applied: Result<i64, sqlx::Error> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(pool)
                .await
        });
        matches!(applied, Ok(n) if n >= expected)
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.db {
            // IMMEDIATE takes the write lock up front, so a read-then-write
            // transaction never fails with a stale snapshot when another
            // process (the CLI, a second server) writes to the same file.
            Db::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Commits and wakes the hub so live clients see the new events.
    pub async fn commit(&self, tx: Tx) -> Result<(), sqlx::Error> {
        tx.commit_quietly().await?;
        self.appended.notify_one();
        Ok(())
    }

    /// The signal the hub waits on.
    pub fn appended_signal(&self) -> Arc<Notify> {
        self.appended.clone()
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { writer, reader } => {
                writer.close().await;
                reader.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

pub use dialect::{marks, value_rows};

/// Parses an id or a closed-set word read from the database; a malformed
/// one is a corrupt row, not the caller's mistake.
impl Store {
    /// Runs a `DELETE … WHERE <time> < $1` (pruning what no longer counts)
    /// and says how many rows went.
    pub(crate) async fn delete_before(
        &self,
        sql: &'static str,
        before: i64,
    ) -> crate::error::AppResult<u64> {
        let mut tx = self.begin().await?;
        let pruned = crate::on_tx!(&mut tx, c => {
            sqlx::query(sql).bind(before).execute(&mut *c).await?.rows_affected()
        });
        self.commit(tx).await?;
        Ok(pruned)
    }
}

pub fn stored<T>(raw: &str) -> crate::error::AppResult<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    raw.parse().map_err(|err| {
        crate::error::AppError::internal(
            anyhow::Error::new(err).context(format!("stored value {raw:?}")),
        )
    })
}

/// True when `err` is a unique-constraint violation of the named constraint.
pub fn is_unique_violation(err: &sqlx::Error, constraint_hint: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                && (db.constraint().is_some_and(|c| c.contains(constraint_hint))
                    || db.message().contains(constraint_hint))
        }
        _ => false,
    }
}
