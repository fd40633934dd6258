//! The channels table: connected accounts, their sealed secrets never
//! leaving this module except to be opened by the channel code.

use super::{is_unique_violation, Store, Tx};
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use shared::api::Channel;
use shared::{ChannelId, TeamId};
use uuid::Uuid;

pub struct NewChannel<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub app_id: &'a str,
    pub mode: &'a str,
    pub api_base: &'a str,
    pub secrets: &'a [u8],
    pub team: Option<TeamId>,
}

#[derive(sqlx::FromRow)]
struct ChannelRow {
    #[sqlx(try_from = "String")]
    id: ChannelId,
    kind: String,
    name: String,
    app_id: String,
    mode: String,
    api_base: String,
    team_id: Option<String>,
    active: bool,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct SealedChannelRow {
    #[sqlx(flatten)]
    channel: ChannelRow,
    secrets: Vec<u8>,
}

const COLUMNS: &str = "id, kind, name, app_id, mode, api_base, team_id, active, created_at";

fn to_channel(row: ChannelRow) -> Channel {
    Channel {
        callback_path: format!(
            "/wechat/{}/{}",
            if row.kind == crate::channels::wecom_kf::KIND {
                "kf"
            } else {
                "oa"
            },
            row.id
        ),
        id: row.id,
        kind: row.kind,
        name: row.name,
        app_id: row.app_id,
        mode: row.mode.parse().unwrap_or(shared::api::CallbackMode::Safe),
        api_base: row.api_base,
        team: row.team_id.and_then(|t| t.parse().ok()),
        active: row.active,
        created_at: row.created_at,
    }
}

pub async fn insert_channel(tx: &mut Tx, now: i64, new: &NewChannel<'_>) -> AppResult<ChannelId> {
    let id = ChannelId(Uuid::new_v4());
    let result = on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO channels (id, kind, name, app_id, mode, api_base, secrets, team_id, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9)",
        )
        .bind(id.to_string())
        .bind(new.kind)
        .bind(new.name)
        .bind(new.app_id)
        .bind(new.mode)
        .bind(new.api_base)
        .bind(new.secrets)
        .bind(new.team.map(|t| t.to_string()))
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    });
    match result {
        Ok(_) => Ok(id),
        Err(err) if is_unique_violation(&err, "app_id") => Err(AppError::conflict_because(
            "app_id_taken",
            format!("The account {} is already connected.", new.app_id),
        )),
        Err(err) if matches!(&err, sqlx::Error::Database(db) if db.is_foreign_key_violation()) => {
            Err(AppError::validation("team", "There is no such team."))
        }
        Err(err) => Err(err.into()),
    }
}

impl Store {
    pub async fn channel(&self, id: ChannelId) -> AppResult<Option<Channel>> {
        Ok(self.channel_with_secrets(id).await?.map(|(c, _)| c))
    }

    /// The channel and its sealed secrets (still encrypted).
    pub async fn channel_with_secrets(
        &self,
        id: ChannelId,
    ) -> AppResult<Option<(Channel, Vec<u8>)>> {
        // One read: this runs for every WeChat callback.
        let sql = format!("SELECT {COLUMNS}, secrets FROM channels WHERE id = $1");
        let row: Option<SealedChannelRow> = on_read!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?);
        Ok(row.map(|r| (to_channel(r.channel), r.secrets)))
    }

    pub async fn list_channels(&self) -> AppResult<Vec<Channel>> {
        let sql = format!("SELECT {COLUMNS} FROM channels ORDER BY name");
        let rows: Vec<ChannelRow> =
            on_read!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(to_channel).collect())
    }
}
