//! Calls on automation: rules (list, save, delete, dry run) and closures
//! (in force, start, end).

use gloo_net::http::Method;
use serde_json::json;
use shared::api::{ClosureView, NewClosure};
use shared::automation::{DryRun, RuleInput, RuleView};

use super::client::{get_json, send_json, send_no_content, ApiError, TokenSource};

pub async fn rules(auth: impl TokenSource) -> Result<Vec<RuleView>, ApiError> {
    get_json(auth, "/rules").await
}

/// Saves a new rule (`id` `None`) or replaces one.
pub async fn save_rule(
    auth: impl TokenSource,
    id: Option<&str>,
    rule: &RuleInput,
) -> Result<RuleView, ApiError> {
    match id {
        Some(id) => send_json(auth, Method::PUT, &format!("/rules/{id}"), rule).await,
        None => send_json(auth, Method::POST, "/rules", rule).await,
    }
}

pub async fn delete_rule(auth: impl TokenSource, id: &str) -> Result<(), ApiError> {
    send_no_content(auth, Method::DELETE, &format!("/rules/{id}"), &json!({})).await
}

/// What the rule as written would have done in the last 7 days.
pub async fn dry_run(auth: impl TokenSource, rule: &RuleInput) -> Result<DryRun, ApiError> {
    send_json(auth, Method::POST, "/rules/dry-run", rule).await
}

pub async fn closures(auth: impl TokenSource) -> Result<Vec<ClosureView>, ApiError> {
    get_json(auth, "/closures").await
}

pub async fn start_closure(
    auth: impl TokenSource,
    closure: &NewClosure,
) -> Result<ClosureView, ApiError> {
    send_json(auth, Method::POST, "/closures", closure).await
}

pub async fn end_closure(auth: impl TokenSource, id: &str) -> Result<ClosureView, ApiError> {
    send_json(
        auth,
        Method::POST,
        &format!("/closures/{id}/end"),
        &json!({}),
    )
    .await
}
