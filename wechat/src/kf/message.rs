//! What `kf/sync_msg` returns (PROTOCOL.md §6.3, §6.4): a page of messages
//! and events, each typed where this crate knows its `msgtype` and kept
//! whole in [`KfMessage::raw`] either way, so nothing WeChat adds later is
//! lost.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::message::{ExternalUserId, KfMsgId, MediaId, OpenKfId};

/// The most entries one `sync_msg` page may hold.
pub const MAX_SYNC_LIMIT: u32 = 1000;

/// A `kf/sync_msg` request. `Debug` leaves the callback Token out.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SyncMsgRequest {
    /// `next_cursor` of the previous page; empty on the very first sync.
    pub cursor: String,
    /// The callback's `Token` (valid 10 minutes); without it WeChat
    /// throttles the call hard. Empty when there is none (a resync at
    /// start-up).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub token: String,
    /// 1..=1000.
    pub limit: u32,
    /// 0: voice as AMR.
    pub voice_format: u8,
    /// The account to pull for.
    pub open_kfid: OpenKfId,
}

impl std::fmt::Debug for SyncMsgRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncMsgRequest")
            .field("cursor", &self.cursor)
            .field("has_token", &!self.token.is_empty())
            .field("limit", &self.limit)
            .field("open_kfid", &self.open_kfid)
            .finish_non_exhaustive()
    }
}

impl SyncMsgRequest {
    /// A full page (1,000 entries) for `open_kfid` from `cursor`, with the
    /// callback's `token` when there is one.
    pub fn new(open_kfid: OpenKfId, cursor: impl Into<String>, token: Option<String>) -> Self {
        SyncMsgRequest {
            cursor: cursor.into(),
            token: token.unwrap_or_default(),
            limit: MAX_SYNC_LIMIT,
            voice_format: 0,
            open_kfid,
        }
    }
}

/// One page of `kf/sync_msg`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SyncMsgPage {
    /// Where the next call starts. Persist it only after this page's
    /// entries are stored.
    pub next_cursor: String,
    /// Whether to call again. May be true with an empty `msg_list`.
    #[serde(deserialize_with = "flag")]
    pub has_more: bool,
    /// The entries, oldest first.
    #[serde(default)]
    pub msg_list: Vec<KfMessage>,
}

fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_i64() != Some(0),
        _ => false,
    })
}

/// Who an entry came from (`origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum Origin {
    /// 3: the WeChat customer.
    Customer,
    /// 4: a system event.
    System,
    /// 5: a human servicer, typing in the WeCom client.
    Servicer,
    /// A value this crate does not know.
    Other(i64),
}

impl From<i64> for Origin {
    fn from(value: i64) -> Self {
        match value {
            3 => Origin::Customer,
            4 => Origin::System,
            5 => Origin::Servicer,
            other => Origin::Other(other),
        }
    }
}

impl From<Origin> for i64 {
    fn from(origin: Origin) -> i64 {
        match origin {
            Origin::Customer => 3,
            Origin::System => 4,
            Origin::Servicer => 5,
            Origin::Other(other) => other,
        }
    }
}

/// One entry of a `sync_msg` page: a message or an event.
#[derive(Debug, Clone, PartialEq)]
pub struct KfMessage {
    /// WeChat's id for the entry; the key it is stored under exactly once.
    pub msgid: KfMsgId,
    /// The account, from the entry or, for events, from inside the event.
    pub open_kfid: Option<OpenKfId>,
    /// The customer, likewise.
    pub external_userid: Option<ExternalUserId>,
    /// Unix seconds.
    pub send_time: i64,
    pub origin: Origin,
    /// The WeCom user who sent it, for `origin` 5.
    pub servicer_userid: Option<String>,
    pub body: KfBody,
    /// The entry exactly as WeChat sent it.
    pub raw: Value,
}

/// A message's content, by `msgtype`.
#[derive(Debug, Clone, PartialEq)]
pub enum KfBody {
    Text {
        content: String,
        /// Set when the customer tapped a menu option.
        menu_id: Option<String>,
    },
    /// `image`, `voice`, `video` or `file`: download with `media/get`
    /// within three days.
    Media {
        kind: KfMediaKind,
        media_id: MediaId,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: String,
        address: String,
    },
    Link {
        title: String,
        desc: String,
        url: String,
        pic_url: String,
    },
    BusinessCard {
        userid: String,
    },
    MiniProgram {
        title: String,
        appid: String,
        pagepath: String,
        thumb_media_id: String,
    },
    /// A menu: its text lines (the options are in [`KfMessage::raw`]).
    MsgMenu {
        head_content: String,
        tail_content: String,
    },
    Event(KfEvent),
    /// A `msgtype` this crate does not know (`channels`, …), or a known one
    /// whose payload did not read: kept opaque in [`KfMessage::raw`].
    Other {
        msgtype: String,
    },
}

/// The media `msgtype`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KfMediaKind {
    Image,
    Voice,
    Video,
    File,
}

