//! Admin management of users: list, create, change, deactivate, reset password.

use super::ApiJson;
use crate::accounts;
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use shared::api::{CreateUser, ResetPassword, UpdateUser, User};
use shared::UserId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", patch(update_user).get(get_user))
        .route("/api/v1/users/{id}/password", post(reset_password))
}

fn parse_user_id(raw: &str) -> AppResult<UserId> {
    raw.parse().map_err(|_| AppError::NotFound("That user"))
}

async fn list_users(State(state): State<AppState>, actor: AuthUser) -> AppResult<Json<Vec<User>>> {
    actor.require_admin()?;
    Ok(Json(state.store.list_users().await?))
}

async fn get_user(
    State(state): State<AppState>,
    actor: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<User>> {
    actor.require_admin()?;
    let user = state
        .store
        .user(parse_user_id(&id)?)
        .await?
        .ok_or(AppError::NotFound("That user"))?;
    Ok(Json(user))
}

async fn create_user(
    State(state): State<AppState>,
    actor: AuthUser,
    ApiJson(input): ApiJson<CreateUser>,
) -> AppResult<(StatusCode, Json<User>)> {
    actor.require_admin()?;
    let user =
        accounts::create_user(&state.store, state.clock.now(), Some(actor.id), &input).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn update_user(
    State(state): State<AppState>,
    actor: AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UpdateUser>,
) -> AppResult<Json<User>> {
    actor.require_admin()?;
    let id = parse_user_id(&id)?;
    let updated =
        accounts::update_user(&state.store, state.clock.now(), actor.id, id, &input).await?;
    // Capacity, teams or being active change the floor and what the
    // dispatcher may give them.
    state.roster.wake();
    state.roster.announce(&state.store, id).await;
    Ok(Json(updated))
}

async fn reset_password(
    State(state): State<AppState>,
    actor: AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResetPassword>,
) -> AppResult<StatusCode> {
    actor.require_admin()?;
    let id = parse_user_id(&id)?;
    accounts::reset_password(
        &state.store,
        state.clock.now(),
        actor.id,
        id,
        &input.password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
