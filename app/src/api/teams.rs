//! Calls on teams: list and create.

use gloo_net::http::Method;
use shared::api::{CreateTeam, Team};

use super::client::{get_json, send_json, ApiError, TokenSource};

pub async fn list(auth: impl TokenSource) -> Result<Vec<Team>, ApiError> {
    get_json(auth, "/teams").await
}

pub async fn create(auth: impl TokenSource, team: &CreateTeam) -> Result<Team, ApiError> {
    send_json(auth, Method::POST, "/teams", team).await
}
