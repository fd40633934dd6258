//! Request and response bodies of the REST API under `/api/v1`.

use crate::ids::{
    CannedResponseId, ChannelId, ContactId, ConversationId, ExportId, MessageId, Seq, TeamId,
    UserId,
};
use crate::{Language, Role};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Portal sign-in: the JWT the firm's portal signed for the person in
/// front of it, handed to the app in the iframe by `postMessage`.
#[derive(Clone, Serialize, Deserialize)]
pub struct PortalSignIn {
    pub token: String,
}

impl std::fmt::Debug for PortalSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PortalSignIn { token: [redacted] }")
    }
}

/// What the app in an iframe needs before it talks to the portal: whether
/// portal sign-in is on, and which origins may frame Harbour (the only ones
/// it exchanges messages with).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalSettings {
    pub enabled: bool,
    pub origins: Vec<String>,
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
    /// Someone else chose the password (the first admin's, printed at first
    /// start): the user must choose their own before anything else.
    #[serde(default)]
    pub must_change_password: bool,
    /// The language the user chose for the app; `None`: the browser's.
    #[serde(default)]
    pub language: Option<Language>,
    /// Conversations auto-assignment may give them at once.
    #[serde(default = "crate::assignment::default_capacity")]
    pub capacity: i64,
    #[serde(default)]
    pub availability: crate::assignment::Availability,
    /// The subject the firm's portal signs this user in as (linked at their
    /// first portal sign-in by email, or set by an admin); `None`: not linked.
    #[serde(default)]
    pub external_id: Option<String>,
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
    /// Sent when a client opens a WeCom Customer Service chat with an
    /// account of this team (unless the account has its own).
    #[serde(default)]
    pub welcome_text: Option<String>,
    /// Sent when a conversation of this team's WeCom account is resolved
    /// (unless the account has its own).
    #[serde(default)]
    pub closing_text: Option<String>,
    #[serde(default)]
    pub assignment: crate::assignment::Assignment,
}

/// `PUT /api/v1/teams/{id}/messages`: the team's WeCom welcome and closing
/// messages; `null` or blank removes one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMessages {
    #[serde(default)]
    pub welcome_text: Option<String>,
    #[serde(default)]
    pub closing_text: Option<String>,
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
    /// 1 to [`crate::assignment::MAX_CAPACITY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    /// The portal's subject for this user (see `User::external_id`): a
    /// string links them, `null` unlinks them, absent leaves it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub external_id: Option<Option<String>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResetPassword {
    pub password: String,
}

/// `PUT /api/v1/me/language`: the signed-in user picks the app's language,
/// or `null` to follow the browser's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetLanguage {
    /// Required, though it may be `null` (a missing field is an error, not
    /// a silent reset).
    #[serde(deserialize_with = "Option::deserialize")]
    pub language: Option<Language>,
}

/// `POST /api/v1/me/password`: the signed-in user chooses a new password.
#[derive(Clone, Serialize, Deserialize)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for ChangePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangePassword").finish_non_exhaustive()
    }
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

crate::closed_set::closed_set!(
    /// How an Official Account encrypts its callbacks.
    CallbackMode ("callback mode") {
        Plain => "plain",
        Compatible => "compatible",
        Safe => "safe",
    }
);

/// A connected channel as the API shows it: never any secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    /// `wechat_oa` for an Official Account, `wecom_kf` for a WeCom
    /// Customer Service estate.
    pub kind: String,
    pub name: String,
    pub app_id: String,
    pub mode: CallbackMode,
    pub api_base: String,
    /// Where WeChat must send callbacks: `/wechat/oa/{id}` or
    /// `/wechat/kf/{id}`.
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
    /// The callback Token, 16 to 32 letters or digits; empty: Harbour
    /// generates 32 and returns them once in [`ConnectedChannel`].
    #[serde(default)]
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

