//! The HTTP plumbing every API call shares: JSON bodies, the bearer token,
//! one silent retry after a refresh when the token has expired, and turning
//! any failure into an [`ApiError`] a person can read.

use gloo_net::http::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::{ErrorBody, ErrorCode};
use web_sys::RequestCredentials;

/// Every endpoint lives under this prefix on the app's own origin.
pub const API_BASE: &str = "/api/v1";

/// Where signed-in requests get their bearer token. The session (in
/// `state::auth`) provides it, so the transport needs no app state.
pub trait TokenSource: Copy + 'static {
    /// The current access token, without tracking it in a reactive scope.
    fn current_token(&self) -> Option<String>;
    /// Buys a fresh access token once the server called the current one expired.
    fn renew_token(self) -> impl std::future::Future<Output = Result<String, ApiError>>;
    /// The server no longer accepts the session: forget it.
    fn session_rejected(self);
}

/// A failed call: the HTTP status (0 when the server was never reached) and
/// the server's error body, or one written here when the server sent none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub body: ErrorBody,
    /// Who wrote the body: what the screen shows depends on it.
    pub origin: Origin,
}

/// Where an [`ApiError`]'s body came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The server's answer (or one written here for its status): shown in
    /// the user's language from its code and field, never its English.
    Server,
    /// The server's answer could not be read.
    Unreadable,
    /// A complaint the app found before sending, already in the user's language.
    App,
}

impl ApiError {
    pub fn network() -> Self {
        ApiError {
            status: 0,
            body: ErrorBody::new(
                ErrorCode::Unavailable,
                "Harbour can't reach the server. Check your connection and try again.",
            ),
            origin: Origin::Server,
        }
    }

    /// A complaint found before anything was sent (in the user's language),
    /// shown like the server's.
    pub fn validation(message: impl Into<String>) -> Self {
        ApiError {
            status: 0,
            body: ErrorBody::new(ErrorCode::Validation, message),
            origin: Origin::App,
        }
    }

    pub fn unreadable(status: u16) -> Self {
        ApiError {
            status,
            body: ErrorBody::new(
                ErrorCode::Internal,
                "The server sent a reply Harbour could not read. Try again in a moment.",
            ),
            origin: Origin::Unreadable,
        }
    }

    /// The stable machine code: match on it to decide what to do.
    pub fn code(&self) -> ErrorCode {
        self.body.code
    }

    /// The code as the wire spells it, for `data-code` and error texts.
    pub fn code_str(&self) -> &'static str {
        self.body.code.as_str()
    }

    /// The sentence to show, in the user's language: made from the code and
    /// field (the server's English `message` is for integrators).
    pub fn message(&self) -> String {
        match self.origin {
            Origin::App => self.body.message.clone(),
            Origin::Unreadable => crate::language::unreadable_sentence(),
            Origin::Server => crate::language::error_sentence(
                self.body.code,
                self.field(),
                self.body.reason.as_deref(),
            ),
        }
    }

    /// The request field a validation error is about, if the server named one.
    pub fn field(&self) -> Option<&str> {
        self.body.field.as_deref()
    }

    pub fn is_token_expired(&self) -> bool {
        self.body.code == ErrorCode::TokenExpired
    }

    /// The session is gone for good: signing in again is the only way on.
    pub fn ends_session(&self) -> bool {
        self.status == 401
    }
}

/// The body we show when the server answered with an error but no readable
/// error body (a proxy page, an empty 502 and so on).
fn fallback_error(status: u16) -> ApiError {
    let (code, message) = match status {
        400 => (
            ErrorCode::BadRequest,
            "Harbour sent a request the server did not understand.",
        ),
        401 => (
            ErrorCode::Unauthenticated,
            "Your session has ended. Sign in again.",
        ),
        403 => (
            ErrorCode::Forbidden,
            "You don't have permission to do that.",
        ),
        404 => (ErrorCode::NotFound, "That item no longer exists."),
        409 => (
            ErrorCode::Conflict,
            "Someone changed this at the same time. Reload and try again.",
        ),
        413 => (ErrorCode::PayloadTooLarge, "That is too large to send."),
        422 => (
            ErrorCode::Validation,
            "Some details are not valid. Check the form and try again.",
        ),
        429 => (
            ErrorCode::TooManyRequests,
            "Too many attempts. Wait a minute and try again.",
        ),
        502..=504 => (
            ErrorCode::Unavailable,
            "The server is not available right now. Try again in a moment.",
        ),
        _ => (
            ErrorCode::Internal,
            "Something went wrong on the server. Try again in a moment.",
        ),
    };
    ApiError {
        status,
        body: ErrorBody::new(code, message),
        origin: Origin::Server,
    }
}

