//! `AppError`: every failure an endpoint can return, mapped to the one JSON
//! error body from `shared`. 5xx bodies never carry internals.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("Sign in to continue.")]
    Unauthenticated,
    /// Refused sign-in a client can name: `reason` is a stable key
    /// (`portal_token_expired`, `portal_token_reused`, …).
    #[error("{message}")]
    UnauthenticatedBecause {
        reason: &'static str,
        message: String,
    },
    #[error("Your session has expired. Sign in again.")]
    TokenExpired,
    #[error("The email or password is not correct.")]
    InvalidCredentials,
    #[error("This account has been deactivated. Ask an administrator.")]
    AccountDisabled,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("{0} was not found.")]
    NotFound(&'static str),
    #[error("This endpoint does not accept that method.")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    /// A conflict a client can name: `reason` is a stable key.
    #[error("{message}")]
    ConflictBecause {
        reason: &'static str,
        message: String,
    },
    #[error("{0}")]
    ReplyLocked(String),
    #[error("{0}")]
    RecentReply(String),
    #[error("Choose a new password before you go on.")]
    PasswordChangeRequired,
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: i64 },
    #[error("The request body is too large.")]
    PayloadTooLarge,
    #[error("Harbour cannot reach its database right now. Try again shortly.")]
    Unavailable,
    #[error("Something went wrong on our side. It has been logged.")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn conflict_because(reason: &'static str, message: impl Into<String>) -> Self {
        AppError::ConflictBecause {
            reason,
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated
            | AppError::UnauthenticatedBecause { .. }
            | AppError::TokenExpired
            | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::AccountDisabled | AppError::Forbidden | AppError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_)
            | AppError::ConflictBecause { .. }
            | AppError::ReplyLocked(_)
            | AppError::RecentReply(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Validation { .. } => ErrorCode::Validation,
            AppError::BadRequest(_) => ErrorCode::BadRequest,
            AppError::Unauthenticated | AppError::UnauthenticatedBecause { .. } => {
                ErrorCode::Unauthenticated
            }
            AppError::TokenExpired => ErrorCode::TokenExpired,
            AppError::InvalidCredentials => ErrorCode::InvalidCredentials,
            AppError::AccountDisabled => ErrorCode::AccountDisabled,
            AppError::Forbidden => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            AppError::Conflict(_) | AppError::ConflictBecause { .. } => ErrorCode::Conflict,
            AppError::ReplyLocked(_) => ErrorCode::ReplyLocked,
            AppError::RecentReply(_) => ErrorCode::RecentReply,
            AppError::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            AppError::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            AppError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code(), self.to_string());
        match self {
            AppError::Validation { field, .. } => body.field = Some(field.clone()),
            AppError::ConflictBecause { reason, .. }
            | AppError::UnauthenticatedBecause { reason, .. } => {
                body.reason = Some((*reason).to_owned())
            }
            _ => {}
        }
        body
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::error!(error = %err, "database unavailable");
                AppError::Unavailable
            }
            _ => AppError::Internal(err.into()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        match err.downcast::<sqlx::Error>() {
            Ok(sqlx_err) => sqlx_err.into(),
            Err(other) => AppError::Internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(err) = &self {
            // The chain goes to the log only; the client gets a fixed sentence.
            tracing::error!(error = format!("{err:#}"), "internal error");
        }
        let status = self.status();
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let mut response = (status, Json(self.body())).into_response();
        if let Some(secs) = retry_after {
            if let Ok(value) = secs.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = AppError::internal(anyhow::anyhow!("password=hunter2 leaked"));
        let body = err.body();
        assert_eq!(body.code, ErrorCode::Internal);
        assert!(!body.message.contains("hunter2"));
    }

    #[test]
    fn validation_errors_name_the_field() {
        let body = AppError::validation("email", "Enter an email address.").body();
        assert_eq!(body.field.as_deref(), Some("email"));
        assert_eq!(body.code, ErrorCode::Validation);
    }
}