/// Connects a WeCom Customer Service estate (`POST
/// /api/v1/channels/wecom-kf`): the organisation's corpid and the secret of
/// the app allowed to call the Customer Service API. Its callbacks are
/// always encrypted. The secrets are stored encrypted and never returned.
#[derive(Clone, Serialize, Deserialize)]
pub struct CreateWecomKf {
    pub name: String,
    pub corp_id: String,
    pub corp_secret: String,
    /// The callback Token, 16 to 32 letters or digits; empty: Harbour
    /// generates 32 and returns them once in [`ConnectedChannel`].
    #[serde(default)]
    pub token: String,
    /// The 43-character EncodingAESKey from the WeCom console.
    pub encoding_aes_key: String,
    /// WeCom's API base URL; defaults to `https://qyapi.weixin.qq.com`.
    #[serde(default)]
    pub api_base: Option<String>,
    /// The team for accounts not mapped to one of their own.
    #[serde(default)]
    pub team: Option<TeamId>,
}

impl std::fmt::Debug for CreateWecomKf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateWecomKf")
            .field("name", &self.name)
            .field("corp_id", &self.corp_id)
            .field("api_base", &self.api_base)
            .field("team", &self.team)
            .finish_non_exhaustive()
    }
}

/// One Customer Service account (`open_kfid`) of a WeCom estate and the
/// team its conversations go to (`None`: the estate's team).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KfAccountView {
    pub open_kfid: String,
    pub name: String,
    pub team: Option<TeamId>,
    /// When its messages were last pulled.
    pub synced_at: Option<i64>,
    /// Sent once when a customer opens the chat (WeCom allows 20 s).
    #[serde(default)]
    pub welcome_text: Option<String>,
    /// Sent when a resolved conversation ends the WeCom session.
    #[serde(default)]
    pub closing_text: Option<String>,
}

/// `PUT /api/v1/channels/{id}/kf-accounts/{open_kfid}`: the team for an
/// account's new conversations and its automated messages (all replaced).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapKfAccount {
    pub team: Option<TeamId>,
    /// Replaces the welcome message; empty or absent: none.
    #[serde(default)]
    pub welcome_text: Option<String>,
    /// Replaces the closing message; empty or absent: none.
    #[serde(default)]
    pub closing_text: Option<String>,
}

/// The answer to connecting a channel: the channel, and the callback Token
/// when Harbour generated it (shown this once, never again).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedChannel {
    #[serde(flatten)]
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_token: Option<String>,
}

impl std::fmt::Debug for ConnectedChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectedChannel")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
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
    pub id: ConversationId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub contact_id: ContactId,
    /// The contact's name when known, else `None` (show the openid's tail).
    pub contact_name: Option<String>,
    pub open_id: String,
    pub team: Option<TeamId>,
    #[serde(default)]
    pub team_name: Option<String>,
    pub status: Status,
    /// Until when a snoozed conversation sleeps.
    #[serde(default)]
    pub snoozed_until: Option<i64>,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub assignee: Option<UserId>,
    #[serde(default)]
    pub assignee_name: Option<String>,
    pub last_message_at: i64,
    /// Text of the newest message, or its kind (`image`, `voice`, …).
    pub preview: Option<String>,
    /// Since when the client has waited for an answer, if they are waiting.
    pub waiting_since: Option<i64>,
    /// The client wrote since this user last read the conversation.
    #[serde(default)]
    pub unread: bool,
    /// The SLA clock that matters most, when a policy times it.
    #[serde(default)]
    pub sla: Option<crate::sla::SlaStatus>,
}

crate::closed_set::closed_set!(
    /// Where a conversation stands.
    Status ("conversation status") {
        Open => "open",
        /// Waiting on the client.
        Pending => "pending",
        /// Asleep until a time, then open again.
        Snoozed => "snoozed",
        Resolved => "resolved",
    }
);

crate::closed_set::closed_set!(
    /// How urgent a conversation is.
    Priority ("priority") {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

// Not derived: `closed_set!` fixes the derive list.
#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Priority::Normal
    }
}

