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
use shared::assignment::{AgentView, FloorTeam, FloorView, SetAssignment, SetAvailability};
use shared::{Role, TeamId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agents", get(list_agents))
        .route("/api/v1/floor", get(floor))
        .route("/api/v1/me/availability", put(set_availability))
        .route("/api/v1/teams/{id}/assignment", put(set_assignment))
}

async fn list_agents(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<AgentView>>> {
    Ok(Json(visible_agents(&state, &user).await?))
}

/// The agents `user` may see, each with the teams of theirs `user` may see.
async fn visible_agents(state: &AppState, user: &AuthUser) -> AppResult<Vec<AgentView>> {
    let agents = state.store.agents(state.clock.now()).await?;
    Ok(match user.role {
        Role::Admin | Role::Compliance => agents,
        Role::Supervisor => agents
            .into_iter()
            .filter_map(|mut agent| {
                agent.teams.retain(|t| user.teams.contains(&t.id));
                (!agent.teams.is_empty()).then_some(agent)
            })
            .collect(),
        Role::Agent => return Err(AppError::Forbidden),
    })
}

/// Waiting at most this many conversations are listed per team.
const LONGEST: i64 = 5;

/// The supervisor's floor: per team the waiting count, the longest wait
/// and the conversations behind it, agents online, a closure in force, the
/// conversations under SLA pressure, and today's figures (Hong Kong day)
/// with the conversations behind each; and the agents with their load.
/// Supervisors see their own teams.
async fn floor(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<FloorView>> {
    let agents = visible_agents(&state, &user).await?;
    let now = state.clock.now();
    let mut counts = state.store.team_counts().await?;
    let mut pressure = state.store.sla_pressure(now).await?;
    let (_, day_start) = crate::calendar::local_date(now);
    let mut today = state.store.today_figures(day_start).await?;
    let closures = state.store.closures(now).await?;
    let mut teams = Vec::new();
    for team in state.store.list_teams().await? {
        if user.role == Role::Supervisor && !user.teams.contains(&team.id) {
            continue;
        }
        let count = counts.remove(&team.id);
        let closure = closures
            .iter()
            .filter(|c| c.starts_at <= now && c.ends_at.is_none_or(|end| now < end))
            .find(|c| c.teams.as_ref().is_none_or(|t| t.contains(&team.id)))
            .map(|c| c.text.clone().unwrap_or_else(|| c.reason.clone()));
        let longest = if count.as_ref().is_some_and(|c| c.waiting > 0) {
            state.store.longest_waits(team.id, LONGEST).await?
        } else {
            Vec::new()
        };
        teams.push(FloorTeam {
            id: team.id,
            name: team.name,
            assignment: team.assignment,
            waiting: count.as_ref().map_or(0, |c| c.waiting),
            unassigned: count.as_ref().map_or(0, |c| c.unassigned),
            open: count.as_ref().map_or(0, |c| c.open),
            longest_wait_since: count.and_then(|c| c.longest_wait_since),
            longest,
            agents_online: agents
                .iter()
                .filter(|a| a.online && shared::assignment::in_team(a, team.id))
                .count() as i64,
            closure,
            sla_breached: pressure
                .get_mut(&team.id)
                .map(|p| std::mem::take(&mut p.breached))
                .unwrap_or_default(),
            sla_at_risk: pressure
                .remove(&team.id)
                .map(|p| p.at_risk)
                .unwrap_or_default(),
            today: today.remove(&team.id).unwrap_or_default(),
        });
    }
    Ok(Json(FloorView {
        teams,
        agents,
        at: now,
    }))
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
    state.roster.announce(&state.store, user.id).await;
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
