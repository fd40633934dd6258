//! The accounts of WeCom Customer Service estates, their `sync_msg` cursors
//! and the lease that lets one node at a time pull an account.
//!
//! A callback counts itself in `sync_wanted` (and leaves its Token); a pull
//! takes the lease, notes the count it started at, and commits each page's
//! messages and the next cursor in one transaction fenced by the lease. When
//! it ends, it releases the lease only if no callback came meanwhile;
//! otherwise it runs one more pass, so callbacks that arrive during a pull
//! coalesce into one more pass and none is lost.

use super::{Store, Tx};
use crate::error::AppResult;
use crate::on_tx;
use serde_json::json;
use shared::{ChannelId, TeamId};

/// The job that pulls one account.
pub const SYNC_JOB: &str = "wecom.kf.sync";
/// A pull waits while another node's pull runs; on a busy account that can
/// take many turns, none of them a failure.
const SYNC_ATTEMPTS: i64 = 1000;

/// An account as the pull sees it when it takes the lease (its team, or
/// else the estate's). No `Debug`: it holds the callback Token.
#[derive(Clone, sqlx::FromRow)]
pub struct SyncStart {
    pub sync_cursor: String,
    pub sync_wanted: i64,
    pub sync_token: Option<String>,
    pub sync_token_at: Option<i64>,
    pub team_id: Option<String>,
}

impl SyncStart {
    pub fn team(&self) -> Option<TeamId> {
        self.team_id.as_deref().and_then(|t| t.parse().ok())
    }
}

/// One account of an estate.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KfAccountRow {
    pub open_kfid: String,
    pub name: String,
    pub team_id: Option<String>,
    pub synced_at: Option<i64>,
    pub welcome_text: Option<String>,
    pub closing_text: Option<String>,
}

/// The job that sends a welcome or closing message with an event code.
pub const EVENT_MESSAGE_JOB: &str = "wecom.kf.event_message";
/// The job that ends a resolved conversation's WeCom session.
pub const END_JOB: &str = "wecom.kf.end";

/// Which automated message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoMessage {
    Welcome,
    Closing,
}

impl AutoMessage {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoMessage::Welcome => "welcome",
            AutoMessage::Closing => "closing",
        }
    }

    pub fn parse(value: &str) -> Option<AutoMessage> {
        match value {
            "welcome" => Some(AutoMessage::Welcome),
            "closing" => Some(AutoMessage::Closing),
            _ => None,
        }
    }
}

/// The welcome or closing message of an account: its own, or else its
/// team's. Blank is none.
const ACCOUNT_TEXT_SQL: [&str; 2] = [
    "SELECT a.welcome_text, t.welcome_text FROM kf_accounts a LEFT JOIN teams t ON t.id = a.team_id \
     WHERE a.channel_id = $1 AND a.open_kfid = $2",
    "SELECT a.closing_text, t.closing_text FROM kf_accounts a LEFT JOIN teams t ON t.id = a.team_id \
     WHERE a.channel_id = $1 AND a.open_kfid = $2",
];

fn sql_for(which: AutoMessage) -> &'static str {
    match which {
        AutoMessage::Welcome => ACCOUNT_TEXT_SQL[0],
        AutoMessage::Closing => ACCOUNT_TEXT_SQL[1],
    }
}

/// The account's own text if it has one, else its team's.
fn own_or_team(row: Option<(Option<String>, Option<String>)>) -> Option<String> {
    let (own, team) = row?;
    [own, team]
        .into_iter()
        .flatten()
        .find(|t| !t.trim().is_empty())
}

/// The account's welcome or closing message (or its team's), if it has one,
/// read in a write transaction (the sync decides on it as it stores).
pub async fn account_text(
    tx: &mut Tx,
    channel: ChannelId,
    open_kfid: &str,
    which: AutoMessage,
) -> AppResult<Option<String>> {
    let row = on_tx!(tx, c => {
        sqlx::query_as(sql_for(which))
            .bind(channel.to_string())
            .bind(open_kfid)
            .fetch_optional(&mut *c)
            .await?
    });
    Ok(own_or_team(row))
}

impl Store {
    /// [`account_text`] from the read pool.
    pub async fn kf_account_text(
        &self,
        channel: ChannelId,
        open_kfid: &str,
        which: AutoMessage,
    ) -> AppResult<Option<String>> {
        let row = crate::on_read!(self, pool => {
            sqlx::query_as(sql_for(which))
                .bind(channel.to_string())
                .bind(open_kfid)
                .fetch_optional(pool)
                .await?
        });
        Ok(own_or_team(row))
    }
}

