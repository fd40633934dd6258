//! What a follower does and the push WeChat makes of it: the message XML in
//! the platform's element order, then the signed query and the body for the
//! account's mode (plain, compatible or safe).

use crate::callback::Mode;
use crate::crypto::{CryptoError, MessageCrypto};
use crate::message::{DedupeKey, MediaId, MsgId, OpenId, OriginalId};
use crate::query::percent_encode;
use crate::signature::{msg_signature, signature};
use crate::xml::{cdata, XmlWriter};

/// A file a follower sends (a photo, a voice note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerMedia {
    /// The name it is stored under; its extension must suit the media type.
    pub filename: String,
    /// Its MIME type.
    pub content_type: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// A place shared from the map; coordinates stay decimal strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// `Location_X`.
    pub latitude: String,
    /// `Location_Y`.
    pub longitude: String,
    /// `Scale`, the map zoom.
    pub scale: u32,
    /// `Label`, the address.
    pub label: String,
}

/// An article or web page shared as a link card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCard {
    /// `Title`.
    pub title: String,
    /// `Description`.
    pub description: String,
    /// `Url`.
    pub url: String,
}

/// What a follower does in the WeChat app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Activity {
    /// Types a message.
    Text(String),
    /// Sends a photo.
    Image(FollowerMedia),
    /// Records a voice note (speech recognition may have transcribed it).
    Voice {
        /// The AMR recording.
        media: FollowerMedia,
        /// The transcript, when recognition is on and understood it.
        recognition: Option<String>,
    },
    /// Shares a location.
    Location(Place),
    /// Shares a link.
    Link(LinkCard),
    /// Follows the account, through a parametric QR code if `scene` is set.
    Subscribe {
        /// The QR code's scene.
        scene: Option<String>,
    },
    /// Unfollows.
    Unsubscribe,
    /// Taps a click-type menu button.
    Click {
        /// The button's key, e.g. `MENU_BALANCE`.
        event_key: String,
    },
}

impl Activity {
    /// Types `content`.
    pub fn text(content: impl Into<String>) -> Self {
        Activity::Text(content.into())
    }

    /// Taps the menu button `event_key`.
    pub fn click(event_key: impl Into<String>) -> Self {
        Activity::Click {
            event_key: event_key.into(),
        }
    }
}

/// The content of a push as WeChat sends it: media already stored, with the
/// ids and URLs the platform assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushContent {
    /// `text`.
    Text {
        /// `Content`.
        content: String,
    },
    /// `image`.
    Image {
        /// `PicUrl`.
        pic_url: String,
        /// `MediaId`.
        media_id: MediaId,
    },
    /// `voice`.
    Voice {
        /// `MediaId`.
        media_id: MediaId,
        /// `Format`.
        format: String,
        /// `Recognition`, sent only when present.
        recognition: Option<String>,
    },
    /// `location`.
    Location(Place),
    /// `link`.
    Link(LinkCard),
    /// `event` / `subscribe`.
    Subscribe {
        /// `EventKey` (`qrscene_…`), only through a QR code.
        event_key: Option<String>,
        /// `Ticket`, only through a QR code.
        ticket: Option<String>,
    },
    /// `event` / `unsubscribe`.
    Unsubscribe,
    /// `event` / `CLICK`.
    Click {
        /// `EventKey`.
        event_key: String,
    },
}

impl PushContent {
    /// Whether this is an ordinary message (which carries a `MsgId`).
    pub fn is_message(&self) -> bool {
        self.event().is_none()
    }

    /// The `Event` name, for events.
    pub fn event(&self) -> Option<&'static str> {
        match self {
            PushContent::Subscribe { .. } => Some("subscribe"),
            PushContent::Unsubscribe => Some("unsubscribe"),
            PushContent::Click { .. } => Some("CLICK"),
            _ => None,
        }
    }

    /// The `MsgType`.
    pub fn msg_type(&self) -> &'static str {
        match self {
            PushContent::Text { .. } => "text",
            PushContent::Image { .. } => "image",
            PushContent::Voice { .. } => "voice",
            PushContent::Location(_) => "location",
            PushContent::Link(_) => "link",
            PushContent::Subscribe { .. }
            | PushContent::Unsubscribe
            | PushContent::Click { .. } => "event",
        }
    }

    fn write(&self, xml: &mut XmlWriter) {
        xml.text("MsgType", self.msg_type());
        if let Some(event) = self.event() {
            xml.text("Event", event);
        }
        match self {
            PushContent::Text { content } => {
                xml.text("Content", content);
            }
            PushContent::Image { pic_url, media_id } => {
                xml.text("PicUrl", pic_url)
                    .text("MediaId", media_id.as_str());
            }
            PushContent::Voice {
                media_id,
                format,
                recognition,
            } => {
                xml.text("MediaId", media_id.as_str())
                    .text("Format", format);
                if let Some(recognition) = recognition {
                    xml.text("Recognition", recognition);
                }
            }
            PushContent::Location(place) => {
                // The platform sends these decimals as CDATA (see the fixtures).
                xml.text("Location_X", &place.latitude)
                    .text("Location_Y", &place.longitude)
                    .text("Scale", &place.scale.to_string())
                    .text("Label", &place.label);
            }
            PushContent::Link(link) => {
                xml.text("Title", &link.title)
                    .text("Description", &link.description)
                    .text("Url", &link.url);
            }
            PushContent::Subscribe { event_key, ticket } => {
                if let Some(event_key) = event_key {
                    xml.text("EventKey", event_key);
                }
                if let Some(ticket) = ticket {
                    xml.text("Ticket", ticket);
                }
            }
            PushContent::Unsubscribe => {
                xml.text("EventKey", "");
            }
            PushContent::Click { event_key } => {
                xml.text("EventKey", event_key);
            }
        }
    }
}

