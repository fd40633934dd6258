//! Automation rules over HTTP (issue 14 §2). Admins manage every rule;
//! supervisors manage the rules of their own teams and read the rules that
//! act on every team; compliance reads them all (they explain what the
//! record shows automation did); agents do not see them. Every change is
//! an event. A dry run shows what a rule would have done in the last week.

use super::{ApiJson, IdPath};
use crate::auth::AuthUser;
use crate::automator::Automator;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::automation::{self as store, RuleRecord};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;
use shared::automation::{DryRun, RuleAction, RuleInput, RuleView, Trigger};
use shared::{Role, TeamId};

const MAX_NAME_CHARS: usize = 80;
const MAX_ACTIONS: usize = 10;
const MAX_KEYWORDS: usize = 50;
const MAX_KEYWORD_CHARS: usize = 50;
const MAX_TAGS: usize = 20;
/// A time-based trigger waits at most a week.
const MAX_DELAY_MINUTES: i64 = 7 * 24 * 60;
/// A rule snoozes for at most 30 days.
const MAX_SNOOZE_MINUTES: i64 = 30 * 24 * 60;
/// The longest reply, in bytes (WeChat's text limit is 2,048).
const MAX_REPLY_BYTES: usize = 2_000;
const MAX_NOTE_CHARS: usize = 4_000;
const CHANNEL_KINDS: [&str; 2] = ["wechat_oa", "wecom_kf"];

/// A rule's id in a path: a UUID, else the rule is not found.
struct RuleId(String);

impl std::str::FromStr for RuleId {
    type Err = uuid::Error;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(text).map(|id| RuleId(id.to_string()))
    }
}

impl super::Named for RuleId {
    const WHAT: &'static str = "That rule";
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rules", get(list).post(create))
        .route("/api/v1/rules/dry-run", post(dry_run))
        .route("/api/v1/rules/{id}", put(update).delete(remove))
}

/// Whether `user` may read `rule`.
fn may_read(user: &AuthUser, rule: &RuleView) -> bool {
    match user.role {
        Role::Admin | Role::Compliance => true,
        Role::Supervisor => rule.team.is_none_or(|t| user.teams.contains(&t)),
        Role::Agent => false,
    }
}