/// Query string of `GET /api/v1/conversations`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationQuery {
    /// `mine`, `unassigned`, `team`, `all` or `mentions` (default `all`:
    /// everything the user may see).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Comma-separated statuses; default `open,pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
    /// `activity` (newest first, the default) or `waiting` (longest wait first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// At most this many (default 100, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// One page of a queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationPage {
    pub conversations: Vec<ConversationSummary>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// A change to a conversation: `POST /api/v1/conversations/{id}/actions`,
/// or for many at once `POST /api/v1/conversations/bulk`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ConversationAction {
    /// Take an unassigned conversation (or one assigned to oneself).
    Claim,
    Assign {
        user: UserId,
        #[serde(default)]
        note: Option<String>,
    },
    /// Hand over to a team, and optionally a person in it.
    Transfer {
        team: TeamId,
        #[serde(default)]
        user: Option<UserId>,
        #[serde(default)]
        note: Option<String>,
    },
    Unassign,
    Resolve,
    Reopen,
    /// Waiting on the client.
    Pending,
    Snooze {
        until: i64,
    },
    Priority {
        priority: String,
    },
    Labels {
        #[serde(default)]
        add: Vec<String>,
        #[serde(default)]
        remove: Vec<String>,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BulkAction {
    pub ids: Vec<String>,
    #[serde(flatten)]
    pub action: ConversationAction,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkFailure {
    pub id: String,
    pub error: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResult {
    pub done: Vec<ConversationId>,
    pub failed: Vec<BulkFailure>,
}

/// An internal note; never sent to WeChat. `mentions` are the users the
/// composer resolved from `@name`s in the text.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NoteRequest {
    pub text: String,
    #[serde(default)]
    pub mentions: Vec<UserId>,
}

/// Someone who may be assigned or mentioned in a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colleague {
    pub id: UserId,
    pub name: String,
    pub role: Role,
}

crate::closed_set::closed_set!(
    /// Which way a timeline entry goes.
    Direction ("message direction") {
        /// From the client.
        In => "in",
        /// From an agent to the client.
        Out => "out",
        /// An internal note; never sent.
        Note => "note",
        /// An assignment, status or other change, written by Harbour.
        Activity => "activity",
    }
);

crate::closed_set::closed_set!(
    /// Where an outbound message stands with WeChat.
    DeliveryState ("delivery state") {
        Queued => "queued",
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
        /// The send may or may not have reached WeChat; never retried blindly.
        Unknown => "unknown",
    }
);

crate::closed_set::closed_set!(
    /// Where Harbour's copy of a message's media stands.
    MediaState ("media state") {
        /// Still being downloaded from WeChat.
        Pending => "pending",
        Stored => "stored",
        Failed => "failed",
    }
);

/// One message in a conversation's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub direction: Direction,
    /// `text`, `image`, `voice`, `location`, `link`, `event`, …
    pub kind: String,
    pub body: Option<String>,
    /// Outbound only.
    pub status: Option<DeliveryState>,
    /// Why a send failed or is unknown, as a sentence.
    pub error: Option<String>,
    pub author: Option<UserId>,
    #[serde(default)]
    pub author_name: Option<String>,
    /// Order within the conversation; pass as `before` to page back.
    #[serde(default)]
    pub position: i64,
    pub created_at: i64,
    /// Images, voice and video: the copy Harbour keeps.
    #[serde(default)]
    pub media: Option<MediaView>,
    /// Activity entries: what changed (per `kind`: `assignee_name`,
    /// `team_name`, `priority`, `add`, `remove`, `note`, …), so the app
    /// words the line in the reader's language; `body` keeps an English
    /// sentence for integrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Value>,
    /// When its sender recalled it (WeCom): it stays in the record, shown
    /// as recalled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recalled_at: Option<i64>,
}

/// A message's media as Harbour holds it. The file is served at
/// `/api/v1/messages/{id}/media` to people who may see the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaView {
    pub state: MediaState,
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
    /// Why a reply cannot go out now, as an English sentence for
    /// integrators; `None` when it can.
    pub refusal: Option<String>,
    /// The same reason as data, for a client to word in its user's language.
    #[serde(default)]
    pub refused: Option<WindowRefusal>,
    /// Whether this channel can send files (WeCom Customer Service can;
    /// an Official Account's customer-service messages cannot).
    #[serde(default)]
    pub sends_files: bool,
}