/// Ends the WeCom session of a resolved conversation (a job), when it is on
/// a WeCom Customer Service channel; nothing otherwise.
pub async fn end_on_resolve(
    tx: &mut Tx,
    now: i64,
    conversation: shared::ConversationId,
) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
             SELECT $1, $2, $3, 'queued', 0, 8, $4, $4, $4 \
             WHERE EXISTS (SELECT 1 FROM conversations v JOIN channels ch ON ch.id = v.channel_id \
                           WHERE v.id = $5 AND ch.kind = 'wecom_kf')",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(END_JOB)
        .bind(json!({ "conversation": conversation }).to_string())
        .bind(now)
        .bind(conversation.to_string())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Records a callback for `open_kfid` (adding the account if it is new)
/// and queues a pull, in `tx`.
pub async fn want_sync(
    tx: &mut Tx,
    now: i64,
    channel: ChannelId,
    open_kfid: &str,
    token: Option<&str>,
) -> AppResult<()> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO kf_accounts (channel_id, open_kfid, name, sync_wanted, sync_token, sync_token_at, created_at) \
             VALUES ($1, $2, $2, 1, $3, $4, $4) \
             ON CONFLICT (channel_id, open_kfid) DO UPDATE SET \
               sync_wanted = kf_accounts.sync_wanted + 1, \
               sync_token = COALESCE(excluded.sync_token, kf_accounts.sync_token), \
               sync_token_at = CASE WHEN excluded.sync_token IS NULL THEN kf_accounts.sync_token_at ELSE excluded.sync_token_at END",
        )
        .bind(channel.to_string())
        .bind(open_kfid)
        .bind(token)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    // One waiting pull per account is enough: it runs after the current
    // one and reads everything new.
    let payload = json!({ "channel": channel, "open_kfid": open_kfid }).to_string();
    // A pull already waiting (perhaps for a retry much later) runs now.
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE jobs SET run_at = $3 WHERE kind = $1 AND payload = $2 AND status = 'queued' AND run_at > $3",
        )
        .bind(SYNC_JOB)
        .bind(&payload)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
             SELECT $1, $2, $3, 'queued', 0, $4, $5, $5, $5 \
             WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = $2 AND payload = $3 AND status = 'queued')",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(SYNC_JOB)
        .bind(&payload)
        .bind(SYNC_ATTEMPTS)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Notes an entry that names no client as stored; `false` when it was
/// (a replayed page).
pub async fn record_entry(tx: &mut Tx, channel: ChannelId, msgid: &str) -> AppResult<bool> {
    let inserted = on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO kf_entries (channel_id, msgid) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(channel.to_string())
        .bind(msgid)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(inserted == 1)
}