async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    match response.text().await {
        Ok(text) => match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ApiError {
                status,
                body,
                origin: Origin::Server,
            },
            Err(_) => fallback_error(status),
        },
        Err(_) => fallback_error(status),
    }
}

pub fn encode<B: Serialize>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|_| ApiError::unreadable(0))
}

pub async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    response
        .json::<T>()
        .await
        .map_err(|_| ApiError::unreadable(status))
}

/// What a request carries.
#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    Empty,
    Json(&'a str),
    /// Raw bytes of a given type, e.g. an image.
    Bytes {
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

impl<'a> Body<'a> {
    fn json(json: Option<&'a str>) -> Self {
        json.map_or(Body::Empty, Body::Json)
    }
}

/// Sends one request as is; a non-2xx answer becomes an [`ApiError`].
pub async fn send_once(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<Response, ApiError> {
    send_once_with(method, path, token, Body::json(body)).await
}

async fn send_once_with(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Body<'_>,
) -> Result<Response, ApiError> {
    let mut builder = RequestBuilder::new(&format!("{API_BASE}{path}"))
        .method(method)
        // The refresh cookie is HttpOnly and scoped to our origin.
        .credentials(RequestCredentials::SameOrigin)
        .header("Accept", "application/json");
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Body::Empty => builder.build(),
        Body::Json(json) => builder
            .header("Content-Type", "application/json")
            .body(json.to_owned()),
        Body::Bytes {
            content_type,
            bytes,
        } => builder
            .header("Content-Type", content_type)
            .body(js_sys::Uint8Array::from(bytes)),
    }
    .map_err(|_| ApiError::network())?;
    let response = request.send().await.map_err(|_| ApiError::network())?;
    if let Some(server_ms) = response
        .headers()
        .get(shared::SERVER_TIME_HEADER)
        .and_then(|value| value.parse::<i64>().ok())
    {
        crate::clock::learn_server_time(server_ms, crate::clock::Heard::Response);
    }
    if response.ok() {
        Ok(response)
    } else {
        Err(error_from(response).await)
    }
}

/// Sends a request as the signed-in person. An expired token is refreshed
/// once and the request retried; a session the server no longer accepts
/// signs the person out.
pub async fn send_authed(
    auth: impl TokenSource,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Response, ApiError> {
    send_authed_with(auth, method, path, Body::json(body.as_deref())).await
}

/// [`send_authed`] with any kind of body.
pub async fn send_authed_with(
    auth: impl TokenSource,
    method: Method,
    path: &str,
    body: Body<'_>,
) -> Result<Response, ApiError> {
    let token = auth.current_token();
    let first = send_once_with(method.clone(), path, token.as_deref(), body).await;
    let outcome = match first {
        Err(error) if error.is_token_expired() => {
            let token = auth.renew_token().await?;
            send_once_with(method, path, Some(&token), body).await
        }
        other => other,
    };
    if let Err(error) = &outcome {
        if error.ends_session() {
            auth.session_rejected();
        }
    }
    outcome
}

pub async fn get_json<T: DeserializeOwned>(
    auth: impl TokenSource,
    path: &str,
) -> Result<T, ApiError> {
    decode(send_authed(auth, Method::GET, path, None).await?).await
}

pub async fn send_json<B: Serialize, T: DeserializeOwned>(
    auth: impl TokenSource,
    method: Method,
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    let json = encode(body)?;
    decode(send_authed(auth, method, path, Some(json)).await?).await
}

/// For endpoints that answer 204 No Content.
pub async fn send_no_content<B: Serialize>(
    auth: impl TokenSource,
    method: Method,
    path: &str,
    body: &B,
) -> Result<(), ApiError> {
    let json = encode(body)?;
    send_authed(auth, method, path, Some(json))
        .await
        .map(|_| ())
}

/// Sends raw bytes of `content_type` (an image, say) and reads a JSON answer.
pub async fn send_bytes<T: DeserializeOwned>(
    auth: impl TokenSource,
    method: Method,
    path: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<T, ApiError> {
    let body = Body::Bytes {
        content_type,
        bytes,
    };
    decode(send_authed_with(auth, method, path, body).await?).await
}
