//! Official Account pushes as typed values (messages, events, or kept-opaque
//! unknowns), their dedupe keys, and passive replies.
//!
//! Every [`InboundMessage`] keeps the exact XML and the full field map, so
//! elements the typed view does not model (`MsgDataId`, `bizmsgmenuid`, …) and
//! whole unknown types are stored, never dropped.

mod event;
mod ids;
mod reply;

pub use event::{Event, ScanCodeInfo, SendLocationInfo, SendPicsInfo};
pub use ids::{
    AppId, CorpId, DedupeKey, ExternalUserId, KfMsgId, MediaId, MsgId, OpenId, OpenKfId, OriginalId,
};
pub use reply::{seal_reply, seal_reply_with_prefix, Article, EncryptedReply, Reply, ReplyBody};

use sha1::{Digest, Sha1};

use crate::xml::{self, Fields, XmlError};

/// The elements every push carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Our account's original id (`ToUserName`).
    pub to: OriginalId,
    /// The sender (`FromUserName`): a user's openid, or a platform system
    /// account for some job-finish events.
    pub from: OpenId,
    /// `CreateTime`, Unix seconds.
    pub create_time: i64,
}

/// What a push is, as far as this crate understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKind {
    /// An ordinary user message (`MsgType` other than `event`).
    Message {
        /// Common elements.
        header: Header,
        /// `MsgId`.
        msg_id: MsgId,
        /// The type-specific content.
        body: MessageBody,
    },
    /// An event (`MsgType=event`).
    Event {
        /// Common elements.
        header: Header,
        /// The event and its type-specific elements.
        event: Event,
    },
    /// A type we do not model, or a known type missing required elements.
    /// The push is still valid: store it from [`InboundMessage::raw_xml`] and
    /// [`InboundMessage::fields`].
    Unknown,
}

/// The content of an ordinary user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageBody {
    /// `text`.
    Text {
        /// `Content`, exact.
        content: String,
    },
    /// `image`.
    Image {
        /// `PicUrl`, a platform-hosted copy.
        pic_url: String,
        /// `MediaId`, to download the original.
        media_id: MediaId,
    },
    /// `voice`.
    Voice {
        /// `MediaId`.
        media_id: MediaId,
        /// `Format` (`amr`, `speex`, …).
        format: String,
        /// `Recognition`, only with speech recognition enabled.
        recognition: Option<String>,
    },
    /// `video`.
    Video {
        /// `MediaId`.
        media_id: MediaId,
        /// `ThumbMediaId`.
        thumb_media_id: MediaId,
    },
    /// `shortvideo`.
    ShortVideo {
        /// `MediaId`.
        media_id: MediaId,
        /// `ThumbMediaId`.
        thumb_media_id: MediaId,
    },
    /// `location`; coordinates stay decimal strings.
    Location {
        /// `Location_X`.
        latitude: String,
        /// `Location_Y`.
        longitude: String,
        /// `Scale`.
        scale: String,
        /// `Label`.
        label: String,
    },
    /// `link`.
    Link {
        /// `Title`.
        title: String,
        /// `Description`.
        description: String,
        /// `Url`.
        url: String,
    },
}

/// One verified (and, if need be, decrypted) push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    kind: MessageKind,
    fields: Fields,
    raw_xml: String,
}

impl InboundMessage {
    /// Parses plaintext push XML. Unknown types are accepted as
    /// [`MessageKind::Unknown`]; only malformed XML is an error.
    pub fn from_xml(raw_xml: impl Into<String>) -> Result<Self, XmlError> {
        let raw_xml = raw_xml.into();
        let fields = xml::parse(raw_xml.as_bytes())?;
        Ok(InboundMessage {
            kind: classify(&fields),
            fields,
            raw_xml,
        })
    }

    /// The typed view.
    pub fn kind(&self) -> &MessageKind {
        &self.kind
    }

    /// Every element of the push, exactly as sent.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The push XML exactly as received (decrypted in safe mode).
    pub fn raw_xml(&self) -> &str {
        &self.raw_xml
    }

    /// The common elements, when the push is a known message or event.
    pub fn header(&self) -> Option<&Header> {
        match &self.kind {
            MessageKind::Message { header, .. } | MessageKind::Event { header, .. } => Some(header),
            MessageKind::Unknown => None,
        }
    }

