//! The images Harbour sends to clients, checked the same way in the browser
//! (before uploading) and on the server (before keeping the file).

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

#[cfg(test)]
mod tests {
    use super::image_type;

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(image_type(b"<svg xmlns=...>"), None);
        assert_eq!(image_type(b""), None);
    }
}