impl KfMediaKind {
    /// The `msgtype`.
    pub fn as_str(self) -> &'static str {
        match self {
            KfMediaKind::Image => "image",
            KfMediaKind::Voice => "voice",
            KfMediaKind::Video => "video",
            KfMediaKind::File => "file",
        }
    }
}

/// A system event (`msgtype` `event`).
#[derive(Debug, Clone, PartialEq)]
pub enum KfEvent {
    /// The customer opened the chat. With a `welcome_code`, one welcome may
    /// be sent through `send_msg_on_event` within 20 seconds.
    EnterSession {
        scene: String,
        scene_param: String,
        welcome_code: Option<String>,
    },
    /// A message we sent was not delivered.
    MsgSendFail { fail_msgid: KfMsgId, fail_type: i64 },
    /// A servicer started (1) or stopped (2) receiving.
    ServicerStatusChange {
        servicer_userid: String,
        status: i64,
    },
    /// The session was taken (1), transferred (2), ended (3) or re-joined
    /// (4).
    SessionStatusChange {
        change_type: i64,
        old_servicer_userid: Option<String>,
        new_servicer_userid: Option<String>,
        /// Lets one message be sent for this change.
        msg_code: Option<String>,
    },
    /// The customer recalled one of their messages.
    UserRecallMsg { recall_msgid: KfMsgId },
    /// A servicer recalled one of theirs.
    ServicerRecallMsg {
        recall_msgid: KfMsgId,
        servicer_userid: String,
    },
    /// An `event_type` this crate does not know.
    Other { event_type: String },
}

impl KfEvent {
    /// The `event_type`.
    pub fn event_type(&self) -> &str {
        match self {
            KfEvent::EnterSession { .. } => "enter_session",
            KfEvent::MsgSendFail { .. } => "msg_send_fail",
            KfEvent::ServicerStatusChange { .. } => "servicer_status_change",
            KfEvent::SessionStatusChange { .. } => "session_status_change",
            KfEvent::UserRecallMsg { .. } => "user_recall_msg",
            KfEvent::ServicerRecallMsg { .. } => "servicer_recall_msg",
            KfEvent::Other { event_type } => event_type,
        }
    }
}

/// Why WeChat did not deliver a message (`msg_send_fail.fail_type`), in a
/// sentence an agent can act on.
pub fn send_failure_reason(fail_type: i64) -> &'static str {
    match fail_type {
        1 => "The Customer Service account was deleted.",
        2 => "The WeCom app was disabled.",
        4 => "The client has not written for 48 hours, so the session expired.",
        5 => "The session was closed.",
        6 => "Five messages were already sent since the client last wrote.",
        7 => "No WeChat Channels account is bound to the Customer Service account.",
        8 => "The organisation is not verified.",
        9 => "No WeChat Channels account is bound and the organisation is not verified.",
        10 => "The client refused messages from this account.",
        _ => "WeChat did not say why.",
    }
}