    /// The key that identifies retries of this push (see [`DedupeKey`]).
    pub fn dedupe_key(&self) -> DedupeKey {
        let text = |name| self.fields.text(name);
        if text("MsgType") == Some("event") {
            if let (Some(from), Some(time), Some(event)) =
                (text("FromUserName"), text("CreateTime"), text("Event"))
            {
                return DedupeKey::new(format!("evt:{from}:{time}:{event}"));
            }
        } else if let Some(msg_id) = text("MsgId") {
            return DedupeKey::new(format!("msg:{msg_id}"));
        }
        // Retries carry the same body, so a digest of it still dedupes them.
        let digest = Sha1::digest(self.raw_xml.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        DedupeKey::new(format!("raw:{hex}"))
    }
}

fn classify(fields: &Fields) -> MessageKind {
    let Some(header) = header(fields) else {
        return MessageKind::Unknown;
    };
    match fields.text("MsgType") {
        Some("event") => match fields.text("Event") {
            Some(name) => MessageKind::Event {
                header,
                event: Event::from_fields(name, fields),
            },
            None => MessageKind::Unknown,
        },
        Some(msg_type) => {
            let msg_id = fields.text("MsgId").and_then(|id| id.parse().ok());
            match (msg_id, message_body(msg_type, fields)) {
                (Some(msg_id), Some(body)) => MessageKind::Message {
                    header,
                    msg_id,
                    body,
                },
                _ => MessageKind::Unknown,
            }
        }
        None => MessageKind::Unknown,
    }
}

fn header(fields: &Fields) -> Option<Header> {
    Some(Header {
        to: OriginalId::new(fields.text("ToUserName")?),
        from: OpenId::new(fields.text("FromUserName")?),
        create_time: fields.text("CreateTime")?.parse().ok()?,
    })
}

fn message_body(msg_type: &str, fields: &Fields) -> Option<MessageBody> {
    let text = |name| fields.text(name).map(str::to_owned);
    let media = |name| fields.text(name).map(MediaId::new);
    Some(match msg_type {
        "text" => MessageBody::Text {
            content: text("Content")?,
        },
        "image" => MessageBody::Image {
            pic_url: text("PicUrl")?,
            media_id: media("MediaId")?,
        },
        "voice" => MessageBody::Voice {
            media_id: media("MediaId")?,
            format: text("Format")?,
            recognition: text("Recognition"),
        },
        "video" => MessageBody::Video {
            media_id: media("MediaId")?,
            thumb_media_id: media("ThumbMediaId")?,
        },
        "shortvideo" => MessageBody::ShortVideo {
            media_id: media("MediaId")?,
            thumb_media_id: media("ThumbMediaId")?,
        },
        "location" => MessageBody::Location {
            latitude: text("Location_X")?,
            longitude: text("Location_Y")?,
            scale: text("Scale")?,
            label: text("Label")?,
        },
        "link" => MessageBody::Link {
            title: text("Title")?,
            description: text("Description")?,
            url: text("Url")?,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_message_without_content_is_kept_as_unknown() {
        let xml = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>\
                   <CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>7</MsgId></xml>";
        let message = InboundMessage::from_xml(xml).expect("well-formed");
        assert_eq!(message.kind(), &MessageKind::Unknown);
        assert_eq!(message.dedupe_key().as_str(), "msg:7");
    }

    #[test]
    fn a_push_without_ids_is_deduplicated_by_its_digest() {
        let message = InboundMessage::from_xml("<xml><A>1</A></xml>").expect("well-formed");
        let key = message.dedupe_key();
        assert!(key.as_str().starts_with("raw:"));
        assert_eq!(key.as_str().len(), 4 + 40);
    }

    #[test]
    fn msg_ids_beyond_53_bits_stay_exact() {
        let xml = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>\
                   <CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content>\
                   <MsgId>18446744073709551615</MsgId></xml>";
        let message = InboundMessage::from_xml(xml).expect("well-formed");
        let MessageKind::Message { msg_id, .. } = message.kind() else {
            panic!("expected a message, got {:?}", message.kind());
        };
        assert_eq!(msg_id.get(), u64::MAX);
    }
}
