//! Calls on the calendar: a team's business hours, dated exceptions and
//! whether it is open now; Hong Kong's holidays, with iCalendar import and
//! export.

use gloo_net::http::Method;
use serde_json::json;
use shared::api::{HolidayImport, HolidayView, HoursException, TeamHours, TeamStatus};
use shared::TeamId;

use super::client::{get_json, send_bytes, send_json, send_no_content, ApiError, TokenSource};

pub async fn hours(auth: impl TokenSource, team: TeamId) -> Result<TeamHours, ApiError> {
    get_json(auth, &format!("/teams/{team}/hours")).await
}

/// Replaces the team's week: seven days of "HH:MM–HH:MM" windows, Monday
/// first (an empty day is closed).
pub async fn set_hours(
    auth: impl TokenSource,
    team: TeamId,
    weekly: Vec<Vec<String>>,
) -> Result<TeamHours, ApiError> {
    let body = TeamHours {
        weekly,
        exceptions: Vec::new(),
    };
    send_json(auth, Method::PUT, &format!("/teams/{team}/hours"), &body).await
}

/// Sets the exception on `exception.date` (closed, or these windows).
pub async fn set_exception(
    auth: impl TokenSource,
    team: TeamId,
    exception: &HoursException,
) -> Result<TeamHours, ApiError> {
    let path = format!("/teams/{team}/exceptions/{}", exception.date);
    send_json(auth, Method::PUT, &path, exception).await
}

pub async fn remove_exception(
    auth: impl TokenSource,
    team: TeamId,
    date: &str,
) -> Result<(), ApiError> {
    let path = format!("/teams/{team}/exceptions/{date}");
    send_no_content(auth, Method::DELETE, &path, &json!({})).await
}

pub async fn status(auth: impl TokenSource, team: TeamId) -> Result<TeamStatus, ApiError> {
    get_json(auth, &format!("/teams/{team}/status")).await
}

pub async fn holidays(auth: impl TokenSource) -> Result<Vec<HolidayView>, ApiError> {
    get_json(auth, "/holidays").await
}

pub async fn add_holiday(
    auth: impl TokenSource,
    holiday: &HolidayView,
) -> Result<HolidayView, ApiError> {
    send_json(auth, Method::POST, "/holidays", holiday).await
}

pub async fn remove_holiday(auth: impl TokenSource, date: &str) -> Result<(), ApiError> {
    let path = format!("/holidays/{date}");
    send_no_content(auth, Method::DELETE, &path, &json!({})).await
}

/// Adds the all-day events of an `.ics` file's bytes as holidays.
pub async fn import_holidays(
    auth: impl TokenSource,
    file: &[u8],
) -> Result<HolidayImport, ApiError> {
    send_bytes(
        auth,
        Method::POST,
        "/holidays/import",
        "text/calendar",
        file,
    )
    .await
}

/// Downloads the holidays as `hong-kong-holidays.ics`.
pub async fn export_holidays(auth: impl TokenSource) -> Result<(), ApiError> {
    super::media::save_as(
        auth,
        "/holidays.ics",
        "text/calendar",
        "hong-kong-holidays.ics",
    )
    .await
}
