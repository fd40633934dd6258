//! Admin API for channels: list them and connect an Official Account.
//! Secrets go in and never come out, except a Token Harbour generated,
//! returned once.

use super::ApiJson;
use crate::auth::AuthUser;
use crate::channels::create_official_account;
use crate::error::AppResult;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::api::{Channel, ConnectedChannel, CreateOfficialAccount};
use shared::Role;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/channels", get(list_channels))
        .route(
            "/api/v1/channels/official-accounts",
            post(add_official_account),
        )
}

async fn list_channels(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<Channel>>> {
    user.require(&[Role::Admin, Role::Supervisor])?;
    Ok(Json(state.store.list_channels().await?))
}

async fn add_official_account(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<CreateOfficialAccount>,
) -> AppResult<(StatusCode, Json<ConnectedChannel>)> {
    user.require_admin()?;
    let channel = create_official_account(
        &state.store,
        &state.secrets,
        state.clock.now(),
        Some(user.id),
        &input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(channel)))
}
