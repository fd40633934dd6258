//! `/healthz` (the process is up), `/readyz` (database reachable, migrations
//! applied, background tasks alive, not stopping) and `/metrics` (Prometheus text): on the main address only with
//! the bearer token `HARBOUR_METRICS_TOKEN`, or without one on a listener of
//! its own (`HARBOUR_METRICS_BIND`).

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(guarded_metrics))
}

/// The metrics listener's routes: `/metrics` without a token.
pub fn metrics_router(state: AppState) -> axum::Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers with every migration applied, every
/// background task is running, and the server is not stopping.
async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    let unavailable = |why: String| (StatusCode::SERVICE_UNAVAILABLE, why);
    if state.shutdown.is_begun() {
        return unavailable("stopping".into());
    }
    let dead = state.tasks.dead();
    if !dead.is_empty() {
        tracing::error!(tasks = ?dead, "a background task stopped; this node is not ready");
        return unavailable(format!("background task stopped: {}", dead.join(", ")));
    }
    if !state.store.ready().await {
        return unavailable("database unreachable or migrations pending".into());
    }
    // Details that do not make the node unready: a checkpoint sink behind.
    let details = state.metrics.checkpoints.details();
    if details.is_empty() {
        (StatusCode::OK, "ready".into())
    } else {
        (StatusCode::OK, format!("ready\n{}", details.join("\n")))
    }
}

async fn guarded_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return AppError::NotFound(
            "Metrics on this address (set HARBOUR_METRICS_TOKEN or HARBOUR_METRICS_BIND)",
        )
        .into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compared as digests, so the time taken says nothing about the token.
    let digest = |text: &str| Sha256::digest(text.as_bytes());
    if presented.is_some_and(|p| digest(p) == digest(token.expose())) {
        metrics(State(state)).await.into_response()
    } else {
        AppError::Unauthenticated.into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let depth = state.store.job_queue_depth().await.ok();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(depth),
    )
}
