//! Canned responses: everyone but compliance keeps personal ones; team ones
//! are kept by that team's supervisors and by admins, and used by its agents.

use super::{ApiJson, IdPath};
use crate::auth::AuthUser;
use crate::canned::validate;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use shared::api::{CannedResponse, SaveCannedResponse};
use shared::{CannedResponseId, Role, TeamId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/canned-responses", get(list).post(create))
        .route(
            "/api/v1/canned-responses/{id}",
            patch(update).delete(remove),
        )
}

fn writer(user: &AuthUser) -> AppResult<()> {
    user.require(&[Role::Agent, Role::Supervisor, Role::Admin])
}

/// May `user` keep responses shared with `team`?
fn keeps_team(user: &AuthUser, team: TeamId) -> bool {
    user.role == Role::Admin || (user.role == Role::Supervisor && user.teams.contains(&team))
}

/// May `user` change or delete `found`? Others get a 404.
fn may_change(user: &AuthUser, found: &CannedResponse) -> bool {
    match found.team {
        Some(team) => keeps_team(user, team),
        None => found.owner == Some(user.id),
    }
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<CannedResponse>>> {
    writer(&user)?;
    Ok(Json(
        state
            .store
            .canned_responses(user.id, &user.teams, user.role == Role::Admin)
            .await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<SaveCannedResponse>,
) -> AppResult<(StatusCode, Json<CannedResponse>)> {
    writer(&user)?;
    let input = validate(&input)?;
    let owner = match input.team {
        Some(team) if !keeps_team(&user, team) => return Err(AppError::Forbidden),
        Some(_) => None,
        None => Some(user.id),
    };
    let saved = state
        .store
        .save_canned_response(state.clock.now(), user.id, None, owner, &input)
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<CannedResponseId>,
    ApiJson(input): ApiJson<SaveCannedResponse>,
) -> AppResult<Json<CannedResponse>> {
    writer(&user)?;
    let found = state
        .store
        .canned_response(id)
        .await?
        .filter(|found| may_change(&user, found))
        .ok_or(AppError::NotFound("That canned response"))?;
    let input = validate(&input)?;
    if input.team != found.team {
        return Err(AppError::validation(
            "team",
            "A canned response stays where it was made; create a new one to share it elsewhere.",
        ));
    }
    Ok(Json(
        state
            .store
            .save_canned_response(state.clock.now(), user.id, Some(id), found.owner, &input)
            .await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<CannedResponseId>,
) -> AppResult<StatusCode> {
    writer(&user)?;
    let found = state
        .store
        .canned_response(id)
        .await?
        .filter(|found| may_change(&user, found))
        .ok_or(AppError::NotFound("That canned response"))?;
    state
        .store
        .delete_canned_response(state.clock.now(), user.id, &found)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