/// One push, ready to post: every delivery (first or retry) sends exactly
/// `query` and `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// `FromUserName`.
    pub from: OpenId,
    /// `CreateTime`, Unix seconds.
    pub create_time: i64,
    /// `MsgId`, for ordinary messages.
    pub msg_id: Option<MsgId>,
    /// What was sent.
    pub content: PushContent,
    /// The plaintext message XML (inside the envelope when encrypted).
    pub xml: String,
    /// The signed query string, percent-encoded, without `?`.
    pub query: String,
    /// The request body.
    pub body: String,
}

/// The account-side inputs for signing one push.
pub(super) struct Sender<'a> {
    pub account: &'a OriginalId,
    pub token: &'a str,
    pub mode: Mode,
    pub crypto: Option<&'a MessageCrypto>,
    pub timestamp: i64,
    pub nonce: String,
    pub prefix: [u8; 16],
}

impl Push {
    pub(super) fn build(
        sender: Sender<'_>,
        from: OpenId,
        create_time: i64,
        msg_id: Option<MsgId>,
        content: PushContent,
    ) -> Result<Push, CryptoError> {
        let mut writer = XmlWriter::new();
        writer
            .text("ToUserName", sender.account.as_str())
            .text("FromUserName", from.as_str())
            .number("CreateTime", &create_time.to_string());
        content.write(&mut writer);
        if let Some(msg_id) = msg_id {
            writer.number("MsgId", &msg_id.to_string());
        }
        let xml = writer.finish();
        let (query, body) = sign(&sender, &from, &xml)?;
        Ok(Push {
            from,
            create_time,
            msg_id,
            content,
            xml,
            query,
            body,
        })
    }

    /// The key Harbour should store this push under, as
    /// [`InboundMessage::dedupe_key`](crate::InboundMessage::dedupe_key) computes it.
    pub fn dedupe_key(&self) -> DedupeKey {
        match (self.msg_id, self.content.event()) {
            (Some(msg_id), _) => DedupeKey::new(format!("msg:{msg_id}")),
            (None, Some(event)) => {
                DedupeKey::new(format!("evt:{}:{}:{event}", self.from, self.create_time))
            }
            (None, None) => DedupeKey::new(format!("raw:{}:{}", self.from, self.create_time)),
        }
    }
}

/// The query and body WeChat sends for `xml` in the sender's mode.
fn sign(sender: &Sender<'_>, from: &OpenId, xml: &str) -> Result<(String, String), CryptoError> {
    let timestamp = sender.timestamp.to_string();
    let nonce = sender.nonce.as_str();
    let mut params = vec![
        ("signature", signature(sender.token, &timestamp, nonce)),
        ("timestamp", timestamp.clone()),
        ("nonce", nonce.to_owned()),
        ("openid", from.as_str().to_owned()),
    ];
    let body = match (sender.mode, sender.crypto) {
        (Mode::Compatible | Mode::Safe, Some(crypto)) => {
            let encrypt = crypto.encrypt_with_prefix(xml.as_bytes(), sender.prefix)?;
            params.push(("encrypt_type", "aes".to_owned()));
            params.push((
                "msg_signature",
                msg_signature(sender.token, &timestamp, nonce, &encrypt),
            ));
            if sender.mode == Mode::Safe {
                XmlWriter::new()
                    .text("ToUserName", sender.account.as_str())
                    .text("Encrypt", &encrypt)
                    .finish()
            } else {
                // Compatible: the plaintext elements with `Encrypt` appended.
                let open = xml.strip_suffix("</xml>").unwrap_or(xml);
                format!("{open}<Encrypt>{}</Encrypt>\n</xml>", cdata(&encrypt))
            }
        }
        _ => xml.to_owned(),
    };
    Ok((encode(&params), body))
}

fn encode(params: &[(&str, String)]) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}
