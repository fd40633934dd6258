//! The HTTP surface: one module per resource, assembled here with the
//! layers every request passes (request id, tracing, metrics, body limit)
//! and the static app with its SPA fallback.

mod agents;
mod auth;
mod calendar;
mod canned;
mod channels;
mod contacts;
mod conversations;
mod csp_report;
mod events;
mod exports;
mod health;
mod live;
mod rules;
mod search;
pub mod security;
mod sla;
mod spa;
mod teams;
mod users;
mod wechat_callback;
mod wecom_callback;

pub use auth::{REFRESH_COOKIE, THROTTLE_WINDOW_MS};
pub use health::metrics_router;

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::Router;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// JSON body extractor whose rejections use the JSON error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(err) => AppError::BadRequest(format!(
                "The request body has the wrong shape: {}",
                err.body_text()
            )),
            JsonRejection::JsonSyntaxError(_) => {
                AppError::BadRequest("The request body is not valid JSON.".into())
            }
            JsonRejection::MissingJsonContentType(_) => {
                AppError::BadRequest("Send the body as application/json.".into())
            }
            JsonRejection::BytesRejection(_) => AppError::PayloadTooLarge,
            _ => AppError::BadRequest("The request body could not be read.".into()),
        }
    }
}

/// A path's `{id}` as a typed id. An id that does not parse names nothing,
/// so it gets the same 404 as an id that is not there.
pub struct IdPath<T>(pub T);

/// What an id names, for its 404 sentence ("That conversation was not found.").
pub trait Named {
    const WHAT: &'static str;
}

macro_rules! named {
    ($($id:ty => $what:literal),+ $(,)?) => {
        $(impl Named for $id {
            const WHAT: &'static str = $what;
        })+
    };
}

named!(
    shared::ConversationId => "That conversation",
    shared::MessageId => "That message",
    shared::ContactId => "That contact",
    shared::ChannelId => "That channel",
    shared::CannedResponseId => "That canned response",
    shared::UserId => "That user",
    shared::TeamId => "That team",
    shared::ExportId => "That export",
);

impl<T, S> axum::extract::FromRequestParts<S> for IdPath<T>
where
    T: std::str::FromStr + Named,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound(T::WHAT))?;
        raw.parse()
            .map(IdPath)
            .map_err(|_| AppError::NotFound(T::WHAT))
    }
}

/// A period (`from`/`to`, Unix ms, either open) whose start is not after its end.
pub(crate) fn check_period(from: Option<i64>, to: Option<i64>) -> Result<(), AppError> {
    match (from, to) {
        (Some(start), Some(end)) if start > end => Err(AppError::validation(
            "from",
            "The start of the period is after its end.",
        )),
        _ => Ok(()),
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The server's time (Unix ms) on every API response. The app takes its
/// "now" from it, so a browser whose clock is off (or a test that moved the
/// server's clock) still sees the right reply window, waiting times and
/// snoozes.
const SERVER_TIME: HeaderName = HeaderName::from_static(shared::SERVER_TIME_HEADER);

/// Adds [`SERVER_TIME`] to API responses, read after the handler ran.
async fn stamp_server_time(
    State(clock): State<crate::clock::Clock>,
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if is_api {
        response
            .headers_mut()
            .insert(SERVER_TIME, HeaderValue::from(clock.now()));
    }
    response
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(auth::router())
        .merge(users::router())
        .merge(channels::router())
        .merge(conversations::router())
        .merge(contacts::router())
        .merge(canned::router())
        .merge(search::router())
        .merge(wechat_callback::router())
        .merge(wecom_callback::router())
        .merge(teams::router())
        .merge(agents::router())
        .merge(calendar::router())
        .merge(rules::router())
        .merge(sla::router())
        .merge(events::router())
        .merge(exports::router())
        .merge(live::router())
        .merge(health::router())
        .merge(csp_report::router())
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route("/api", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed);
    let metrics = state.metrics.clone();
    let clock = state.clock.clone();
    let headers = Arc::new(security::SecurityHeaders::new(&state.config));
    api.fallback(spa::fallback)
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(axum::middleware::from_fn_with_state(clock, stamp_server_time))
        .layer(axum::middleware::from_fn_with_state(headers, security::add_headers))
        .layer(axum::middleware::from_fn_with_state(metrics, crate::metrics::track))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

async fn api_not_found() -> AppError {
    AppError::NotFound("That API endpoint")
}
