//! Settings Harbour keeps about itself in the database: the fingerprint of
//! the secret key, so a node started with another key (its own generated
//! one, beside nodes that share another) is refused before it seals or
//! signs anything the others cannot open.

use super::Store;
use crate::error::AppResult;
use crate::{on_read, on_tx};

const KEY_FINGERPRINT: &str = "secret_key_fingerprint";
/// The id of the key the log's checkpoints are signed with.
const CHECKPOINT_KEY_ID: &str = "checkpoint_key_id";
/// The tree size of the newest checkpoint the witness acknowledged.
const WITNESSED: &str = "checkpoint_witnessed_size";

/// How this node's key compares with the one the database was set up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// The first node: its key is now the database's.
    First,
    Same,
    Different,
}

impl Store {
    pub async fn check_key_fingerprint(&self, fingerprint: &str) -> AppResult<KeyCheck> {
        self.check_first_value(KEY_FINGERPRINT, fingerprint).await
    }

    /// Compares the checkpoint key's id with the one the log's checkpoints
    /// are signed with (recorded by the first node that started).
    pub async fn check_checkpoint_key(&self, key_id: &str) -> AppResult<KeyCheck> {
        self.check_first_value(CHECKPOINT_KEY_ID, key_id).await
    }

    /// Records `value` under `name` unless a value is there already, and
    /// says how `value` compares with what is recorded.
    async fn check_first_value(&self, name: &str, value: &str) -> AppResult<KeyCheck> {
        let mut tx = self.begin().await?;
        let inserted = on_tx!(&mut tx, c => {
            sqlx::query("INSERT INTO harbour_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(value)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        self.commit(tx).await?;
        if inserted == 1 {
            return Ok(KeyCheck::First);
        }
        let stored: String = on_read!(self, pool => {
            sqlx::query_scalar("SELECT value FROM harbour_settings WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?
        });
        Ok(if stored == value {
            KeyCheck::Same
        } else {
            KeyCheck::Different
        })
    }

    /// How far the checkpoint witness got (a tree size; 0 at first).
    pub async fn witnessed_checkpoint(&self) -> Result<u64, sqlx::Error> {
        let value: Option<String> = on_read!(self, pool => {
            sqlx::query_scalar("SELECT value FROM harbour_settings WHERE name = $1")
                .bind(WITNESSED)
                .fetch_optional(pool)
                .await?
        });
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Records that the witness acknowledged checkpoints up to `size`
    /// (never going back: another node may have got further).
    pub async fn set_witnessed_checkpoint(&self, size: u64) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        let current: Option<String> = on_tx!(&mut tx, c => {
            sqlx::query_scalar("SELECT value FROM harbour_settings WHERE name = $1")
                .bind(WITNESSED)
                .fetch_optional(&mut *c)
                .await?
        });
        if current.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) < size {
            on_tx!(&mut tx, c => {
                sqlx::query(
                    "INSERT INTO harbour_settings (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(WITNESSED)
                .bind(size.to_string())
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        tx.commit_quietly().await
    }
}
