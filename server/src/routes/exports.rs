//! Evidence bundles of one client's history (compliance and admin): ask
//! for one with a reason, watch it build, download it while it lasts.
//! Asking and each download are access events; only the requester and
//! compliance see or fetch a bundle.

use super::{ApiJson, IdPath};
use crate::access::{Access, ClientIp, Read};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shared::api::{ExportRequest, ExportStatus, ExportView};
use shared::{ExportId, Role};
use tower::ServiceExt;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/exports", get(list).post(create))
        .route("/api/v1/exports/{id}", get(one))
        .route("/api/v1/exports/{id}/download", get(download))
}

/// The longest reason kept.
const MAX_REASON: usize = 2_000;

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    ApiJson(mut request): ApiJson<ExportRequest>,
) -> AppResult<(StatusCode, Json<ExportView>)> {
    user.require(&[Role::Admin, Role::Compliance])?;
    request.reason.text = request.reason.text.trim().to_owned();
    let text = &request.reason.text;
    if text.is_empty() {
        return Err(AppError::validation(
            "reason.text",
            "Say why this export is needed.",
        ));
    }
    if text.chars().count() > MAX_REASON {
        return Err(AppError::validation(
            "reason.text",
            format!("Keep the reason under {MAX_REASON} characters."),
        ));
    }
    super::check_period(request.from, request.to)?;
    state
        .store
        .contact(&user.viewer(), request.contact)
        .await?
        .ok_or(AppError::NotFound("That contact"))?;
    let access = Access::new(Read::Export, &user, &from).contact(request.contact);
    let id = state
        .store
        .request_export(
            state.clock.now(),
            &access,
            &request,
            crate::exports::EXPORT_JOB,
        )
        .await?;
    let export = state
        .store
        .export(id)
        .await?
        .ok_or(AppError::NotFound("That export"))?;
    Ok((StatusCode::ACCEPTED, Json(export)))
}

/// Compliance sees every export; an admin their own.
async fn list(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Vec<ExportView>>> {
    user.require(&[Role::Admin, Role::Compliance])?;
    let whose = (user.role != Role::Compliance).then_some(user.id);
    Ok(Json(state.store.exports(whose, 200).await?))
}

/// The export, when this user may see it (its requester, or compliance).
async fn visible(state: &AppState, user: &AuthUser, id: ExportId) -> AppResult<ExportView> {
    user.require(&[Role::Admin, Role::Compliance])?;
    state
        .store
        .export(id)
        .await?
        .filter(|export| user.role == Role::Compliance || export.requested_by == user.id)
        .ok_or(AppError::NotFound("That export"))
}

async fn one(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath<ExportId>,
) -> AppResult<Json<ExportView>> {
    Ok(Json(visible(&state, &user, id).await?))
}

async fn download(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    IdPath(id): IdPath<ExportId>,
    request: Request,
) -> AppResult<Response> {
    let export = visible(&state, &user, id).await?;
    let now = state.clock.now();
    match export.status {
        ExportStatus::Ready if export.expires_at.is_some_and(|t| t > now) => {}
        ExportStatus::Ready | ExportStatus::Expired => {
            return Err(AppError::conflict_because(
                "export_expired",
                "This export has expired; ask for a new one.",
            ))
        }
        ExportStatus::Failed => {
            return Err(AppError::conflict_because(
                "export_failed",
                "This export could not be built; ask for a new one.",
            ))
        }
        ExportStatus::Queued | ExportStatus::Building => {
            return Err(AppError::conflict_because(
                "export_not_ready",
                "This export is still being built.",
            ))
        }
    }
    let path =
        crate::exports::bundle_path(&crate::exports::exports_dir(&state.config.data_dir), id);
    let mut response = tower_http::services::ServeFile::new(&path)
        .oneshot(request)
        .await
        .map_err(|err| AppError::internal(anyhow::anyhow!("cannot serve the bundle: {err}")))?
        .into_response();
    if response.status() == StatusCode::NOT_FOUND {
        return Err(AppError::conflict_because(
            "export_expired",
            "This export's file is gone; ask for a new one.",
        ));
    }
    if response.status().is_success() {
        state.access.record(
            Access::new(Read::ExportDownload, &user, &from)
                .contact(export.contact)
                .detail(serde_json::json!({ "export": id, "sha256": export.sha256 })),
        );
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"harbour-export-{id}.zip\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
