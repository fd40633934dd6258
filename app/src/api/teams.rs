//! Calls on teams: list, create, and set their WeCom messages.

use gloo_net::http::Method;
use shared::api::{CreateTeam, Team, TeamMessages};
use shared::TeamId;

use super::client::{get_json, send_json, ApiError, TokenSource};

pub async fn list(auth: impl TokenSource) -> Result<Vec<Team>, ApiError> {
    get_json(auth, "/teams").await
}

pub async fn create(auth: impl TokenSource, team: &CreateTeam) -> Result<Team, ApiError> {
    send_json(auth, Method::POST, "/teams", team).await
}

/// Sets a team's WeCom welcome and closing messages (admins).
pub async fn set_messages(
    auth: impl TokenSource,
    id: TeamId,
    messages: &TeamMessages,
) -> Result<Team, ApiError> {
    send_json(
        auth,
        Method::PUT,
        &format!("/teams/{id}/messages"),
        messages,
    )
    .await
}

/// How a team hands out its waiting conversations (admins; supervisors
/// for their own teams).
pub async fn set_assignment(
    auth: impl TokenSource,
    id: TeamId,
    request: &shared::assignment::SetAssignment,
) -> Result<Team, ApiError> {
    send_json(
        auth,
        Method::PUT,
        &format!("/teams/{id}/assignment"),
        request,
    )
    .await
}

/// The agents the user may see (a supervisor: their teams'), with presence
/// and load.
pub async fn agents(
    auth: impl TokenSource,
) -> Result<Vec<shared::assignment::AgentView>, ApiError> {
    get_json(auth, "/agents").await
}

/// The supervisor's floor: teams' waits and agents' load.
pub async fn floor(auth: impl TokenSource) -> Result<shared::assignment::FloorView, ApiError> {
    get_json(auth, "/floor").await
}
