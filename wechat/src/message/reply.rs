//! Passive replies (the XML answer to a push) and the encrypted reply envelope
//! used in safe mode.

use crate::crypto::{CryptoError, MessageCrypto, RANDOM_PREFIX_LEN};
use crate::signature::msg_signature;
use crate::xml::XmlWriter;

use super::{MediaId, OpenId, OriginalId};

/// A passive reply to one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The user (`FromUserName` of the push).
    pub to: OpenId,
    /// Our account (`ToUserName` of the push).
    pub from: OriginalId,
    /// `CreateTime`, Unix seconds.
    pub create_time: i64,
    /// What to send.
    pub body: ReplyBody,
}

/// The content of a passive reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyBody {
    /// `text`.
    Text {
        /// `Content`.
        content: String,
    },
    /// `image`.
    Image {
        /// `Image/MediaId`.
        media_id: MediaId,
    },
    /// `voice`.
    Voice {
        /// `Voice/MediaId`.
        media_id: MediaId,
    },
    /// `video`.
    Video {
        /// `Video/MediaId`.
        media_id: MediaId,
        /// `Video/Title`.
        title: String,
        /// `Video/Description`.
        description: String,
    },
    /// `music`.
    Music {
        /// `Music/Title`.
        title: String,
        /// `Music/Description`.
        description: String,
        /// `Music/MusicUrl`.
        music_url: String,
        /// `Music/HQMusicUrl`.
        hq_music_url: String,
        /// `Music/ThumbMediaId`.
        thumb_media_id: MediaId,
    },
    /// `news`: current docs allow one article when answering a user message.
    News {
        /// `Articles/item`, in order.
        articles: Vec<Article>,
    },
}

/// One `item` of a news reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// `Title`.
    pub title: String,
    /// `Description`.
    pub description: String,
    /// `PicUrl`: the cover image.
    pub pic_url: String,
    /// `Url`: where a tap leads.
    pub url: String,
}

impl Reply {
    /// A text reply.
    pub fn text(
        to: OpenId,
        from: OriginalId,
        create_time: i64,
        content: impl Into<String>,
    ) -> Self {
        Reply {
            to,
            from,
            create_time,
            body: ReplyBody::Text {
                content: content.into(),
            },
        }
    }

    /// Renders the plaintext reply XML (the body in plaintext mode, the
    /// message to seal with [`seal_reply`] in safe mode).
    pub fn to_xml(&self) -> String {
        let mut xml = XmlWriter::new();
        xml.text("ToUserName", self.to.as_str())
            .text("FromUserName", self.from.as_str())
            .number("CreateTime", &self.create_time.to_string());
        match &self.body {
            ReplyBody::Text { content } => {
                xml.text("MsgType", "text").text("Content", content);
            }
            ReplyBody::Image { media_id } => {
                xml.text("MsgType", "image")
                    .start("Image")
                    .text("MediaId", media_id.as_str())
                    .end("Image");
            }
            ReplyBody::Voice { media_id } => {
                xml.text("MsgType", "voice")
                    .start("Voice")
                    .text("MediaId", media_id.as_str())
                    .end("Voice");
            }
            ReplyBody::Video {
                media_id,
                title,
                description,
            } => {
                xml.text("MsgType", "video")
                    .start("Video")
                    .text("MediaId", media_id.as_str())
                    .text("Title", title)
                    .text("Description", description)
                    .end("Video");
            }
            ReplyBody::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => {
                xml.text("MsgType", "music")
                    .start("Music")
                    .text("Title", title)
                    .text("Description", description)
                    .text("MusicUrl", music_url)
                    .text("HQMusicUrl", hq_music_url)
                    .text("ThumbMediaId", thumb_media_id.as_str())
                    .end("Music");
            }
            ReplyBody::News { articles } => {
                xml.text("MsgType", "news")
                    .number("ArticleCount", &articles.len().to_string())
                    .start("Articles");
                for article in articles {
                    xml.start("item")
                        .text("Title", &article.title)
                        .text("Description", &article.description)
                        .text("PicUrl", &article.pic_url)
                        .text("Url", &article.url)
                        .end("item");
                }
                xml.end("Articles");
            }
        }
        xml.finish()
    }
}

/// A sealed safe-mode reply: `Encrypt`, its `MsgSignature`, and the
/// `TimeStamp`/`Nonce` the signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedReply {
    /// Base64 ciphertext of the reply XML.
    pub encrypt: String,
    /// sha1(sort(token, timestamp, nonce, encrypt)).
    pub msg_signature: String,
    /// `TimeStamp` (reusing the request's is fine).
    pub timestamp: String,
    /// `Nonce` (reusing the request's is fine).
    pub nonce: String,
}

impl EncryptedReply {
    /// Renders the envelope body, in the same layout as the official SDKs.
    pub fn to_xml(&self) -> String {
        XmlWriter::new()
            .text("Encrypt", &self.encrypt)
            .text("MsgSignature", &self.msg_signature)
            .number("TimeStamp", &self.timestamp)
            .text("Nonce", &self.nonce)
            .finish()
    }
}

/// Encrypts and signs `reply_xml` for a safe-mode answer, with a random prefix.
pub fn seal_reply(
    crypto: &MessageCrypto,
    token: &str,
    timestamp: &str,
    nonce: &str,
    reply_xml: &str,
) -> Result<EncryptedReply, CryptoError> {
    let encrypt = crypto.encrypt(reply_xml.as_bytes())?;
    Ok(signed(token, timestamp, nonce, encrypt))
}

/// Like [`seal_reply`] with a fixed random prefix, for test vectors.
pub fn seal_reply_with_prefix(
    crypto: &MessageCrypto,
    token: &str,
    timestamp: &str,
    nonce: &str,
    reply_xml: &str,
    prefix: [u8; RANDOM_PREFIX_LEN],
) -> Result<EncryptedReply, CryptoError> {
    let encrypt = crypto.encrypt_with_prefix(reply_xml.as_bytes(), prefix)?;
    Ok(signed(token, timestamp, nonce, encrypt))
}

fn signed(token: &str, timestamp: &str, nonce: &str, encrypt: String) -> EncryptedReply {
    EncryptedReply {
        msg_signature: msg_signature(token, timestamp, nonce, &encrypt),
        encrypt,
        timestamp: timestamp.to_owned(),
        nonce: nonce.to_owned(),
    }
}