/// Admins for any rule; a supervisor for a rule of their own team.
fn may_manage(user: &AuthUser, team: Option<TeamId>) -> AppResult<()> {
    match (user.role, team) {
        (Role::Admin, _) => Ok(()),
        (Role::Supervisor, Some(team)) if user.teams.contains(&team) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

fn may_list(user: &AuthUser) -> AppResult<()> {
    match user.role {
        Role::Agent => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// Those who may write some rule: admins and supervisors.
fn may_write(user: &AuthUser) -> AppResult<()> {
    match user.role {
        Role::Admin | Role::Supervisor => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

async fn list(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Vec<RuleView>>> {
    may_list(&user)?;
    let rules = state.store.rules().await?;
    Ok(Json(
        rules.into_iter().filter(|r| may_read(&user, r)).collect(),
    ))
}

/// The rule's input, cleaned, or the first thing wrong with it by field.
async fn checked(state: &AppState, mut input: RuleInput) -> AppResult<RuleInput> {
    let bad = |field: &str, why: &str| AppError::validation(field, why.to_owned());
    input.name = input.name.trim().to_owned();
    if input.name.is_empty() || input.name.chars().count() > MAX_NAME_CHARS {
        return Err(bad(
            "name",
            "Give the rule a name of at most 80 characters.",
        ));
    }
    let teams = state.store.list_teams().await?;
    let team_exists = |team: &TeamId| teams.iter().any(|t| t.id == *team);
    if input.team.as_ref().is_some_and(|t| !team_exists(t)) {
        return Err(bad("team", "That team does not exist."));
    }
    if let Some(minutes) = input.trigger.delay_minutes() {
        if !(1..=MAX_DELAY_MINUTES).contains(&minutes) {
            return Err(bad(
                "trigger",
                "Wait between 1 minute and 7 days (10,080 minutes).",
            ));
        }
    }
    let conditions = &mut input.conditions;
    if conditions
        .channels
        .iter()
        .any(|c| !CHANNEL_KINDS.contains(&c.as_str()))
    {
        return Err(bad("conditions", "A channel is wechat_oa or wecom_kf."));
    }
    conditions.keywords = conditions
        .keywords
        .iter()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    if conditions.keywords.len() > MAX_KEYWORDS
        || conditions
            .keywords
            .iter()
            .any(|k| k.chars().count() > MAX_KEYWORD_CHARS)
    {
        return Err(bad(
            "conditions",
            "Give at most 50 keywords of at most 50 characters each.",
        ));
    }
    conditions.tags = conditions
        .tags
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if conditions.tags.len() > MAX_TAGS {
        return Err(bad("conditions", "Give at most 20 tags."));
    }
    if input.actions.is_empty() || input.actions.len() > MAX_ACTIONS {
        return Err(bad("actions", "Give the rule between 1 and 10 actions."));
    }
    let users = state.store.list_users().await?;
    // The team the conversation is in when each action runs: the rule's,
    // until a transfer moves it.
    let mut in_team_now = input.team;
    for action in &mut input.actions {
        match action {
            RuleAction::AutoReply { text_zh, text_en } => {
                for text in [&mut *text_zh, &mut *text_en] {
                    *text = text
                        .as_deref()
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned);
                }
                if text_zh.is_none() && text_en.is_none() {
                    return Err(bad(
                        "actions",
                        "Write the reply in Chinese, English or both.",
                    ));
                }
                // Both languages go out together when the client's cannot be told.
                let both = text_zh.as_ref().map_or(0, String::len)
                    + text_en.as_ref().map_or(0, String::len);
                if both > MAX_REPLY_BYTES {
                    return Err(bad(
                        "actions",
                        "The Chinese and English replies together are at most 2,000 bytes (WeChat allows 2,048).",
                    ));
                }
            }
            RuleAction::Assign { user } => {
                let Some(person) = users
                    .iter()
                    .find(|u| u.id == *user && u.active && u.role != Role::Compliance)
                else {
                    return Err(bad(
                        "actions",
                        "Assign to an active agent, supervisor or admin.",
                    ));
                };
                // A team's rule gives its conversations to one of the team
                // (the one it was transferred to, after a transfer) or an
                // admin, who sees every team: never to someone who could
                // not open them.
                let in_team = |team: TeamId| person.teams.iter().any(|t| t.id == team);
                if let Some(team) = in_team_now {
                    if person.role != Role::Admin && !in_team(team) {
                        return Err(AppError::validation(
                            "actions",
                            format!(
                                "{} is not in the team the conversation is in by then: assign to one of its members.",
                                person.name
                            ),
                        ));
                    }
                }
            }
            RuleAction::Transfer { team } => {
                if !team_exists(team) {
                    return Err(bad("actions", "The team to transfer to does not exist."));
                }
                if input.team == Some(*team) {
                    return Err(bad(
                        "actions",
                        "Transfer to another team than the rule's own.",
                    ));
                }
                in_team_now = Some(*team);
            }
            RuleAction::Label { label } => {
                *label = label.trim().to_owned();
                if label.is_empty() || label.chars().count() > 32 {
                    return Err(bad("actions", "A label has 1 to 32 characters."));
                }
            }
            RuleAction::AutoAssign { method } => {
                if *method == shared::assignment::Assignment::Manual {
                    return Err(bad(
                        "actions",
                        "Auto-assign round-robin or least-loaded (by hand is what happens without the rule).",
                    ));
                }
            }
            RuleAction::Note { text } | RuleAction::Notify { text } => {
                *text = text.trim().to_owned();
                if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
                    return Err(bad("actions", "A note has 1 to 4,000 characters."));
                }
            }
            RuleAction::Snooze { minutes } => {
                if !(1..=MAX_SNOOZE_MINUTES).contains(minutes) {
                    return Err(bad("actions", "Snooze for 1 minute to 30 days."));
                }
            }
            RuleAction::Priority { .. } | RuleAction::Resolve => {}
        }
    }
    if matches!(input.trigger, Trigger::Resolved)
        && input
            .actions
            .iter()
            .any(|a| matches!(a, RuleAction::Resolve))
    {
        return Err(bad("actions", "A rule on resolve cannot resolve again."));
    }
    Ok(input)
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<RuleInput>,
) -> AppResult<(StatusCode, Json<RuleView>)> {
    may_manage(&user, input.team)?;
    let input = checked(&state, input).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let position = match input.position {
        Some(p) => p,
        None => store::next_rule_position(&mut tx).await?,
    };
    let id = store::save_rule(
        &mut tx,
        now,
        user.id,
        None,
        &RuleRecord {
            input: &input,
            position,
        },
    )
    .await?
    .ok_or_else(|| anyhow::anyhow!("a new rule was not saved"))?;
    let view = logged(&state, tx, now, &user, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Records `rule.saved`, commits, and reads the rule back as saved.
async fn logged(
    state: &AppState,
    mut tx: crate::store::Tx,
    now: i64,
    user: &AuthUser,
    id: &str,
    input: &RuleInput,
) -> AppResult<RuleView> {
    let payload = json!({ "rule": id, "name": input.name, "input": input });
    store::log_rule(&mut tx, now, user.id, "rule.saved", payload).await?;
    state.store.commit(tx).await?;
    state
        .store
        .rule(id)
        .await?
        .ok_or(AppError::NotFound("That rule"))
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(RuleId(id)): IdPath<RuleId>,
    ApiJson(input): ApiJson<RuleInput>,
) -> AppResult<Json<RuleView>> {
    may_write(&user)?;
    let current = state
        .store
        .rule(&id)
        .await?
        .filter(|r| may_read(&user, r))
        .ok_or(AppError::NotFound("That rule"))?;
    may_manage(&user, current.team)?;
    may_manage(&user, input.team)?;
    let input = checked(&state, input).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let record = RuleRecord {
        input: &input,
        position: input.position.unwrap_or(current.position),
    };
    store::save_rule(&mut tx, now, user.id, Some(&id), &record)
        .await?
        .ok_or(AppError::NotFound("That rule"))?;
    Ok(Json(logged(&state, tx, now, &user, &id, &input).await?))
}

async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(RuleId(id)): IdPath<RuleId>,
) -> AppResult<StatusCode> {
    may_write(&user)?;
    let current = state
        .store
        .rule(&id)
        .await?
        .filter(|r| may_read(&user, r))
        .ok_or(AppError::NotFound("That rule"))?;
    may_manage(&user, current.team)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !store::delete_rule(&mut tx, &id).await? {
        return Err(AppError::NotFound("That rule"));
    }
    let payload = json!({ "rule": id, "name": current.name });
    store::log_rule(&mut tx, now, user.id, "rule.deleted", payload).await?;
    state.store.commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a rule as written (saved or not) would have done in the last 7
/// days, for those who may write it.
async fn dry_run(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<RuleInput>,
) -> AppResult<Json<DryRun>> {
    may_manage(&user, input.team)?;
    let input = checked(&state, input).await?;
    let rule = RuleView {
        id: "dry-run".into(),
        name: input.name,
        enabled: true,
        team: input.team,
        trigger: input.trigger,
        conditions: input.conditions,
        actions: input.actions,
        stop: input.stop,
        position: 0,
        updated_at: state.clock.now(),
        updated_by: None,
    };
    let automator = Automator::new(state.store.clone(), state.clock.clone());
    Ok(Json(automator.dry_run(&rule).await?))
}
