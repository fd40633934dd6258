//! Reading the event log over HTTP (admin and compliance) and verifying it.

use crate::access::{Access, ClientIp, Read};
use crate::auth::AuthUser;
use crate::error::AppResult;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared::api::Event;
use shared::{Role, Seq};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(list_events))
        .route("/api/v1/audit/verify", get(verify))
}

#[derive(Deserialize)]
struct EventsQuery {
    #[serde(default)]
    after: i64,
    limit: Option<i64>,
}

async fn list_events(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
    Query(q): Query<EventsQuery>,
) -> AppResult<Json<Vec<Event>>> {
    user.require(&[Role::Admin, Role::Compliance])?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let events = state.store.events_after(Seq(q.after), limit).await?;
    state.access.record(
        Access::new(Read::EventLog, &user, &from)
            .detail(serde_json::json!({ "after": q.after, "events": events.len() })),
    );
    Ok(Json(events))
}

#[derive(Serialize)]
struct VerifyResponse {
    intact: bool,
    checked: i64,
    first_bad_seq: Option<i64>,
    problem: Option<String>,
}

async fn verify(
    State(state): State<AppState>,
    user: AuthUser,
    from: ClientIp,
) -> AppResult<Json<VerifyResponse>> {
    user.require(&[Role::Admin, Role::Compliance])?;
    let report = state.store.verify_chain().await?;
    state
        .access
        .record(Access::new(Read::AuditVerify, &user, &from));
    Ok(Json(VerifyResponse {
        intact: report.fault.is_none(),
        checked: report.checked,
        first_bad_seq: report.fault.as_ref().map(|f| f.first_bad_seq()),
        problem: report.fault.map(|f| f.to_string()),
    }))
}
