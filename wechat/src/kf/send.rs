//! What we send through WeCom Customer Service (PROTOCOL.md §6.5, §6.6):
//! `kf/send_msg`, `kf/send_msg_on_event` and the session state calls.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::message::{ExternalUserId, KfMsgId, MediaId, OpenKfId};

/// The longest text `kf/send_msg` takes, in bytes.
pub const MAX_TEXT_BYTES: usize = 2048;
/// The longest `msgid` we may set, in bytes.
pub const MAX_MSGID_BYTES: usize = 32;

impl KfMsgId {
    /// Whether this id may be set on a send: 1-32 bytes of
    /// `[0-9a-zA-Z_-]`.
    pub fn is_valid_outbound(&self) -> bool {
        let id = self.as_str();
        !id.is_empty()
            && id.len() <= MAX_MSGID_BYTES
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
}

/// One option of a menu message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum MenuItem {
    /// A reply option: tapping it sends `content` back with `menu_id` = `id`.
    Click { click: MenuClick },
    /// A link.
    View { view: MenuView },
    /// Plain text between the options.
    Text { text: MenuText },
}

/// A reply option's id and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuClick {
    pub id: String,
    pub content: String,
}

/// A link option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuView {
    pub url: String,
    pub content: String,
}

/// A line of text in a menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuText {
    pub content: String,
}

/// A menu message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KfMenu {
    pub head_content: String,
    pub list: Vec<MenuItem>,
    pub tail_content: String,
}

/// The content of an outbound message, by `msgtype`.
#[derive(Debug, Clone, PartialEq)]
pub enum KfOutbound {
    Text {
        content: String,
    },
    Image {
        media_id: MediaId,
    },
    Voice {
        media_id: MediaId,
    },
    Video {
        media_id: MediaId,
    },
    File {
        media_id: MediaId,
    },
    Link {
        title: String,
        desc: String,
        url: String,
        thumb_media_id: MediaId,
    },
    MiniProgram {
        appid: String,
        title: String,
        thumb_media_id: MediaId,
        pagepath: String,
    },
    MsgMenu(KfMenu),
    Location {
        name: String,
        address: String,
        latitude: f64,
        longitude: f64,
    },
}

impl KfOutbound {
    /// A text message.
    pub fn text(content: impl Into<String>) -> Self {
        KfOutbound::Text {
            content: content.into(),
        }
    }

    /// The `msgtype`.
    pub fn msgtype(&self) -> &'static str {
        match self {
            KfOutbound::Text { .. } => "text",
            KfOutbound::Image { .. } => "image",
            KfOutbound::Voice { .. } => "voice",
            KfOutbound::Video { .. } => "video",
            KfOutbound::File { .. } => "file",
            KfOutbound::Link { .. } => "link",
            KfOutbound::MiniProgram { .. } => "miniprogram",
            KfOutbound::MsgMenu(_) => "msgmenu",
            KfOutbound::Location { .. } => "location",
        }
    }

    /// The object named after the `msgtype`.
    fn payload(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            KfOutbound::Text { content } => json!({ "content": content }),
            KfOutbound::Image { media_id }
            | KfOutbound::Voice { media_id }
            | KfOutbound::Video { media_id }
            | KfOutbound::File { media_id } => json!({ "media_id": media_id }),
            KfOutbound::Link {
                title,
                desc,
                url,
                thumb_media_id,
            } => {
                json!({ "title": title, "desc": desc, "url": url, "thumb_media_id": thumb_media_id })
            }
            KfOutbound::MiniProgram {
                appid,
                title,
                thumb_media_id,
                pagepath,
            } => {
                json!({ "appid": appid, "title": title, "thumb_media_id": thumb_media_id, "pagepath": pagepath })
            }
            KfOutbound::MsgMenu(menu) => serde_json::to_value(menu).unwrap_or_default(),
            KfOutbound::Location {
                name,
                address,
                latitude,
                longitude,
            } => {
                json!({ "name": name, "address": address, "latitude": latitude, "longitude": longitude })
            }
        }
    }
}

/// A `kf/send_msg` request.
#[derive(Debug, Clone, PartialEq)]
pub struct KfSend {
    pub touser: ExternalUserId,
    pub open_kfid: OpenKfId,
    /// Our record's id: makes a retried send idempotent on WeChat's side
    /// and is what `msg_send_fail.fail_msgid` names.
    pub msgid: Option<KfMsgId>,
    pub message: KfOutbound,
}

impl Serialize for KfSend {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("touser", &self.touser)?;
        map.serialize_entry("open_kfid", &self.open_kfid)?;
        if let Some(msgid) = &self.msgid {
            map.serialize_entry("msgid", msgid)?;
        }
        let msgtype = self.message.msgtype();
        map.serialize_entry("msgtype", msgtype)?;
        map.serialize_entry(msgtype, &self.message.payload())?;
        map.end()
    }
}