/// `POST /api/v1/conversations/{id}/wecom/take-back`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TakeBackRequest {
    /// End a session a colleague (or WeCom's queue) has: the only way WeCom
    /// allows the inbox to have it back.
    #[serde(default)]
    pub end_session: bool,
}

/// Who has the WeCom session after a take-back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WecomSession {
    /// The inbox: replies go out.
    Inbox,
    /// Nobody: the client's next message comes to the inbox.
    Ended,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeBackResult {
    pub session: WecomSession,
}

/// Why WeChat will not take a reply now. The API's error `reason` for a
/// refused reply is [`WindowRefusal::reason`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum WindowRefusal {
    /// A servicer holds the session in the WeCom client (state 3).
    HeldInWecom { servicer: String },
    /// The WeCom session ended (state 4); WeCom takes nothing from the
    /// inbox until the client writes again.
    SessionEnded,
    /// The client unfollowed the Official Account.
    Unfollowed,
    /// The client never wrote, so no window was ever open.
    NotWritten,
    /// The window closed this many whole hours ago.
    Closed { hours_ago: i64 },
    /// The window's replies are spent.
    RepliesSpent { replies: i64 },
}

impl WindowRefusal {
    /// The stable key an error body carries as its `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            WindowRefusal::HeldInWecom { .. } => "window_held_in_wecom",
            WindowRefusal::SessionEnded => "window_session_ended",
            WindowRefusal::Unfollowed => "window_unfollowed",
            WindowRefusal::NotWritten => "window_not_written",
            WindowRefusal::Closed { .. } => "window_closed",
            WindowRefusal::RepliesSpent { .. } => "window_replies_spent",
        }
    }

    /// The reason as an English sentence (the API's `message`).
    pub fn sentence(&self) -> String {
        match self {
            WindowRefusal::HeldInWecom { servicer } => format!(
                "{servicer} is handling this conversation in the WeCom client; the inbox can send again once the session is handed back or ends."
            ),
            WindowRefusal::SessionEnded => {
                "The WeCom session with this client has ended; the inbox can reply once they write again.".into()
            }
            WindowRefusal::Unfollowed => {
                "This client has unfollowed the account, so WeChat will not deliver replies.".into()
            }
            WindowRefusal::NotWritten => {
                "This client has not written yet, so WeChat has no reply window open.".into()
            }
            WindowRefusal::Closed { hours_ago } => format!(
                "WeChat closed the reply window {} ago. Send a template message instead.",
                if *hours_ago < 1 {
                    "less than an hour".to_owned()
                } else {
                    format!("{hours_ago} h")
                }
            ),
            WindowRefusal::RepliesSpent { replies } => format!(
                "You have sent {replies} replies since the client last wrote; wait for them to write again."
            ),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReplyRequest {
    pub text: String,
    /// Send even though another agent replied to this client moments ago.
    #[serde(default)]
    pub confirm_recent: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueuedReply {
    pub message: MessageId,
    pub status: DeliveryState,
}

/// A client as the profile panel shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: ContactId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    /// `wechat_oa` or `wecom_kf`: says what `open_id` is (an openid, or a
    /// WeCom `external_userid`).
    #[serde(default)]
    pub channel_kind: String,
    pub open_id: String,
    pub union_id: Option<String>,
    pub name: Option<String>,
    /// The remark set in WeChat, when no name is.
    pub remark: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Ids in other systems, e.g. `{"crm": "C-1001"}`.
    pub external_ids: std::collections::BTreeMap<String, String>,
    /// Custom attributes: strings, numbers or booleans.
    pub attributes: std::collections::BTreeMap<String, serde_json::Value>,
    pub tags: Vec<String>,
    pub subscribed: bool,
    pub language: Option<String>,
    pub created_at: i64,
    /// This client's conversations on every channel (linked by union id)
    /// that the viewer may see, newest first.
    pub conversations: Vec<ConversationSummary>,
}

/// One read of a client's data: `GET /api/v1/contacts/{id}/accesses`
/// (admin and compliance), newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// The access event's `seq` in the log.
    pub seq: i64,
    pub at: i64,
    pub reader: UserId,
    pub reader_name: String,
    pub role: Role,
    /// What was read: `access.conversation`, `access.timeline`,
    /// `access.media`, `access.contact`, `access.search`, …
    pub kind: String,
    pub address: String,
    pub conversation: Option<ConversationId>,
}

/// `PATCH /api/v1/contacts/{id}`: only the fields present change; `null`
/// (or an empty string) clears a text field.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UpdateContact {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ids: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// A field that is present, even as `null`, is `Some`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A saved reply, inserted with `/shortcut` in the composer. `team: None`
/// is the author's personal one. The body may use `{{contact.name}}`,
/// `{{contact.phone}}`, `{{contact.email}}`, `{{agent.name}}` and
/// `{{channel.name}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: CannedResponseId,
    pub team: Option<TeamId>,
    pub owner: Option<UserId>,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SaveCannedResponse {
    pub shortcut: String,
    pub title: String,
    pub body: String,
    /// Shared with this team; `None` for a personal one.
    #[serde(default)]
    pub team: Option<TeamId>,
}

/// The variables a canned response may use.
pub const CANNED_VARIABLES: [&str; 5] = [
    "contact.name",
    "contact.phone",
    "contact.email",
    "agent.name",
    "channel.name",
];

/// `GET /api/v1/search?q=…`: contacts and messages the user may see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub contacts: Vec<ContactHit>,
    pub messages: Vec<MessageHit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactHit {
    pub contact_id: ContactId,
    pub conversation_id: Option<ConversationId>,
    pub name: Option<String>,
    pub open_id: String,
    pub phone: Option<String>,
    pub channel_name: String,
}

/// A message that matched; open the conversation at `position` to see it in context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageHit {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    /// The client who wrote it (or was written to).
    pub contact_id: ContactId,
    pub position: i64,
    pub direction: Direction,
    pub body: String,
    pub contact_name: Option<String>,
    pub created_at: i64,
}