impl<'de> Deserialize<'de> for KfMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        KfMessage::from_value(Value::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for KfMessage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

fn text(value: &Value, name: &str) -> Option<String> {
    match value.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text_or_empty(value: &Value, name: &str) -> String {
    text(value, name).unwrap_or_default()
}

fn int(value: &Value, name: &str) -> Option<i64> {
    match value.get(name)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

impl KfMessage {
    /// Reads one entry. Fails only without a `msgid` (nothing to store it
    /// under); an unknown or unreadable payload becomes [`KfBody::Other`].
    pub fn from_value(raw: Value) -> Result<KfMessage, String> {
        let msgid = text(&raw, "msgid")
            .filter(|id| !id.is_empty())
            .ok_or("a sync_msg entry has no msgid")?;
        let msgtype = text_or_empty(&raw, "msgtype");
        let body = raw
            .get(&msgtype)
            .and_then(|payload| read_body(&msgtype, payload))
            .unwrap_or(KfBody::Other {
                msgtype: msgtype.clone(),
            });
        let event = raw.get("event");
        let from_entry_or_event = |name: &str| {
            text(&raw, name)
                .or_else(|| event.and_then(|e| text(e, name)))
                .filter(|v| !v.is_empty())
        };
        Ok(KfMessage {
            msgid: KfMsgId::new(msgid),
            open_kfid: from_entry_or_event("open_kfid").map(OpenKfId::new),
            external_userid: from_entry_or_event("external_userid").map(ExternalUserId::new),
            send_time: int(&raw, "send_time").unwrap_or_default(),
            origin: Origin::from(int(&raw, "origin").unwrap_or_default()),
            servicer_userid: text(&raw, "servicer_userid").filter(|v| !v.is_empty()),
            body,
            raw,
        })
    }

    /// The event, for `msgtype` `event`.
    pub fn event(&self) -> Option<&KfEvent> {
        match &self.body {
            KfBody::Event(event) => Some(event),
            _ => None,
        }
    }
}

fn read_body(msgtype: &str, p: &Value) -> Option<KfBody> {
    let media = |kind| {
        Some(KfBody::Media {
            kind,
            media_id: MediaId::new(text(p, "media_id").filter(|id| !id.is_empty())?),
        })
    };
    match msgtype {
        "text" => Some(KfBody::Text {
            content: text(p, "content")?,
            menu_id: text(p, "menu_id").filter(|v| !v.is_empty()),
        }),
        "image" => media(KfMediaKind::Image),
        "voice" => media(KfMediaKind::Voice),
        "video" => media(KfMediaKind::Video),
        "file" => media(KfMediaKind::File),
        "location" => Some(KfBody::Location {
            latitude: p.get("latitude")?.as_f64()?,
            longitude: p.get("longitude")?.as_f64()?,
            name: text_or_empty(p, "name"),
            address: text_or_empty(p, "address"),
        }),
        "link" => Some(KfBody::Link {
            title: text_or_empty(p, "title"),
            desc: text_or_empty(p, "desc"),
            url: text(p, "url")?,
            pic_url: text_or_empty(p, "pic_url"),
        }),
        "business_card" => Some(KfBody::BusinessCard {
            userid: text(p, "userid")?,
        }),
        "miniprogram" => Some(KfBody::MiniProgram {
            title: text_or_empty(p, "title"),
            appid: text(p, "appid")?,
            pagepath: text_or_empty(p, "pagepath"),
            thumb_media_id: text_or_empty(p, "thumb_media_id"),
        }),
        "msgmenu" => Some(KfBody::MsgMenu {
            head_content: text_or_empty(p, "head_content"),
            tail_content: text_or_empty(p, "tail_content"),
        }),
        "event" => Some(KfBody::Event(read_event(p)?)),
        _ => None,
    }
}

fn read_event(e: &Value) -> Option<KfEvent> {
    let event_type = text(e, "event_type")?;
    let optional = |name: &str| text(e, name).filter(|v| !v.is_empty());
    let known = match event_type.as_str() {
        "enter_session" => Some(KfEvent::EnterSession {
            scene: text_or_empty(e, "scene"),
            scene_param: text_or_empty(e, "scene_param"),
            welcome_code: optional("welcome_code"),
        }),
        "msg_send_fail" => optional("fail_msgid").map(|id| KfEvent::MsgSendFail {
            fail_msgid: KfMsgId::new(id),
            fail_type: int(e, "fail_type").unwrap_or_default(),
        }),
        "servicer_status_change" => Some(KfEvent::ServicerStatusChange {
            servicer_userid: text_or_empty(e, "servicer_userid"),
            status: int(e, "status").unwrap_or_default(),
        }),
        "session_status_change" => Some(KfEvent::SessionStatusChange {
            change_type: int(e, "change_type").unwrap_or_default(),
            old_servicer_userid: optional("old_servicer_userid"),
            new_servicer_userid: optional("new_servicer_userid"),
            msg_code: optional("msg_code"),
        }),
        "user_recall_msg" => optional("recall_msgid").map(|id| KfEvent::UserRecallMsg {
            recall_msgid: KfMsgId::new(id),
        }),
        "servicer_recall_msg" => optional("recall_msgid").map(|id| KfEvent::ServicerRecallMsg {
            recall_msgid: KfMsgId::new(id),
            servicer_userid: text_or_empty(e, "servicer_userid"),
        }),
        _ => None,
    };
    Some(known.unwrap_or(KfEvent::Other { event_type }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unknown_msgtype_is_kept_opaque_not_dropped() {
        let raw = json!({"msgid": "m1", "msgtype": "channels", "origin": 3,
            "channels": {"sub_type": 1, "nickname": "x"}});
        let message = KfMessage::from_value(raw.clone()).expect("reads");
        assert_eq!(
            message.body,
            KfBody::Other {
                msgtype: "channels".into()
            }
        );
        assert_eq!(message.raw, raw);
        assert_eq!(serde_json::to_value(&message).expect("serialises"), raw);
    }

    #[test]
    fn a_known_type_with_a_broken_payload_is_kept_opaque() {
        let message =
            KfMessage::from_value(json!({"msgid": "m2", "msgtype": "image", "image": {}}))
                .expect("reads");
        assert!(matches!(message.body, KfBody::Other { .. }));
    }

    #[test]
    fn an_entry_without_a_msgid_is_refused() {
        assert!(KfMessage::from_value(json!({"msgtype": "text"})).is_err());
    }

    #[test]
    fn events_carry_the_account_and_customer_inside() {
        let message = KfMessage::from_value(json!({"msgid": "e", "origin": 4, "msgtype": "event",
            "event": {"event_type": "user_recall_msg", "open_kfid": "wk1",
                      "external_userid": "wm1", "recall_msgid": "m1"}}))
        .expect("reads");
        assert_eq!(message.open_kfid, Some(OpenKfId::new("wk1")));
        assert_eq!(message.external_userid, Some(ExternalUserId::new("wm1")));
        assert_eq!(message.origin, Origin::System);
    }
}
