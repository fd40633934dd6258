//! Teams: everyone signed in may list them (to pick one); admins create them.

use super::ApiJson;
use crate::accounts;
use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use shared::api::{CreateTeam, Team};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/teams", get(list_teams).post(create_team))
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