crate::closed_set::closed_set!(
    /// Why an evidence bundle was asked for.
    ExportCategory ("export reason") {
        RegulatorRequest => "regulator_request",
        InternalReview => "internal_review",
        /// A client's own request for their data (PDPO data access request).
        DataAccessRequest => "data_access_request",
        Litigation => "litigation",
        Other => "other",
    }
);

crate::closed_set::closed_set!(
    /// Where an evidence bundle stands.
    ExportStatus ("export status") {
        Queued => "queued",
        Building => "building",
        Ready => "ready",
        Failed => "failed",
        /// Past its download time; the file is gone.
        Expired => "expired",
    }
);

/// Why an export is made: a category and the requester's own words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportReason {
    pub category: ExportCategory,
    pub text: String,
}

/// `POST /api/v1/exports`: one client's complete history as a verifiable
/// bundle (compliance and admin). `from`/`to` (Unix ms, inclusive) narrow
/// it to a date range.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExportRequest {
    pub contact: ContactId,
    pub reason: ExportReason,
    #[serde(default)]
    pub from: Option<i64>,
    #[serde(default)]
    pub to: Option<i64>,
}

/// What a bundle holds, once built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCounts {
    pub events: u64,
    pub messages: u64,
    pub media: u64,
    pub accesses: u64,
}

/// An export as its requester (and compliance) see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportView {
    pub id: ExportId,
    pub contact: ContactId,
    pub contact_name: Option<String>,
    pub requested_by: UserId,
    pub requested_by_name: String,
    pub reason: ExportReason,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub status: ExportStatus,
    /// 0–100 while building.
    pub progress: i64,
    pub counts: Option<ExportCounts>,
    /// The bundle's SHA-256 and size, once ready.
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// After this the bundle can no longer be downloaded.
    pub expires_at: Option<i64>,
}

