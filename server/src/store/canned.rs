//! Canned responses: personal ones (the owner's) and team ones (shared with
//! a team, kept by its supervisors and admins).

use super::events::{append, NewEvent};
use super::Store;
use crate::error::{AppError, AppResult};
use crate::{on_read, on_tx};
use serde_json::json;
use shared::api::{CannedResponse, SaveCannedResponse};
use shared::{CannedResponseId, TeamId, UserId};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(try_from = "String")]
    id: CannedResponseId,
    team_id: Option<String>,
    owner_id: Option<String>,
    shortcut: String,
    title: String,
    body: String,
    updated_at: i64,
}

impl From<Row> for CannedResponse {
    fn from(r: Row) -> Self {
        CannedResponse {
            id: r.id,
            team: r.team_id.and_then(|t| t.parse().ok()),
            owner: r.owner_id.and_then(|o| o.parse().ok()),
            shortcut: r.shortcut,
            title: r.title,
            body: r.body,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "id, team_id, owner_id, shortcut, title, body, updated_at";

impl Store {
    /// The user's personal responses and those of their teams (every team's for `all_teams`).
    pub async fn canned_responses(
        &self,
        user: UserId,
        teams: &[TeamId],
        all_teams: bool,
    ) -> AppResult<Vec<CannedResponse>> {
        let rows: Vec<Row> = on_read!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM canned_responses WHERE owner_id = $1 OR team_id IS NOT NULL ORDER BY shortcut, title"
            ))
            .bind(user.to_string())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(CannedResponse::from)
            .filter(|c| match c.team {
                Some(team) => all_teams || teams.contains(&team),
                None => c.owner == Some(user),
            })
            .collect())
    }

    pub async fn canned_response(&self, id: CannedResponseId) -> AppResult<Option<CannedResponse>> {
        let row: Option<Row> = on_read!(self, pool => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM canned_responses WHERE id = $1"))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(CannedResponse::from))
    }

    /// Creates (`id: None`) or replaces a response; shortcuts are unique
    /// among the owner's personal ones and within a team.
    pub async fn save_canned_response(
        &self,
        now: i64,
        actor: UserId,
        id: Option<CannedResponseId>,
        owner: Option<UserId>,
        input: &SaveCannedResponse,
    ) -> AppResult<CannedResponse> {
        let mut tx = self.begin().await?;
        let clash: Option<String> = on_tx!(&mut tx, c => {
            sqlx::query_scalar(
                "SELECT id FROM canned_responses WHERE shortcut = $1 AND id <> $2 AND \
                 ((team_id IS NULL AND owner_id = $3) OR (team_id IS NOT NULL AND team_id = $4))",
            )
            .bind(&input.shortcut)
            .bind(id.map(|id| id.to_string()).unwrap_or_default())
            .bind(owner.map(|o| o.to_string()).unwrap_or_default())
            .bind(input.team.map(|t| t.to_string()).unwrap_or_default())
            .fetch_optional(&mut *c)
            .await?
        });
        if clash.is_some() {
            return Err(AppError::conflict_because(
                "shortcut_taken",
                format!(
                    "/{} is already used. Pick another shortcut.",
                    input.shortcut
                ),
            ));
        }
        let id = id.unwrap_or_else(|| CannedResponseId(Uuid::new_v4()));
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO canned_responses (id, team_id, owner_id, shortcut, title, body, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 ON CONFLICT (id) DO UPDATE SET team_id = $2, owner_id = $3, shortcut = $4, title = $5, body = $6, updated_at = $7",
            )
            .bind(id.to_string())
            .bind(input.team.map(|t| t.to_string()))
            .bind(owner.map(|o| o.to_string()))
            .bind(&input.shortcut)
            .bind(&input.title)
            .bind(&input.body)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        let payload = json!({ "canned_response": id, "shortcut": input.shortcut });
        append(
            &mut tx,
            now,
            &[NewEvent::new("canned_response.saved", Some(actor), payload).in_team(input.team)],
        )
        .await?;
        self.commit(tx).await?;
        self.canned_response(id)
            .await?
            .ok_or(AppError::NotFound("That canned response"))
    }

    pub async fn delete_canned_response(
        &self,
        now: i64,
        actor: UserId,
        found: &CannedResponse,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("DELETE FROM canned_responses WHERE id = $1")
                .bind(found.id.to_string())
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        let payload = json!({ "canned_response": found.id, "shortcut": found.shortcut });
        append(
            &mut tx,
            now,
            &[NewEvent::new("canned_response.deleted", Some(actor), payload).in_team(found.team)],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }
}
