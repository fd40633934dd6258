//! The contact profile panel: read a client with every visible
//! conversation of theirs, and edit their details (not compliance).

use super::{ApiJson, IdPath};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use shared::api::{ContactView, UpdateContact};
use shared::{ContactId, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contacts/by-external-id", get(by_external_id))
        .route("/api/v1/contacts/{id}", get(contact).patch(update))
}

/// `?system=crm&id=C-1001`: a client by their id in another system.
#[derive(serde::Deserialize)]
struct ExternalId {
    system: String,
    id: String,
}

/// The client another system (a CRM, the portal) knows by `id`, among
/// those the user may see.
async fn by_external_id(
    State(state): State<AppState>,
    user: AuthUser,
    wanted: Result<Query<ExternalId>, QueryRejection>,
) -> AppResult<Json<ContactView>> {
    let Query(wanted) = wanted.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let viewer = user.viewer();
    for id in state
        .store
        .contacts_by_external_id(&wanted.system, &wanted.id)
        .await?
    {
        if let Some(contact) = state.store.contact(&viewer, id).await? {
            return Ok(Json(contact));
        }
    }
    Err(AppError::NotFound("A client with that id"))
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
