//! Teams: everyone signed in may list them (to pick one); admins create
//! them and set their WeCom welcome and closing messages.

use super::{ApiJson, IdPath};
use crate::accounts;
use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use shared::api::{CreateTeam, Team, TeamMessages};
use shared::TeamId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(list_teams).post(create_team))
        .route("/api/v1/teams/{id}/messages", put(set_messages))
}

async fn list_teams(State(state): State<AppState>, _user: AuthUser) -> AppResult<Json<Vec<Team>>> {
    Ok(Json(state.store.list_teams().await?))
}

async fn create_team(
    State(state): State<AppState>,
    actor: AuthUser,
    ApiJson(input): ApiJson<CreateTeam>,
) -> AppResult<(StatusCode, Json<Team>)> {
    actor.require_admin()?;
    let team =
        accounts::create_team(&state.store, state.clock.now(), Some(actor.id), &input.name).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

async fn set_messages(
    State(state): State<AppState>,
    actor: AuthUser,
    IdPath(id): IdPath<TeamId>,
    ApiJson(input): ApiJson<TeamMessages>,
) -> AppResult<Json<Team>> {
    actor.require_admin()?;
    let team =
        accounts::set_team_messages(&state.store, state.clock.now(), actor.id, id, &input).await?;
    Ok(Json(team))
}