/// Moves the cursor after a page, in the page's transaction; `false` when
/// the lease was lost (roll back: another node pulls now).
pub async fn advance_cursor(
    tx: &mut Tx,
    channel: ChannelId,
    open_kfid: &str,
    lease: &str,
    cursor: &str,
) -> AppResult<bool> {
    let moved = on_tx!(tx, c => {
        sqlx::query(
            "UPDATE kf_accounts SET sync_cursor = $1 \
             WHERE channel_id = $2 AND open_kfid = $3 AND sync_lease = $4",
        )
        .bind(cursor)
        .bind(channel.to_string())
        .bind(open_kfid)
        .bind(lease)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(moved == 1)
}

/// Adds the accounts WeCom listed, or renames them; keeps their teams.
pub async fn upsert_accounts(
    tx: &mut Tx,
    now: i64,
    channel: ChannelId,
    accounts: &[(String, String)],
) -> AppResult<()> {
    for (open_kfid, name) in accounts {
        on_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO kf_accounts (channel_id, open_kfid, name, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (channel_id, open_kfid) DO UPDATE SET name = excluded.name",
            )
            .bind(channel.to_string())
            .bind(open_kfid)
            .bind(name)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
    }
    Ok(())
}

/// Sends an account's new conversations to `team`; `false` when the
/// estate has no such account.
pub async fn map_account(
    tx: &mut Tx,
    channel: ChannelId,
    open_kfid: &str,
    mapping: &shared::api::MapKfAccount,
) -> AppResult<bool> {
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let result = on_tx!(tx, c => {
        sqlx::query(
            "UPDATE kf_accounts SET team_id = $1, welcome_text = $4, closing_text = $5 \
             WHERE channel_id = $2 AND open_kfid = $3",
        )
            .bind(mapping.team.map(|t| t.to_string()))
            .bind(channel.to_string())
            .bind(open_kfid)
            .bind(text(&mapping.welcome_text))
            .bind(text(&mapping.closing_text))
            .execute(&mut *c)
            .await
            .map(|done| done.rows_affected())
    });
    match result {
        Ok(changed) => Ok(changed == 1),
        Err(err) if matches!(&err, sqlx::Error::Database(db) if db.is_foreign_key_violation()) => {
            Err(crate::error::AppError::validation(
                "team",
                "There is no such team.",
            ))
        }
        Err(err) => Err(err.into()),
    }
}

impl Store {
    /// Takes the pull lease of an account until `until`, unless another
    /// node holds it; what the pull starts from.
    pub async fn take_sync_lease(
        &self,
        channel: ChannelId,
        open_kfid: &str,
        lease: &str,
        now: i64,
        until: i64,
    ) -> AppResult<Option<SyncStart>> {
        let mut tx = self.begin().await?;
        let start: Option<SyncStart> = on_tx!(&mut tx, c => {
            sqlx::query_as(
                "UPDATE kf_accounts SET sync_lease = $1, sync_lease_until = $2 \
                 WHERE channel_id = $3 AND open_kfid = $4 \
                   AND (sync_lease IS NULL OR sync_lease = $1 OR sync_lease_until < $5) \
                 RETURNING sync_cursor, sync_wanted, sync_token, sync_token_at, \
                   COALESCE(team_id, (SELECT c.team_id FROM channels c WHERE c.id = kf_accounts.channel_id)) AS team_id",
            )
            .bind(lease)
            .bind(until)
            .bind(channel.to_string())
            .bind(open_kfid)
            .bind(now)
            .fetch_optional(&mut *c)
            .await?
        });
        tx.commit_quietly().await?;
        Ok(start)
    }

    /// Renews a lease this pull holds until `until`; `false` when it no
    /// longer holds it (it ran out and another node took, or took and
    /// released, the account): stop, that node's pass covers this one.
    pub async fn renew_sync_lease(
        &self,
        channel: ChannelId,
        open_kfid: &str,
        lease: &str,
        until: i64,
    ) -> AppResult<bool> {
        let mut tx = self.begin().await?;
        let renewed = on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE kf_accounts SET sync_lease_until = $1 \
                 WHERE channel_id = $2 AND open_kfid = $3 AND sync_lease = $4",
            )
            .bind(until)
            .bind(channel.to_string())
            .bind(open_kfid)
            .bind(lease)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(renewed == 1)
    }

    /// Ends a pull that started at `wanted` callbacks: releases the lease
    /// if none came since (`true`), else keeps it (`false`: pull again).
    pub async fn finish_sync(
        &self,
        channel: ChannelId,
        open_kfid: &str,
        lease: &str,
        wanted: i64,
        now: i64,
    ) -> AppResult<bool> {
        let mut tx = self.begin().await?;
        let released = on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE kf_accounts SET sync_lease = NULL, sync_lease_until = NULL, synced_at = $1 \
                 WHERE channel_id = $2 AND open_kfid = $3 AND sync_lease = $4 AND sync_wanted = $5",
            )
            .bind(now)
            .bind(channel.to_string())
            .bind(open_kfid)
            .bind(lease)
            .bind(wanted)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(released == 1)
    }

    /// Gives the lease up after a failed pull, so the retry (on any node)
    /// can take it at once.
    pub async fn drop_sync_lease(
        &self,
        channel: ChannelId,
        open_kfid: &str,
        lease: &str,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE kf_accounts SET sync_lease = NULL, sync_lease_until = NULL \
                 WHERE channel_id = $1 AND open_kfid = $2 AND sync_lease = $3",
            )
            .bind(channel.to_string())
            .bind(open_kfid)
            .bind(lease)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(())
    }

    /// Forgets a callback Token WeCom refused (expired), so the next page
    /// is asked for without it.
    pub async fn forget_sync_token(
        &self,
        channel: ChannelId,
        open_kfid: &str,
        refused: &str,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            // Only the Token refused: a newer callback's stays.
            sqlx::query(
                "UPDATE kf_accounts SET sync_token = NULL, sync_token_at = NULL \
                 WHERE channel_id = $1 AND open_kfid = $2 AND sync_token = $3",
            )
            .bind(channel.to_string())
            .bind(open_kfid)
            .bind(refused)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(())
    }

    /// Queues a pull of every account of every active estate: at start-up,
    /// for what WeCom announced while no node was up to hear it (it gives up
    /// on a callback after a few tries). Pulling is idempotent, so an
    /// account with nothing new costs one empty page.
    pub async fn catch_up_kf(&self, now: i64) -> AppResult<usize> {
        let accounts: Vec<(String, String)> = crate::on_read!(self, pool => {
            sqlx::query_as(
                "SELECT a.channel_id, a.open_kfid FROM kf_accounts a \
                 JOIN channels c ON c.id = a.channel_id WHERE c.active",
            )
            .fetch_all(pool)
            .await?
        });
        if accounts.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        for (channel, open_kfid) in &accounts {
            want_sync(&mut tx, now, super::stored(channel)?, open_kfid, None).await?;
        }
        tx.commit_quietly().await?;
        Ok(accounts.len())
    }

    /// The accounts of an estate, by name.
    pub async fn kf_accounts(&self, channel: ChannelId) -> AppResult<Vec<KfAccountRow>> {
        Ok(crate::on_read!(self, pool => {
            sqlx::query_as(
                "SELECT open_kfid, name, team_id, synced_at, welcome_text, closing_text FROM kf_accounts \
                 WHERE channel_id = $1 ORDER BY name, open_kfid",
            )
            .bind(channel.to_string())
            .fetch_all(pool)
            .await?
        }))
    }

    /// The Customer Service account a conversation's client last wrote to
    /// (replies go out through it).
    pub async fn kf_account_of(
        &self,
        conversation: shared::ConversationId,
    ) -> AppResult<Option<String>> {
        let fields: Option<String> = crate::on_read!(self, pool => {
            sqlx::query_scalar(
                "SELECT fields FROM messages WHERE conversation_id = $1 AND direction = 'in' \
                 AND fields LIKE '%open_kfid%' ORDER BY position DESC LIMIT 1",
            )
            .bind(conversation.to_string())
            .fetch_optional(pool)
            .await?
        });
        Ok(fields
            .and_then(|f| serde_json::from_str::<serde_json::Value>(&f).ok())
            .and_then(|f| {
                f.get("open_kfid")
                    .or_else(|| f.pointer("/event/open_kfid"))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            }))
    }

    /// The account a reply goes out through: the one pinned on the message
    /// at its first attempt, or else (and then pinned, before anything is
    /// sent) the one the client last wrote to. A retry must use the same
    /// account: WeCom knows a `msgid` per account.
    pub async fn pin_kf_account(
        &self,
        message: shared::MessageId,
        conversation: shared::ConversationId,
    ) -> AppResult<Option<String>> {
        let pinned: Option<String> = crate::on_read!(self, pool => {
            sqlx::query_scalar("SELECT fields FROM messages WHERE id = $1")
                .bind(message.to_string())
                .fetch_optional(pool)
                .await?
        });
        let mut fields = pinned
            .and_then(|f| serde_json::from_str::<serde_json::Value>(&f).ok())
            .filter(serde_json::Value::is_object)
            .unwrap_or_else(|| json!({}));
        if let Some(pinned) = fields.get("open_kfid").and_then(|v| v.as_str()) {
            return Ok(Some(pinned.to_owned()));
        }
        let Some(account) = self.kf_account_of(conversation).await? else {
            return Ok(None);
        };
        // Kept beside what the message already says (a file's name).
        fields["open_kfid"] = json!(account);
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE messages SET fields = $2 WHERE id = $1")
                .bind(message.to_string())
                .bind(fields.to_string())
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        tx.commit_quietly().await?;
        Ok(Some(account))
    }

    /// A conversation's channel and its client's `open_id`.
    pub async fn conversation_client(
        &self,
        conversation: shared::ConversationId,
    ) -> AppResult<Option<(ChannelId, String)>> {
        let row: Option<(String, String)> = crate::on_read!(self, pool => {
            sqlx::query_as(
                "SELECT v.channel_id, k.open_id FROM conversations v JOIN contacts k ON k.id = v.contact_id \
                 WHERE v.id = $1",
            )
            .bind(conversation.to_string())
            .fetch_optional(pool)
            .await?
        });
        row.map(|(channel, open_id)| Ok((super::stored(&channel)?, open_id)))
            .transpose()
    }

    /// The cursor of an account (tests and diagnostics).
    pub async fn kf_cursor(
        &self,
        channel: ChannelId,
        open_kfid: &str,
    ) -> AppResult<Option<String>> {
        Ok(crate::on_read!(self, pool => {
            sqlx::query_scalar(
                "SELECT sync_cursor FROM kf_accounts WHERE channel_id = $1 AND open_kfid = $2",
            )
            .bind(channel.to_string())
            .bind(open_kfid)
            .fetch_optional(pool)
            .await?
        }))
    }
}
