//! Request and response bodies of the REST API under `/api/v1`.

use crate::{Role, Seq, TeamId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Returned by login and refresh. The refresh token travels only as an
/// HttpOnly cookie, never in a body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: User,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub teams: Vec<TeamRef>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRef {
    pub id: TeamId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub member_count: i64,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    #[serde(default)]
    pub teams: Vec<TeamId>,
}

/// Partial update of a user; absent fields stay as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UpdateUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<TeamId>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResetPassword {
    pub password: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CreateTeam {
    pub name: String,
}

/// One entry of the append-only event log as clients see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: Seq,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Dotted event kind, e.g. `user.created`, `auth.login`.
    pub kind: String,
    pub actor: Option<UserId>,
    pub team: Option<TeamId>,
    pub payload: serde_json::Value,
}

/// Minimum password length for accounts.
pub const MIN_PASSWORD_LEN: usize = 12;
