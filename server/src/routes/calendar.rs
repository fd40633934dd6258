//! The calendar over HTTP (issue 14 §1): a team's business hours and dated
//! exceptions, Hong Kong's general holidays, closures, and whether a team
//! is open now. Everyone signed in may read them (the composer and the
//! floor show them); a team's hours and exceptions are set by admins and
//! that team's supervisors; holidays by admins; closures by admins for any
//! teams and by supervisors for their own. Every change is an event.

use super::{ApiJson, IdPath};
use crate::auth::AuthUser;
use crate::calendar::{format_date, parse_date, ClosedBecause, Holiday, Status, Window};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::calendar as store;
use crate::store::events::{append, NewEvent};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;
use shared::api::{
    ClosureView, HolidayImport, HolidayView, HoursException, NewClosure, TeamHours, TeamStatus,
};
use shared::{Role, TeamId};

/// Windows a day at most: split shifts and a lunch break need a handful.
const MAX_WINDOWS: usize = 8;
/// The longest closure reply, in bytes (WeChat's text limit is 2,048).
const MAX_REPLY_BYTES: usize = 2_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams/{id}/hours", get(hours).put(set_hours))
        .route(
            "/api/v1/teams/{id}/exceptions/{date}",
            put(set_exception).delete(remove_exception),
        )
        .route("/api/v1/teams/{id}/status", get(status))
        .route("/api/v1/holidays", get(holidays).post(add_holiday))
        .route("/api/v1/holidays.ics", get(holidays_ics))
        .route("/api/v1/holidays/import", post(import_holidays))
        .route(
            "/api/v1/holidays/{date}",
            axum::routing::delete(remove_holiday),
        )
        .route("/api/v1/closures", get(closures).post(start_closure))
        .route("/api/v1/closures/{id}/end", post(end_closure))
}

/// The team, if it exists.
async fn team_exists(state: &AppState, team: TeamId) -> AppResult<()> {
    state
        .store
        .list_teams()
        .await?
        .iter()
        .any(|t| t.id == team)
        .then_some(())
        .ok_or(AppError::NotFound("That team"))
}