/// A `kf/send_msg_on_event` request: the one message an event's code
/// allows (a welcome, a queue notice, a closing message).
#[derive(Debug, Clone, PartialEq)]
pub struct KfEventSend {
    /// `welcome_code` or `msg_code`; single use.
    pub code: String,
    pub msgid: Option<KfMsgId>,
    /// Text or a menu.
    pub message: KfOutbound,
}

impl Serialize for KfEventSend {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", &self.code)?;
        if let Some(msgid) = &self.msgid {
            map.serialize_entry("msgid", msgid)?;
        }
        let msgtype = self.message.msgtype();
        map.serialize_entry("msgtype", msgtype)?;
        map.serialize_entry(msgtype, &self.message.payload())?;
        map.end()
    }
}

/// A session's state (PROTOCOL.md §6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum SessionState {
    /// 0: new, untreated.
    New,
    /// 1: handled by the API (the inbox).
    Api,
    /// 2: waiting in WeCom's queue.
    Queued,
    /// 3: handled by a servicer in the WeCom client.
    Servicer,
    /// 4: ended, or not started.
    Ended,
}

impl SessionState {
    /// Whether `kf/send_msg` may be used (states 0 and 1; otherwise 95018).
    pub fn api_may_send(self) -> bool {
        matches!(self, SessionState::New | SessionState::Api)
    }

    /// Whether `service_state/trans` may move a session from `self` to
    /// `to`.
    pub fn may_become(self, to: SessionState) -> bool {
        use SessionState::*;
        matches!(
            (self, to),
            (New, Api | Queued | Servicer | Ended)
                | (Api, Queued | Servicer | Ended)
                | (Queued, Servicer | Ended)
                | (Servicer, Servicer | Ended)
        )
    }
}

impl TryFrom<i64> for SessionState {
    type Error = String;

    fn try_from(value: i64) -> Result<Self, String> {
        Ok(match value {
            0 => SessionState::New,
            1 => SessionState::Api,
            2 => SessionState::Queued,
            3 => SessionState::Servicer,
            4 => SessionState::Ended,
            other => return Err(format!("unknown service_state {other}")),
        })
    }
}

impl From<SessionState> for i64 {
    fn from(state: SessionState) -> i64 {
        match state {
            SessionState::New => 0,
            SessionState::Api => 1,
            SessionState::Queued => 2,
            SessionState::Servicer => 3,
            SessionState::Ended => 4,
        }
    }
}

/// `service_state/get`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceState {
    pub service_state: SessionState,
    /// Who owns it in state 3. One SDK spells it `service_userid`.
    #[serde(default, alias = "service_userid")]
    pub servicer_userid: Option<String>,
}

/// A `service_state/trans` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateChange {
    pub open_kfid: OpenKfId,
    pub external_userid: ExternalUserId,
    pub service_state: SessionState,
    /// Required for state 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub servicer_userid: Option<String>,
}

/// One Customer Service account (`kf/account/list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KfAccount {
    pub open_kfid: OpenKfId,
    pub name: String,
    #[serde(default)]
    pub avatar: String,
    /// Whether this app may operate the account through the API.
    #[serde(default)]
    pub manage_privilege: bool,
}

/// One customer's profile (`kf/customer/batchget`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KfCustomer {
    pub external_userid: ExternalUserId,
    #[serde(default)]
    pub nickname: String,
    #[serde(default)]
    pub avatar: String,
    /// 0 unknown, 1 male, 2 female.
    #[serde(default)]
    pub gender: i64,
    /// Present when the organisation has a bound Official Account or
    /// Open Platform: the same person across OA and KF.
    #[serde(default)]
    pub unionid: Option<String>,
}

/// `kf/customer/batchget`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Customers {
    #[serde(default)]
    pub customer_list: Vec<KfCustomer>,
    /// Ids WeChat did not know.
    #[serde(default)]
    pub invalid_external_userid: Vec<ExternalUserId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_msgids_are_checked_like_wechat_does() {
        assert!(KfMsgId::new("inbox_out_000001").is_valid_outbound());
        assert!(KfMsgId::new("a-B_9").is_valid_outbound());
        assert!(!KfMsgId::new("").is_valid_outbound());
        assert!(!KfMsgId::new("has space").is_valid_outbound());
        assert!(!KfMsgId::new("x".repeat(33)).is_valid_outbound());
    }

    #[test]
    fn the_state_machine_allows_only_its_transitions() {
        use SessionState::*;
        assert!(New.may_become(Api));
        assert!(Api.may_become(Servicer));
        assert!(Servicer.may_become(Ended));
        assert!(!Servicer.may_become(Api), "3 → 1 is not documented");
        assert!(!Ended.may_become(New));
        assert!(!Queued.may_become(Api));
        assert!(New.api_may_send() && Api.api_may_send());
        assert!(!Servicer.api_may_send() && !Queued.api_may_send() && !Ended.api_may_send());
    }
}
