//! The images Harbour sends to clients, checked the same way in the browser
//! (before uploading) and on the server (before keeping the file); and the
//! media types Harbour shows inline at all.

/// The largest image Harbour sends. WeChat documents both 2 MB and 10 MB;
/// 2 MB is what every account accepts.
pub const IMAGE_MAX_BYTES: usize = 2 * 1024 * 1024;

/// The image type a file's first bytes say it is, if it is one WeChat takes
/// (JPG, PNG or GIF). The type a browser or client declares is not trusted.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

/// The largest file Harbour sends through WeCom Customer Service (WeCom's
/// limit for a `file` upload).
pub const FILE_MAX_BYTES: usize = 20 * 1024 * 1024;

/// The longest file name Harbour sends, in characters.
pub const FILE_NAME_MAX_CHARS: usize = 128;

/// Whether `name` can go out as a file's name: 1 to 128 characters, no
/// path separators or control characters, and not only dots and spaces.
pub fn valid_file_name(name: &str) -> bool {
    let count = name.chars().count();
    (1..=FILE_NAME_MAX_CHARS).contains(&count)
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control() || is_format_char(c))
        && name.chars().any(|c| c != '.' && !c.is_whitespace())
}

/// Invisible formatting characters (bidirectional overrides, zero-width
/// marks) that could make a name read as something else ("txt.exe" shown
/// as "exe.txt").
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// The type a file's bytes say it is, for one an agent sends: an image
/// type, PDF, or else [`DOWNLOAD_TYPE`].
pub fn file_type(bytes: &[u8]) -> &'static str {
    if let Some(image) = image_type(bytes) {
        image
    } else if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else {
        DOWNLOAD_TYPE
    }
}

/// The types a client's file may be shown as, in `<img>`, `<audio>` or
/// `<video>` (and a PDF in the browser's viewer): the kinds WeChat media
/// come in, decided by the server from the file's bytes, plus the WAV the
/// server makes of a voice note. Nothing here can run script.
pub const INLINE_TYPES: [&str; 9] = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "audio/amr",
    "audio/mpeg",
    "audio/wav",
    "video/mp4",
    "application/pdf",
];

/// What a file of any other type is served and handled as: a download.
pub const DOWNLOAD_TYPE: &str = "application/octet-stream";

/// Whether a file of `content_type` may be shown inline (parameters such
/// as `; charset=…` are ignored).
pub fn is_inline(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    INLINE_TYPES.iter().any(|t| t.eq_ignore_ascii_case(essence))
}

/// `content_type` when it may be shown inline, else [`DOWNLOAD_TYPE`].
pub fn safe_type(content_type: &str) -> &str {
    if is_inline(content_type) {
        content_type
    } else {
        DOWNLOAD_TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::{file_type, image_type, is_inline, safe_type, valid_file_name, DOWNLOAD_TYPE};

    #[test]
    fn a_file_name_is_checked_and_a_files_type_read_from_its_bytes() {
        assert!(valid_file_name("合約單據 2026-12.pdf"));
        assert!(!valid_file_name(""));
        assert!(!valid_file_name("../etc/passwd"));
        assert!(!valid_file_name("a\\b.txt"));
        assert!(!valid_file_name("bad\nname"));
        assert!(!valid_file_name(" . "));
        assert!(!valid_file_name("invoice\u{202E}fdp.exe"));
        assert!(!valid_file_name(&"x".repeat(129)));
        assert_eq!(file_type(b"%PDF-1.7 ..."), "application/pdf");
        assert_eq!(file_type(b"GIF89a..."), "image/gif");
        assert_eq!(file_type(b"PK\x03\x04"), DOWNLOAD_TYPE);
    }

    #[test]
    fn only_media_types_that_cannot_run_script_are_inline() {
        assert!(is_inline("image/png") && is_inline("Video/MP4") && is_inline("audio/amr"));
        assert!(is_inline("application/pdf; name=contract.pdf"));
        for unsafe_type in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/xml",
            "application/javascript",
            "",
        ] {
            assert!(!is_inline(unsafe_type), "{unsafe_type}");
            assert_eq!(safe_type(unsafe_type), DOWNLOAD_TYPE);
        }
    }

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(image_type(b"<svg xmlns=...>"), None);
        assert_eq!(image_type(b""), None);
    }
}