/// Admins, or a supervisor of every one of `teams`.
fn may_manage(user: &AuthUser, teams: &[TeamId]) -> AppResult<()> {
    match user.role {
        Role::Admin => Ok(()),
        Role::Supervisor if teams.iter().all(|t| user.teams.contains(t)) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// Windows written as "HH:MM–HH:MM", checked: each a time of day, at most
/// [`MAX_WINDOWS`] a day, none overlapping another.
fn windows(field: &str, texts: &[String]) -> AppResult<Vec<Window>> {
    let bad = |why: &str| AppError::validation(field, why.to_owned());
    if texts.len() > MAX_WINDOWS {
        return Err(bad("A day takes at most 8 windows."));
    }
    let mut parsed: Vec<Window> = texts
        .iter()
        .map(|t| {
            Window::parse(t).ok_or_else(|| {
                bad("Write each window as HH:MM–HH:MM in 24-hour time, e.g. 09:00–13:00.")
            })
        })
        .collect::<AppResult<_>>()?;
    parsed.sort_by_key(|w| w.start);
    let spans: Vec<(u32, u32)> = parsed
        .iter()
        .map(|w| {
            let start = u32::from(w.start);
            let end = if w.end > w.start {
                u32::from(w.end)
            } else {
                u32::from(w.end) + 1440
            };
            (start, end)
        })
        .collect();
    if spans.windows(2).any(|pair| pair[1].0 < pair[0].1) {
        return Err(bad("Two windows of one day overlap."));
    }
    Ok(parsed)
}

fn date_of(text: &str) -> AppResult<time::Date> {
    parse_date(text).ok_or_else(|| AppError::validation("date", "Write the date as YYYY-MM-DD."))
}

async fn hours(
    State(state): State<AppState>,
    _user: AuthUser,
    IdPath(team): IdPath<TeamId>,
) -> AppResult<Json<TeamHours>> {
    team_exists(&state, team).await?;
    Ok(Json(state.store.team_hours(team).await?))
}

async fn set_hours(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(team): IdPath<TeamId>,
    ApiJson(input): ApiJson<TeamHours>,
) -> AppResult<Json<TeamHours>> {
    may_manage(&user, &[team])?;
    team_exists(&state, team).await?;
    if input.weekly.len() != 7 {
        return Err(AppError::validation(
            "weekly",
            "Give seven days of windows, Monday first.",
        ));
    }
    let weekly = input
        .weekly
        .iter()
        .map(|day| windows("weekly", day))
        .collect::<AppResult<Vec<_>>>()?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    store::set_team_hours(&mut tx, team, &weekly).await?;
    let shown: Vec<Vec<String>> = weekly
        .iter()
        .map(|day| day.iter().map(Window::to_string).collect())
        .collect();
    let event = NewEvent::new(
        "team.hours_changed",
        Some(user.id),
        json!({ "team": team, "weekly": shown }),
    )
    .in_team(Some(team));
    append(&mut tx, now, &[event]).await?;
    state.store.commit(tx).await?;
    Ok(Json(state.store.team_hours(team).await?))
}

async fn set_exception(
    State(state): State<AppState>,
    user: AuthUser,
    Path((team, date)): Path<(String, String)>,
    ApiJson(input): ApiJson<HoursException>,
) -> AppResult<Json<TeamHours>> {
    let team: TeamId = team.parse().map_err(|_| AppError::NotFound("That team"))?;
    may_manage(&user, &[team])?;
    team_exists(&state, team).await?;
    let date = format_date(date_of(&date)?);
    let checked = windows("windows", &input.windows)?;
    if !input.closed && checked.is_empty() {
        return Err(AppError::validation(
            "windows",
            "Say the day is closed, or give its windows.",
        ));
    }
    let shown: Vec<String> = checked.iter().map(Window::to_string).collect();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let rule = if input.closed {
        (true, &[][..])
    } else {
        (false, shown.as_slice())
    };
    store::set_exception(&mut tx, team, &date, Some(rule)).await?;
    let event = NewEvent::new(
        "team.exception_set",
        Some(user.id),
        json!({ "team": team, "date": date, "closed": input.closed, "windows": rule.1 }),
    )
    .in_team(Some(team));
    append(&mut tx, now, &[event]).await?;
    state.store.commit(tx).await?;
    Ok(Json(state.store.team_hours(team).await?))
}

async fn remove_exception(
    State(state): State<AppState>,
    user: AuthUser,
    Path((team, date)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let team: TeamId = team.parse().map_err(|_| AppError::NotFound("That team"))?;
    may_manage(&user, &[team])?;
    team_exists(&state, team).await?;
    let date = format_date(date_of(&date)?);
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !store::set_exception(&mut tx, team, &date, None).await? {
        return Err(AppError::NotFound("That exception"));
    }
    let event = NewEvent::new(
        "team.exception_removed",
        Some(user.id),
        json!({ "team": team, "date": date }),
    )
    .in_team(Some(team));
    append(&mut tx, now, &[event]).await?;
    state.store.commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn status(
    State(state): State<AppState>,
    _user: AuthUser,
    IdPath(team): IdPath<TeamId>,
) -> AppResult<Json<TeamStatus>> {
    team_exists(&state, team).await?;
    let now = state.clock.now();
    let (calendar, team_closures) = state.store.team_calendar(team, now).await?;
    Ok(Json(match calendar.status(now) {
        Status::Open { until } => TeamStatus {
            open: true,
            until,
            opens_at: None,
            because: None,
            holiday: None,
            closure: None,
        },
        Status::Closed { because, opens_at } => {
            let (word, holiday, closure) = match because {
                ClosedBecause::OutOfHours => ("out_of_hours", None, None),
                ClosedBecause::Holiday(name) => ("holiday", Some(name), None),
                ClosedBecause::Exception => ("exception", None, None),
                ClosedBecause::Closure(_) => (
                    "closure",
                    None,
                    team_closures.into_iter().find(|c| c.starts_at <= now),
                ),
            };
            TeamStatus {
                open: false,
                until: None,
                opens_at,
                because: Some(word.to_owned()),
                holiday,
                closure,
            }
        }
    }))
}

async fn holidays(
    State(state): State<AppState>,
    _user: AuthUser,
) -> AppResult<Json<Vec<HolidayView>>> {
    Ok(Json(state.store.holidays().await?))
}

/// The holidays as an iCalendar file (RFC 5545).
async fn holidays_ics(
    State(state): State<AppState>,
    _user: AuthUser,
) -> AppResult<impl IntoResponse> {
    let text = crate::ical::export(&state.store.holidays().await?);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"hong-kong-holidays.ics\"",
            ),
        ],
        text,
    ))
}

/// Adds the all-day events of an iCalendar file (the request body) as
/// holidays; dates that are holidays already keep their names.
async fn import_holidays(
    State(state): State<AppState>,
    user: AuthUser,
    body: axum::body::Bytes,
) -> AppResult<Json<HolidayImport>> {
    user.require_admin()?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::validation("calendar", "Send the calendar as UTF-8 text."))?;
    let (holidays, refused) = crate::ical::import(text)
        .map_err(|_| AppError::validation("calendar", "That is not an iCalendar (.ics) file."))?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let mut added = Vec::new();
    for holiday in &holidays {
        if store::insert_holiday(&mut tx, holiday).await? {
            added.push(crate::ical::view(holiday));
        }
    }
    if !added.is_empty() {
        let event = NewEvent::new(
            "holiday.imported",
            Some(user.id),
            json!({ "added": added, "refused": refused.len() }),
        );
        append(&mut tx, now, &[event]).await?;
    }
    state.store.commit(tx).await?;
    Ok(Json(HolidayImport {
        unchanged: holidays.len() - added.len(),
        added,
        refused,
    }))
}

