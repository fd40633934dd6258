//! `POST /api/v1/csp-reports`: browsers report what the Content-Security-
//! Policy blocked (`report-uri`), so an injected script or a broken page is
//! noticed. Anyone can post here, so reports stay out of the event log:
//! they are counted in `csp_reports` (distinct ones, the newest 1,000), at
//! most [`PER_MINUTE`] writes a minute per node, and logged as a warning.

use crate::error::AppResult;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};

/// Reports recorded per minute per node.
pub const PER_MINUTE: i64 = 30;
const MAX_FIELD_CHARS: usize = 200;

/// The minute being counted and how many were recorded in it, packed as
/// `minute * 1000 + count`.
static RECORDED: AtomicI64 = AtomicI64::new(0);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/csp-reports", post(report))
}

/// Whether one more report fits in this minute.
fn admit(now: i64) -> bool {
    let minute = now / 60_000;
    RECORDED
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |packed| {
            let (at, count) = (packed / 1000, packed % 1000);
            match (at == minute, count < PER_MINUTE) {
                (false, _) => Some(minute * 1000 + 1),
                (true, true) => Some(packed + 1),
                (true, false) => None,
            }
        })
        .is_ok()
}

fn field(report: &Value, names: &[&str]) -> String {
    names
        .iter()
        .find_map(|name| report.get(*name).and_then(Value::as_str))
        .unwrap_or_default()
        .chars()
        .take(MAX_FIELD_CHARS)
        .collect()
}

/// Always 204: a report says nothing back to the page that sent it.
async fn report(State(state): State<AppState>, body: Bytes) -> AppResult<StatusCode> {
    let Ok(parsed) = serde_json::from_slice::<Value>(&body) else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let report = parsed.get("csp-report").unwrap_or(&parsed);
    let now = state.clock.now();
    if !admit(now) {
        return Ok(StatusCode::NO_CONTENT);
    }
    let directive = field(report, &["effective-directive", "violated-directive"]);
    let blocked = field(report, &["blocked-uri"]);
    let document = field(report, &["document-uri"]);
    let source = field(report, &["source-file"]);
    tracing::warn!(%directive, %blocked, %document, "the browser blocked something the CSP forbids");
    state
        .store
        .record_csp_report(now, &directive, &blocked, &document, &source)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_capped_per_minute() {
        let minute = 7 * 60_000;
        let admitted = (0..PER_MINUTE + 10).filter(|_| admit(minute)).count();
        assert_eq!(admitted as i64, PER_MINUTE);
        assert!(admit(minute + 60_000), "a new minute");
    }
}
