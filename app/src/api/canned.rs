//! Canned responses: the ones this user may use, and saving a new one.
//! A server without the endpoint yet answers 404, which reads as "none".

use gloo_net::http::Method;
use shared::api::{CannedResponse, SaveCannedResponse};

use super::client::{get_json, send_json, ApiError, TokenSource};

pub async fn list(auth: impl TokenSource) -> Result<Vec<CannedResponse>, ApiError> {
    match get_json(auth, "/canned-responses").await {
        Err(error) if error.status == 404 || error.status == 405 => Ok(Vec::new()),
        other => other,
    }
}

pub async fn create(
    auth: impl TokenSource,
    canned: &SaveCannedResponse,
) -> Result<CannedResponse, ApiError> {
    send_json(auth, Method::POST, "/canned-responses", canned).await
}
