//! The contact profile panel: read a client with every visible
//! conversation of theirs, and edit their details (not compliance).

use super::{ApiJson, IdPath};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::api::{ContactView, UpdateContact};
use shared::{ContactId, Role};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/contacts/{id}", get(contact).patch(update))
}

async fn contact(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ContactId>,
) -> AppResult<Json<ContactView>> {
    state
        .store
        .contact(&user.viewer(), id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("That contact"))
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ContactId>,
    ApiJson(edit): ApiJson<UpdateContact>,
) -> AppResult<Json<ContactView>> {
    user.require(&[Role::Agent, Role::Supervisor, Role::Admin])?;
    Ok(Json(
        state
            .store
            .update_contact(state.clock.now(), &user.viewer(), id, &edit)
            .await?,
    ))
}
