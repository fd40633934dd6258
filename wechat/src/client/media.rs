//! Temporary media (PROTOCOL.md §5.6): the four upload types with their
//! documented limits, what an upload sends and what a download returns.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::message::MediaId;

/// How long temporary media lives after upload (ours or a user's).
pub const MEDIA_LIFETIME: Duration = Duration::from_secs(3 * 24 * 3600);

const MB: usize = 1024 * 1024;

/// The `type` of a temporary upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    /// JPG, PNG or GIF.
    Image,
    /// AMR or MP3, at most 60 s.
    Voice,
    /// MP4.
    Video,
    /// JPG thumbnail for videos, music and mini-program cards.
    Thumb,
    /// Any file, at most 20 MB (WeCom only).
    File,
}

impl MediaType {
    /// The name used in `?type=`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Voice => "voice",
            MediaType::Video => "video",
            MediaType::Thumb => "thumb",
            MediaType::File => "file",
        }
    }

    /// The documented size limit in bytes. For images one official page says
    /// 2 MB; [`MediaType::SAFE_IMAGE_BYTES`] is the cautious figure.
    pub fn max_bytes(self) -> usize {
        match self {
            MediaType::Image | MediaType::Video => 10 * MB,
            MediaType::Voice => 2 * MB,
            MediaType::Thumb => 64 * 1024,
            MediaType::File => 20 * MB,
        }
    }

    /// The image size every WeChat document agrees on.
    pub const SAFE_IMAGE_BYTES: usize = 2 * MB;

    /// File extensions WeChat accepts for this type, lower-case.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaType::Image => &["jpg", "jpeg", "png", "gif"],
            MediaType::Voice => &["amr", "mp3"],
            MediaType::Video => &["mp4"],
            MediaType::Thumb => &["jpg", "jpeg"],
            MediaType::File => &[],
        }
    }

    /// Whether `filename`'s extension fits this type.
    pub fn accepts_filename(self, filename: &str) -> bool {
        if self == MediaType::File {
            return !filename.is_empty();
        }
        filename
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .is_some_and(|ext| self.extensions().contains(&ext.as_str()))
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MediaType {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "image" => Ok(MediaType::Image),
            "voice" => Ok(MediaType::Voice),
            "video" => Ok(MediaType::Video),
            "thumb" => Ok(MediaType::Thumb),
            "file" => Ok(MediaType::File),
            _ => Err(()),
        }
    }
}

/// A file to upload as temporary media.
#[derive(Clone)]
pub struct MediaUpload {
    /// The upload type.
    pub media_type: MediaType,
    /// The file name WeChat sees; its extension must fit the type.
    pub filename: String,
    /// The MIME type, e.g. `image/jpeg`.
    pub content_type: String,
    /// The file.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for MediaUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaUpload")
            .field("media_type", &self.media_type)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UploadedMedia {
    /// The type WeChat stored it as.
    #[serde(rename = "type")]
    pub media_type: MediaType,
    /// The id to send or download with; valid for three days.
    pub media_id: MediaId,
    /// Unix seconds of the upload.
    pub created_at: i64,
}

/// What `media/get` returned.
#[derive(Clone, PartialEq, Eq)]
pub enum DownloadedMedia {
    /// The file itself.
    File {
        /// The `Content-Type` header.
        content_type: String,
        /// The file name from `Content-Disposition`, when there is one.
        filename: Option<String>,
        /// The file.
        bytes: Vec<u8>,
    },
    /// Videos come as a link to fetch.
    VideoUrl(String),
}

impl fmt::Debug for DownloadedMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadedMedia::File {
                content_type,
                filename,
                bytes,
            } => f
                .debug_struct("File")
                .field("content_type", content_type)
                .field("filename", filename)
                .field("len", &bytes.len())
                .finish(),
            DownloadedMedia::VideoUrl(url) => f.debug_tuple("VideoUrl").field(url).finish(),
        }
    }
}

/// The `filename` of a `Content-Disposition` header, quoted or not.
pub(crate) fn disposition_filename(header: &str) -> Option<String> {
    header.split(';').find_map(|part| {
        let value = part.trim().strip_prefix("filename=")?;
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        (!value.is_empty()).then(|| value.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_checked_case_insensitively() {
        assert!(MediaType::Image.accepts_filename("a.JPG"));
        assert!(!MediaType::Thumb.accepts_filename("a.png"));
        assert!(!MediaType::Voice.accepts_filename("noextension"));
    }

    #[test]
    fn the_filename_is_read_from_content_disposition() {
        assert_eq!(
            disposition_filename(r#"attachment; filename="cat.jpg""#).as_deref(),
            Some("cat.jpg")
        );
        assert_eq!(
            disposition_filename("attachment; filename=a.amr").as_deref(),
            Some("a.amr")
        );
        assert_eq!(disposition_filename("inline"), None);
    }
}
