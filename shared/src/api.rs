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

/// How an Official Account encrypts its callbacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackMode {
    Plain,
    Compatible,
    Safe,
}

/// A connected channel as the API shows it: never any secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: String,
    /// `wechat_oa` for an Official Account.
    pub kind: String,
    pub name: String,
    pub app_id: String,
    pub mode: CallbackMode,
    pub api_base: String,
    /// Where WeChat must send callbacks, e.g. `/wechat/oa/{id}`.
    pub callback_path: String,
    pub team: Option<TeamId>,
    pub active: bool,
    pub created_at: i64,
}

/// Connects an Official Account. The secrets are stored encrypted and never returned.
#[derive(Clone, Serialize, Deserialize)]
pub struct CreateOfficialAccount {
    pub name: String,
    pub app_id: String,
    pub app_secret: String,
    pub token: String,
    /// The 43-character EncodingAESKey; may be empty in plain mode.
    #[serde(default)]
    pub encoding_aes_key: String,
    pub mode: CallbackMode,
    /// WeChat's API base URL; defaults to `https://api.weixin.qq.com`.
    #[serde(default)]
    pub api_base: Option<String>,
    #[serde(default)]
    pub team: Option<TeamId>,
}

impl std::fmt::Debug for CreateOfficialAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateOfficialAccount")
            .field("name", &self.name)
            .field("app_id", &self.app_id)
            .field("mode", &self.mode)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// One row of the conversation list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub channel_id: String,
    pub channel_name: String,
    pub contact_id: String,
    /// The contact's name when known, else `None` (show the openid's tail).
    pub contact_name: Option<String>,
    pub open_id: String,
    pub team: Option<TeamId>,
    /// `open`, `pending`, `snoozed` or `resolved`.
    pub status: String,
    pub last_message_at: i64,
    /// Text of the newest message, or its kind (`image`, `voice`, …).
    pub preview: Option<String>,
    /// Since when the client has waited for an answer, if they are waiting.
    pub waiting_since: Option<i64>,
}

/// One message in a conversation's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: String,
    pub conversation_id: String,
    /// `in` from the client, `out` from an agent.
    pub direction: String,
    /// `text`, `image`, `voice`, `location`, `link`, `event`, …
    pub kind: String,
    pub body: Option<String>,
    /// Outbound only: `queued`, `sending`, `sent`, `failed` or `unknown`.
    pub status: Option<String>,
    /// Why a send failed or is unknown, as a sentence.
    pub error: Option<String>,
    pub author: Option<UserId>,
    pub created_at: i64,
    /// Images, voice and video: the copy Harbour keeps.
    #[serde(default)]
    pub media: Option<MediaView>,
}

/// A message's media as Harbour holds it. The file is served at
/// `/api/v1/messages/{id}/media` to people who may see the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaView {
    /// `pending` (still being downloaded from WeChat), `stored` or `failed`.
    pub state: String,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    /// Why it could not be kept, as a sentence.
    pub error: Option<String>,
}

/// WeChat's customer-service reply window for a conversation's contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyWindow {
    pub open: bool,
    pub closes_at: Option<i64>,
    pub replies_left: i64,
    pub replies_per_window: i64,
    /// Why a reply cannot go out now, as a sentence; `None` when it can.
    pub refusal: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReplyRequest {
    pub text: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueuedReply {
    pub message: String,
    pub status: String,
}
