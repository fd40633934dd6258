//! Agents' presence and load, and how teams hand out conversations
//! (issue 14 §3). Admins and compliance see every agent; a supervisor sees
//! the agents of their own teams (and only those teams in each agent's
//! list); agents do not see the roster. Anyone signed in says whether they
//! take new conversations; admins, and supervisors for their own teams,
//! choose a team's assignment method. Each change is an event, and wakes
//! auto-assignment.

use super::{ApiJson, IdPath};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use shared::api::{Team, User};
use shared::assignment::{AgentView, SetAssignment, SetAvailability};
use shared::{Role, TeamId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agents", get(list_agents))
        .route("/api/v1/me/availability", put(set_availability))
        .route("/api/v1/teams/{id}/assignment", put(set_assignment))
}

async fn list_agents(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<AgentView>>> {
    let agents = state.store.agents(state.clock.now()).await?;
    let agents = match user.role {
        Role::Admin | Role::Compliance => agents,
        Role::Supervisor => agents
            .into_iter()
            .filter_map(|mut agent| {
                agent.teams.retain(|t| user.teams.contains(&t.id));
                (!agent.teams.is_empty()).then_some(agent)
            })
            .collect(),
        Role::Agent => return Err(AppError::Forbidden),
    };
    Ok(Json(agents))
}

async fn set_availability(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<SetAvailability>,
) -> AppResult<Json<User>> {
    let now = state.clock.now();
    state
        .store
        .set_availability(user.id, input.availability, now)
        .await?;
    state.roster.wake();
    state
        .store
        .user(user.id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("That user"))
}

async fn set_assignment(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(team): IdPath<TeamId>,
    ApiJson(input): ApiJson<SetAssignment>,
) -> AppResult<Json<Team>> {
    match user.role {
        Role::Admin => {}
        Role::Supervisor if user.teams.contains(&team) => {}
        _ => return Err(AppError::Forbidden),
    }
    let now = state.clock.now();
    state
        .store
        .set_team_assignment(team, input.assignment, user.id, now)
        .await?;
    state.roster.wake();
    state
        .store
        .list_teams()
        .await?
        .into_iter()
        .find(|t| t.id == team)
        .map(Json)
        .ok_or(AppError::NotFound("That team"))
}