async fn add_holiday(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<HolidayView>,
) -> AppResult<(StatusCode, Json<HolidayView>)> {
    user.require_admin()?;
    let date = date_of(&input.date)?;
    let (name, name_zh) = (input.name.trim(), input.name_zh.trim());
    for (field, text) in [("name", name), ("name_zh", name_zh)] {
        if text.is_empty() || text.chars().count() > 120 {
            return Err(AppError::validation(
                field,
                "Name the holiday (at most 120 characters).",
            ));
        }
    }
    let holiday = Holiday {
        date,
        name: name.to_owned(),
        name_zh: name_zh.to_owned(),
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !store::insert_holiday(&mut tx, &holiday).await? {
        return Err(AppError::conflict_because(
            "holiday_exists",
            "That date is a holiday already.",
        ));
    }
    let view = crate::ical::view(&holiday);
    let event = NewEvent::new(
        "holiday.added",
        Some(user.id),
        json!({ "date": view.date, "name": view.name, "name_zh": view.name_zh }),
    );
    append(&mut tx, now, &[event]).await?;
    state.store.commit(tx).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn remove_holiday(
    State(state): State<AppState>,
    user: AuthUser,
    Path(date): Path<String>,
) -> AppResult<StatusCode> {
    user.require_admin()?;
    let date = format_date(date_of(&date)?);
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !store::delete_holiday(&mut tx, &date).await? {
        return Err(AppError::NotFound("That holiday"));
    }
    let event = NewEvent::new("holiday.removed", Some(user.id), json!({ "date": date }));
    append(&mut tx, now, &[event]).await?;
    state.store.commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn closures(
    State(state): State<AppState>,
    _user: AuthUser,
) -> AppResult<Json<Vec<ClosureView>>> {
    Ok(Json(state.store.closures(state.clock.now()).await?))
}

async fn start_closure(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<NewClosure>,
) -> AppResult<(StatusCode, Json<ClosureView>)> {
    match (&input.teams, user.role) {
        (_, Role::Admin) => {}
        (Some(teams), Role::Supervisor) => may_manage(&user, teams)?,
        _ => return Err(AppError::Forbidden),
    }
    let text = input
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match (input.reason.as_str(), text) {
        ("typhoon" | "black_rainstorm", _) | ("other", Some(_)) => {}
        ("other", None) => return Err(AppError::validation("text", "Say why the desk closes.")),
        _ => {
            return Err(AppError::validation(
                "reason",
                "Choose typhoon, black_rainstorm or other.",
            ))
        }
    }
    if let Some(teams) = &input.teams {
        if teams.is_empty() {
            return Err(AppError::validation(
                "teams",
                "Name at least one team, or leave teams out for all.",
            ));
        }
        for team in teams {
            team_exists(&state, *team).await?;
        }
    }
    let now = state.clock.now();
    if input.ends_at.is_some_and(|end| end <= now) {
        return Err(AppError::validation(
            "ends_at",
            "End the closure in the future.",
        ));
    }
    let reply = |field: &str, text: &Option<String>| -> AppResult<Option<String>> {
        let text = text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.len() > MAX_REPLY_BYTES) {
            return Err(AppError::validation(
                field,
                "Keep the reply under 2,000 bytes (WeChat takes 2,048); shorten it.",
            ));
        }
        Ok(text.map(str::to_owned))
    };
    let closure = ClosureView {
        id: uuid::Uuid::new_v4().to_string(),
        reason: input.reason.clone(),
        text: text.map(str::to_owned),
        teams: input.teams.clone(),
        reply_en: reply("reply_en", &input.reply_en)?,
        reply_zh: reply("reply_zh", &input.reply_zh)?,
        starts_at: now,
        ends_at: input.ends_at,
    };
    let mut tx = state.store.begin().await?;
    store::insert_closure(&mut tx, &closure, user.id, now).await?;
    if let Some(ends_at) = closure.ends_at {
        crate::store::jobs::enqueue(
            &mut tx,
            now,
            &store::closure_end_job(&closure.id, ends_at, now),
        )
        .await?;
    }
    let event = NewEvent::new(
        "closure.started",
        Some(user.id),
        serde_json::to_value(&closure).map_err(AppError::internal)?,
    );
    append(&mut tx, now, &[event]).await?;
    state.store.commit(tx).await?;
    tracing::info!(reason = %closure.reason, "a closure started");
    Ok((StatusCode::CREATED, Json(closure)))
}

async fn end_closure(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<ClosureView>> {
    user.require(&[Role::Admin, Role::Supervisor])?;
    let closure = state
        .store
        .closure(&id)
        .await?
        .ok_or(AppError::NotFound("That closure"))?;
    match (&closure.teams, user.role) {
        (_, Role::Admin) => {}
        (Some(teams), Role::Supervisor) => may_manage(&user, teams)?,
        _ => return Err(AppError::Forbidden),
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !store::end_closure(&mut tx, &id, now).await? {
        return Err(AppError::conflict_because(
            "closure_ended",
            "That closure has ended already.",
        ));
    }
    let event = NewEvent::new(
        "closure.ended",
        Some(user.id),
        json!({ "closure": id, "ended_at": now }),
    );
    append(&mut tx, now, &[event]).await?;
    state.store.commit(tx).await?;
    Ok(Json(ClosureView {
        ends_at: Some(now),
        ..closure
    }))
}