/// One of a client's contacts: a follower of one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientContactView {
    pub contact_id: ContactId,
    pub conversation_id: Option<ConversationId>,
    pub channel_name: String,
    pub open_id: String,
    pub union_id: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// One entry of a client's complete history: an event of theirs, with the
/// message it is about as it stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub seq: i64,
    pub at: i64,
    /// The event kind: `message.received`, `message.queued`,
    /// `message.status`, `note.added`, `conversation.updated`,
    /// `access.*`, `export.*`, …
    pub kind: String,
    pub actor: Option<UserId>,
    pub actor_name: Option<String>,
    pub conversation_id: Option<ConversationId>,
    /// Which channel (for events about a conversation).
    pub channel_name: Option<String>,
    pub message: Option<MessageView>,
    /// The event's own facts (a delivery state, an access's role and
    /// address, an export's reason, …).
    pub detail: serde_json::Value,
}

/// `GET /api/v1/contacts/{id}/history` (admin and compliance): the
/// client's complete history on every channel, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHistory {
    pub contacts: Vec<ClientContactView>,
    pub entries: Vec<HistoryEntry>,
    /// Pass as `before` for the page of older entries; `None` at the start.
    pub before: Option<i64>,
}

/// A team's business hours on Hong Kong time: `weekly` holds seven days,
/// Monday first, each a list of windows "HH:MM–HH:MM" (an end at or before
/// the start runs past midnight); `exceptions` are dated changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamHours {
    pub weekly: Vec<Vec<String>>,
    #[serde(default)]
    pub exceptions: Vec<HoursException>,
}

/// A team's exception on a date (`YYYY-MM-DD`): closed, or these windows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursException {
    /// Filled in from the path when an exception is set.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub windows: Vec<String>,
}

/// One of Hong Kong's general holidays (`date` is `YYYY-MM-DD`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayView {
    pub date: String,
    pub name: String,
    pub name_zh: String,
}

/// What `POST /api/v1/holidays/import` did: the holidays added, how many
/// dates were holidays already (kept as they are), and each event of the
/// file that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayImport {
    pub added: Vec<HolidayView>,
    pub unchanged: usize,
    pub refused: Vec<RefusedEvent>,
}

/// An event of an imported calendar that is not a holiday. `code` is one of
/// `no_summary`, `repeats`, `cancelled`, `has_time`, `no_date`, `too_long`,
/// `out_of_range`; `reason` says it in English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedEvent {
    /// The event's place in the file, from 1.
    pub event: usize,
    pub uid: Option<String>,
    pub code: String,
    pub reason: String,
}

/// `POST /api/v1/closures`: a closure called now, for every team (`teams`
/// absent) or some, until `ends_at` (Unix ms) or until ended by hand.
/// `reason` is `typhoon` (signal 8 or above), `black_rainstorm` or `other`
/// (then `text` says why). The replies are what clients get while it lasts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewClosure {
    pub reason: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub teams: Option<Vec<TeamId>>,
    #[serde(default)]
    pub reply_en: Option<String>,
    #[serde(default)]
    pub reply_zh: Option<String>,
    #[serde(default)]
    pub ends_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureView {
    pub id: String,
    pub reason: String,
    pub text: Option<String>,
    /// `None`: every team.
    pub teams: Option<Vec<TeamId>>,
    pub reply_en: Option<String>,
    pub reply_zh: Option<String>,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
}

/// `GET /api/v1/teams/{id}/status`: open now and until when, or closed,
/// why (`out_of_hours`, `holiday`, `exception`, `closure`) and when it opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamStatus {
    pub open: bool,
    pub until: Option<i64>,
    pub opens_at: Option<i64>,
    pub because: Option<String>,
    /// The holiday's English name, when `because` is `holiday`.
    pub holiday: Option<String>,
    /// The closure in force, when `because` is `closure`.
    pub closure: Option<ClosureView>,
}
