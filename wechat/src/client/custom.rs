//! Customer-service messages (`message/custom/send`, PROTOCOL.md §5.3) and the
//! typing indicator, serialised exactly as `fixtures/api_samples.json` shows.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::message::{AppId, MediaId, OpenId};

/// `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// The text; may contain `<a href="…">` links. Keep it ≤ 2048 bytes.
    pub content: String,
}

/// `image`, `voice` and `mpnews`: a reference to uploaded media.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// The media (or, for `mpnews`, material) id.
    pub media_id: MediaId,
}

/// `video`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Video {
    /// The uploaded video.
    pub media_id: MediaId,
    /// An uploaded `thumb`, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_media_id: Option<MediaId>,
    /// The title shown with the video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The description shown with the video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `music`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Music {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Link to the track.
    pub musicurl: String,
    /// Link to the high-quality track (used on Wi-Fi).
    pub hqmusicurl: String,
    /// An uploaded `thumb`.
    pub thumb_media_id: MediaId,
}

/// The one article of a `news` message (more are refused with 45008).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsArticle {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Where tapping the card leads.
    pub url: String,
    /// The card's picture.
    pub picurl: String,
}

/// One option of a `msgmenu`; the user's tap comes back as a text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuOption {
    /// Our id for the option.
    pub id: String,
    /// The option's text.
    pub content: String,
}

/// `msgmenu` (verified accounts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgMenu {
    /// Text above the options.
    pub head_content: String,
    /// The options.
    pub list: Vec<MenuOption>,
    /// Text below the options.
    pub tail_content: String,
}

/// `miniprogrampage` (the mini program must be linked to the account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniProgramPage {
    /// Card title.
    pub title: String,
    /// The mini program's appid.
    pub appid: AppId,
    /// The page to open, e.g. `pages/index/index`.
    pub pagepath: String,
    /// An uploaded `thumb`.
    pub thumb_media_id: MediaId,
}

/// A customer-service message body, one variant per `msgtype`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomMessage {
    /// `text`.
    Text(Text),
    /// `image`.
    Image(MediaRef),
    /// `voice`.
    Voice(MediaRef),
    /// `video`.
    Video(Video),
    /// `music`.
    Music(Music),
    /// `news` with its single article.
    News(NewsArticle),
    /// `mpnews`: a published article by material id.
    MpNews(MediaRef),
    /// `msgmenu`.
    MsgMenu(MsgMenu),
    /// `miniprogrampage`.
    MiniProgramPage(MiniProgramPage),
}

impl CustomMessage {
    /// A text message.
    pub fn text(content: impl Into<String>) -> Self {
        CustomMessage::Text(Text {
            content: content.into(),
        })
    }

    /// An image message.
    pub fn image(media_id: MediaId) -> Self {
        CustomMessage::Image(MediaRef { media_id })
    }

    /// A voice message.
    pub fn voice(media_id: MediaId) -> Self {
        CustomMessage::Voice(MediaRef { media_id })
    }

    /// The `msgtype` on the wire.
    pub fn msgtype(&self) -> &'static str {
        match self {
            CustomMessage::Text(_) => "text",
            CustomMessage::Image(_) => "image",
            CustomMessage::Voice(_) => "voice",
            CustomMessage::Video(_) => "video",
            CustomMessage::Music(_) => "music",
            CustomMessage::News(_) => "news",
            CustomMessage::MpNews(_) => "mpnews",
            CustomMessage::MsgMenu(_) => "msgmenu",
            CustomMessage::MiniProgramPage(_) => "miniprogrampage",
        }
    }

    fn serialize_payload<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        #[derive(Serialize)]
        struct Articles<'a> {
            articles: [&'a NewsArticle; 1],
        }
        let key = self.msgtype();
        match self {
            CustomMessage::Text(text) => map.serialize_entry(key, text),
            CustomMessage::Image(media) | CustomMessage::Voice(media) => {
                map.serialize_entry(key, media)
            }
            CustomMessage::MpNews(media) => map.serialize_entry(key, media),
            CustomMessage::Video(video) => map.serialize_entry(key, video),
            CustomMessage::Music(music) => map.serialize_entry(key, music),
            CustomMessage::News(article) => map.serialize_entry(
                key,
                &Articles {
                    articles: [article],
                },
            ),
            CustomMessage::MsgMenu(menu) => map.serialize_entry(key, menu),
            CustomMessage::MiniProgramPage(page) => map.serialize_entry(key, page),
        }
    }
}

/// One `message/custom/send` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSend {
    /// The recipient.
    pub to: OpenId,
    /// What to send.
    pub message: CustomMessage,
    /// Send as this legacy customer-service account (`agent@account`).
    pub kf_account: Option<String>,
}

impl CustomSend {
    /// A message to `to` from the account itself.
    pub fn new(to: OpenId, message: CustomMessage) -> Self {
        CustomSend {
            to,
            message,
            kf_account: None,
        }
    }

    /// The same message, sent as a legacy customer-service account.
    pub fn as_kf_account(mut self, kf_account: impl Into<String>) -> Self {
        self.kf_account = Some(kf_account.into());
        self
    }
}

impl Serialize for CustomSend {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct KfAccount<'a> {
            kf_account: &'a str,
        }
        let entries = if self.kf_account.is_some() { 4 } else { 3 };
        let mut map = serializer.serialize_map(Some(entries))?;
        map.serialize_entry("touser", &self.to)?;
        map.serialize_entry("msgtype", self.message.msgtype())?;
        self.message.serialize_payload(&mut map)?;
        if let Some(kf_account) = &self.kf_account {
            map.serialize_entry("customservice", &KfAccount { kf_account })?;
        }
        map.end()
    }
}

/// The typing indicator's two commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypingCommand {
    /// Show "typing…".
    Typing,
    /// Hide it.
    CancelTyping,
}

/// One `message/custom/typing` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypingRequest {
    /// The user who sees the indicator.
    pub touser: OpenId,
    /// Show or hide.
    pub command: TypingCommand,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_text_is_sent_as_raw_utf8() {
        let send = CustomSend::new(OpenId::new("o1"), CustomMessage::text("您好"));
        let json = serde_json::to_string(&send).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"touser":"o1","msgtype":"text","text":{"content":"您好"}}"#
        );
    }
}
