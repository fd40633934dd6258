//! Refresh tokens (stored hashed, rotated, revoked by family on reuse) and
//! the failed-login counters behind throttling.

use super::{Store, Tx};
use crate::error::AppResult;
use crate::{on_read, on_tx};
use shared::UserId;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub id: String,
    pub family: String,
    pub user_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub struct NewRefreshToken<'a> {
    pub id: &'a str,
    pub family: &'a str,
    pub user: UserId,
    pub token_hash: &'a str,
    pub expires_at: i64,
}

pub async fn insert_refresh_token(tx: &mut Tx, now: i64, t: &NewRefreshToken<'_>) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO refresh_tokens (id, family, user_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(t.id)
        .bind(t.family)
        .bind(t.user.to_string())
        .bind(t.token_hash)
        .bind(now)
        .bind(t.expires_at)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Finds a token by hash inside the write transaction (so rotation is atomic).
pub async fn find_refresh_token(
    tx: &mut Tx,
    token_hash: &str,
) -> AppResult<Option<RefreshTokenRow>> {
    let sql = format!(
        "SELECT id, family, user_id, expires_at, used_at, revoked_at FROM refresh_tokens \
         WHERE token_hash = $1{}",
        tx.backend().for_update()
    );
    Ok(on_tx!(tx, c => sqlx::query_as(&sql).bind(token_hash).fetch_optional(&mut *c).await?))
}

/// How long past its expiry a used portal token's id is kept: longer than
/// any clock difference between nodes, so no node takes it again.
const PORTAL_ID_KEPT_MS: i64 = 10 * 60 * 1000;

/// Records a portal token's id as used; false when it was used before.
/// Ids of tokens long expired are forgotten: every node refuses the token
/// for its age by then.
pub async fn claim_portal_token_id(
    tx: &mut Tx,
    now: i64,
    issuer: &str,
    jti: &str,
    expires_at: i64,
) -> AppResult<bool> {
    on_tx!(tx, c => {
        sqlx::query("DELETE FROM portal_token_ids WHERE expires_at < $1")
            .bind(now - PORTAL_ID_KEPT_MS)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    let inserted = on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO portal_token_ids (issuer, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(issuer)
        .bind(jti)
        .bind(expires_at)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(inserted == 1)
}

/// The user a live sign-in belongs to and when it began; `None` once it
/// was ended.
pub async fn live_family(tx: &mut Tx, family: &str) -> AppResult<Option<(String, i64)>> {
    Ok(on_tx!(tx, c => {
        sqlx::query_as(
            "SELECT user_id, MIN(created_at) FROM refresh_tokens \
             WHERE family = $1 AND revoked_at IS NULL GROUP BY user_id",
        )
        .bind(family)
        .fetch_optional(&mut *c)
        .await?
    }))
}

/// When the sign-in that began `family` happened: its first token.
pub async fn family_started(tx: &mut Tx, family: &str) -> AppResult<Option<i64>> {
    Ok(on_tx!(tx, c => {
        sqlx::query_scalar("SELECT MIN(created_at) FROM refresh_tokens WHERE family = $1")
            .bind(family)
            .fetch_one(&mut *c)
            .await?
    }))
}

/// Marks a token used; returns false if someone else used it first.
pub async fn mark_used(tx: &mut Tx, now: i64, id: &str) -> AppResult<bool> {
    let n = on_tx!(tx, c => {
        sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

pub async fn revoke_family(tx: &mut Tx, now: i64, family: &str) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
        )
        .bind(family)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Revokes every session of a user (deactivation, password reset).
pub async fn revoke_user_tokens(tx: &mut Tx, now: i64, user: UserId) -> AppResult<()> {
    revoke_user_tokens_except(tx, now, user, None).await
}

/// Revokes every session of a user but `keep` (the one changing its password).
pub async fn revoke_user_tokens_except(
    tx: &mut Tx,
    now: i64,
    user: UserId,
    keep: Option<&str>,
) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL \
             AND family <> COALESCE($3, '')",
        )
        .bind(user.to_string())
        .bind(now)
        .bind(keep)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

pub async fn record_login_failure(tx: &mut Tx, now: i64, keys: &[String]) -> AppResult<()> {
    for key in keys {
        on_tx!(tx, c => {
            sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                .bind(key)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
    }
    Ok(())
}

pub async fn clear_login_failures(tx: &mut Tx, key: &str) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(&mut *c).await?.rows_affected()
    });
    Ok(())
}

/// Takes back one attempt recorded at `at` under each key (a success).
pub async fn forget_login_attempt(tx: &mut Tx, at: i64, keys: &[String]) -> AppResult<()> {
    let row = tx.backend().row_id();
    let sql = format!(
        "DELETE FROM login_failures WHERE {row} IN (SELECT {row} FROM login_failures WHERE key = $1 AND at = $2 LIMIT 1)"
    );
    for key in keys {
        on_tx!(tx, c => {
            sqlx::query(&sql).bind(key).bind(at).execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

impl Store {
    /// Forgets sign-in attempts older than `before`: they no longer count,
    /// and an address or email is not kept longer than it is needed.
    pub async fn prune_login_failures(&self, before: i64) -> AppResult<u64> {
        self.delete_before("DELETE FROM login_failures WHERE at < $1", before)
            .await
    }

    /// Whether the sign-in `family` still stands: signing out, a password
    /// reset, a deactivation or a reused refresh token revokes every token
    /// of it.
    pub async fn session_live(&self, family: &str) -> AppResult<bool> {
        let live: Option<i32> = on_read!(self, pool => {
            sqlx::query_scalar(
                "SELECT 1 FROM refresh_tokens WHERE family = $1 AND revoked_at IS NULL LIMIT 1",
            )
            .bind(family)
            .fetch_optional(pool)
            .await?
        });
        Ok(live.is_some())
    }

    /// Failures for `key` since `since`, and the oldest of them (for Retry-After).
    pub async fn login_failures_since(
        &self,
        key: &str,
        since: i64,
    ) -> AppResult<(i64, Option<i64>)> {
        Ok(on_read!(self, pool => {
            sqlx::query_as("SELECT COUNT(*), MIN(at) FROM login_failures WHERE key = $1 AND at >= $2")
                .bind(key)
                .bind(since)
                .fetch_one(pool)
                .await?
        }))
    }
}
