//! SLA policies over HTTP (issue 14 §4). Admins manage every policy;
//! supervisors manage their own teams' and read those and the policies for
//! every team; compliance reads them all; agents see SLAs only on their
//! conversations. Each change is an event, and the clocks running take the
//! new targets.

use super::{ApiJson, IdPath};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use shared::sla::{SaveSlaPolicy, SlaPolicy, DEFAULT_WARN_MINUTES, MAX_TARGET_MINUTES};
use shared::{Role, TeamId};

const MAX_NAME_CHARS: usize = 80;
const MAX_LABEL_CHARS: usize = 32;

/// A policy's id in a path: a UUID, else the policy is not found.
struct PolicyId(String);

impl std::str::FromStr for PolicyId {
    type Err = uuid::Error;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(text).map(|id| PolicyId(id.to_string()))
    }
}

impl super::Named for PolicyId {
    const WHAT: &'static str = "That SLA policy";
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sla-policies", get(list).post(create))
        .route("/api/v1/sla-policies/{id}", put(update).delete(remove))
}

fn may_read(user: &AuthUser, policy: &SlaPolicy) -> bool {
    match user.role {
        Role::Admin | Role::Compliance => true,
        Role::Supervisor => policy.team.is_none_or(|t| user.teams.contains(&t)),
        Role::Agent => false,
    }
}

/// Admins for any policy; a supervisor for one of their own team.
fn may_manage(user: &AuthUser, team: Option<TeamId>) -> AppResult<()> {
    match (user.role, team) {
        (Role::Admin, _) => Ok(()),
        (Role::Supervisor, Some(team)) if user.teams.contains(&team) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

async fn list(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Vec<SlaPolicy>>> {
    if user.role == Role::Agent {
        return Err(AppError::Forbidden);
    }
    let policies = state.store.sla_policies().await?;
    Ok(Json(
        policies
            .into_iter()
            .filter(|p| may_read(&user, p))
            .collect(),
    ))
}

/// The policy cleaned, with its warning lead, or the first thing wrong
/// with it by field. `id` is the policy being changed.
async fn checked(
    state: &AppState,
    id: Option<&str>,
    mut input: SaveSlaPolicy,
) -> AppResult<(SaveSlaPolicy, i64)> {
    let bad = |field: &str, why: String| AppError::validation(field, why);
    input.name = input.name.trim().to_owned();
    if input.name.is_empty() || input.name.chars().count() > MAX_NAME_CHARS {
        return Err(bad(
            "name",
            "Give the policy a name of at most 80 characters.".into(),
        ));
    }
    input.label = input
        .label
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    if input
        .label
        .as_ref()
        .is_some_and(|l| l.chars().count() > MAX_LABEL_CHARS)
    {
        return Err(bad("label", "A label has at most 32 characters.".into()));
    }
    if let Some(team) = input.team {
        if !state.store.list_teams().await?.iter().any(|t| t.id == team) {
            return Err(bad("team", "That team does not exist.".into()));
        }
    }
    let targets = [
        ("first_response_minutes", input.first_response_minutes),
        ("next_response_minutes", input.next_response_minutes),
        ("resolution_minutes", input.resolution_minutes),
    ];
    for (field, minutes) in targets {
        if minutes.is_some_and(|m| !(1..=MAX_TARGET_MINUTES).contains(&m)) {
            return Err(bad(
                field,
                format!(
                    "A target is between 1 and {MAX_TARGET_MINUTES} business minutes (90 days)."
                ),
            ));
        }
    }
    let Some(shortest) = targets.iter().filter_map(|(_, m)| *m).min() else {
        return Err(bad(
            "first_response_minutes",
            "Set at least one target: first response, next response or resolution.".into(),
        ));
    };
    let warn = match input.warn_minutes {
        Some(warn) if !(0..shortest).contains(&warn) => {
            return Err(bad(
                "warn_minutes",
                format!("Warn between 0 minutes and less than the shortest target ({shortest} minutes) before a breach."),
            ));
        }
        Some(warn) => warn,
        None => DEFAULT_WARN_MINUTES.min(shortest / 2),
    };
    let taken = state
        .store
        .sla_policies()
        .await?
        .into_iter()
        .any(|p| Some(p.id.as_str()) != id && p.team == input.team && p.label == input.label);
    if taken {
        let field = if input.label.is_some() {
            "label"
        } else {
            "team"
        };
        return Err(bad(
            field,
            "Another policy already covers this team and label; change that one instead.".into(),
        ));
    }
    Ok((input, warn))
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<SaveSlaPolicy>,
) -> AppResult<(StatusCode, Json<SlaPolicy>)> {
    may_manage(&user, input.team)?;
    let (input, warn) = checked(&state, None, input).await?;
    let now = state.clock.now();
    let id = state
        .store
        .save_sla_policy(now, user.id, None, &input, warn)
        .await?
        .ok_or(AppError::NotFound("That SLA policy"))?;
    Ok((StatusCode::CREATED, Json(saved(&state, &id).await?)))
}

async fn saved(state: &AppState, id: &str) -> AppResult<SlaPolicy> {
    state
        .store
        .sla_policy(id)
        .await?
        .ok_or(AppError::NotFound("That SLA policy"))
}

/// The policy `id`, when `user` may see it.
async fn visible(state: &AppState, user: &AuthUser, id: &str) -> AppResult<SlaPolicy> {
    if user.role == Role::Agent {
        return Err(AppError::Forbidden);
    }
    Some(saved(state, id).await?)
        .filter(|p| may_read(user, p))
        .ok_or(AppError::NotFound("That SLA policy"))
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(PolicyId(id)): IdPath<PolicyId>,
    ApiJson(input): ApiJson<SaveSlaPolicy>,
) -> AppResult<Json<SlaPolicy>> {
    let current = visible(&state, &user, &id).await?;
    may_manage(&user, current.team)?;
    may_manage(&user, input.team)?;
    let (input, warn) = checked(&state, Some(&id), input).await?;
    let now = state.clock.now();
    state
        .store
        .save_sla_policy(now, user.id, Some(&id), &input, warn)
        .await?
        .ok_or(AppError::NotFound("That SLA policy"))?;
    Ok(Json(saved(&state, &id).await?))
}

async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(PolicyId(id)): IdPath<PolicyId>,
) -> AppResult<StatusCode> {
    let current = visible(&state, &user, &id).await?;
    may_manage(&user, current.team)?;
    if !state
        .store
        .delete_sla_policy(state.clock.now(), user.id, &id)
        .await?
    {
        return Err(AppError::NotFound("That SLA policy"));
    }
    Ok(StatusCode::NO_CONTENT)
}
