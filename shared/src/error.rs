//! The one JSON error body every endpoint returns: a stable machine `code`, a
//! sentence for people and, for validation errors, the offending field.

use serde::{Deserialize, Serialize};

/// Stable error codes. Clients branch on these, so they never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Validation,
    Unauthenticated,
    InvalidCredentials,
    AccountDisabled,
    TokenExpired,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    /// Another agent holds the conversation's reply lock.
    ReplyLocked,
    /// Another agent replied to this client seconds ago; resend with `confirm_recent`.
    RecentReply,
    TooManyRequests,
    /// The account must choose a new password before anything else.
    PasswordChangeRequired,
    PayloadTooLarge,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Validation => "validation",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::ReplyLocked => "reply_locked",
            ErrorCode::RecentReply => "recent_reply",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// A sentence a person can read.
    pub message: String,
    /// For validation errors: the request field that is wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For some conflicts: which one, as a stable key (`email_taken`,
    /// `app_id_taken`, `last_admin`, …), so a client can word it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
            field: None,
            reason: None,
        }
    }
}
