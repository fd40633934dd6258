//! Calls on SLA policies: list, save, delete.

use gloo_net::http::Method;
use serde_json::json;
use shared::sla::{SaveSlaPolicy, SlaPolicy};

use super::client::{get_json, send_json, send_no_content, ApiError, TokenSource};

pub async fn policies(auth: impl TokenSource) -> Result<Vec<SlaPolicy>, ApiError> {
    get_json(auth, "/sla-policies").await
}

/// Saves a new policy (`id` `None`) or replaces one.
pub async fn save(
    auth: impl TokenSource,
    id: Option<&str>,
    policy: &SaveSlaPolicy,
) -> Result<SlaPolicy, ApiError> {
    match id {
        Some(id) => send_json(auth, Method::PUT, &format!("/sla-policies/{id}"), policy).await,
        None => send_json(auth, Method::POST, "/sla-policies", policy).await,
    }
}

pub async fn delete(auth: impl TokenSource, id: &str) -> Result<(), ApiError> {
    send_no_content(
        auth,
        Method::DELETE,
        &format!("/sla-policies/{id}"),
        &json!({}),
    )
    .await
}
