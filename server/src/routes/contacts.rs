//! The contact profile panel: read a client with every visible
//! conversation of theirs, and edit their details (not compliance).

use super::{ApiJson, IdPath};
use crate::access::{Access, ClientIp, Read};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use shared::api::{AccessEntry, ContactView, UpdateContact};
use shared::{ContactId, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contacts/by-external-id", get(by_external_id))
        .route("/api/v1/contacts/{id}", get(contact).patch(update))
        .route("/api/v1/contacts/{id}/accesses", get(accesses))
        .route("/api/v1/contacts/{id}/history", get(history))
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
    from: ClientIp,
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
            state.access.record(
                Access::new(Read::Contact, &user, &from).contact(id).detail(
                    serde_json::json!({ "by": { "system": wanted.system, "id": wanted.id } }),
                ),
            );
            return Ok(Json(contact));
        }
    }
    Err(AppError::NotFound("A client with that id"))
}

async fn contact(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    IdPath(id): IdPath<ContactId>,
) -> AppResult<Json<ContactView>> {
    let contact = state
        .store
        .contact(&user.viewer(), id)
        .await?
        .ok_or(AppError::NotFound("That contact"))?;
    state
        .access
        .record(Access::new(Read::Contact, &user, &from).contact(id));
    Ok(Json(contact))
}

#[derive(serde::Deserialize)]
struct AccessesQuery {
    limit: Option<i64>,
}

/// Who read this client's data, and when (admin and compliance); newest
/// first. Asking is itself recorded.
async fn accesses(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    IdPath(id): IdPath<ContactId>,
    query: Result<Query<AccessesQuery>, QueryRejection>,
) -> AppResult<Json<Vec<AccessEntry>>> {
    user.require(&[Role::Admin, Role::Compliance])?;
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    state
        .store
        .contact(&user.viewer(), id)
        .await?
        .ok_or(AppError::NotFound("That contact"))?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.store.contact_accesses(id, limit).await?;
    state
        .access
        .record(Access::new(Read::AccessHistory, &user, &from).contact(id));
    Ok(Json(entries))
}

#[derive(serde::Deserialize)]
struct HistoryQuery {
    from: Option<i64>,
    to: Option<i64>,
    before: Option<i64>,
    limit: Option<i64>,
}

/// The client's complete history on every channel, newest first (admin
/// and compliance): messages with their delivery states, notes, changes,
/// exports and every read. Reading it is itself recorded.
async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    IdPath(id): IdPath<ContactId>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> AppResult<Json<shared::api::ClientHistory>> {
    user.require(&[Role::Admin, Role::Compliance])?;
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    super::check_period(query.from, query.to)?;
    let page = crate::store::exports::HistoryPage {
        from: query.from,
        to: query.to,
        before: query.before,
        limit: query.limit.unwrap_or(100).clamp(1, 500),
    };
    let history = state.store.client_history(id, page).await?;
    state.access.record(
        Access::new(Read::History, &user, &from).contact(id).detail(
            serde_json::json!({ "from": query.from, "to": query.to, "before": query.before }),
        ),
    );
    Ok(Json(history))
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
