//! What makes a file an image Harbour can send to a client: JPG, PNG or GIF
//! of at most 2 MB (WeChat's limit), checked here before anything uploads.

use std::sync::Arc;

use crate::i18n::td_string;
use crate::language::current_locale;

/// WeChat refuses images larger than this.
pub const MAX_IMAGE_BYTES: f64 = shared::media::IMAGE_MAX_BYTES as f64;

/// What the file chooser offers.
pub const ACCEPTED: &str = "image/jpeg,image/png,image/gif,.jpg,.jpeg,.png,.gif";

/// The image type its first bytes say it is, if it is one WeChat takes.
pub use shared::media::image_type as sniff;

fn not_an_image(name: &str) -> String {
    let locale = current_locale();
    if name.is_empty() {
        td_string!(locale, image.not_an_image).to_owned()
    } else {
        format!(
            "{}{name}{}",
            td_string!(locale, image.not_an_image_named_before),
            td_string!(locale, image.not_an_image_named_after)
        )
    }
}

/// Checks what the browser knows before the file is read: its size and the
/// type it claims (empty when the browser cannot tell).
pub fn check_file(name: &str, claimed_type: &str, size: f64) -> Result<(), String> {
    let claimed_ok = claimed_type.is_empty()
        || matches!(
            claimed_type,
            "image/jpeg" | "image/jpg" | "image/pjpeg" | "image/png" | "image/gif"
        );
    if !claimed_ok {
        return Err(not_an_image(name));
    }
    let locale = current_locale();
    if size > MAX_IMAGE_BYTES {
        let shown = match megabytes(size) {
            // Rounded down to the limit it would read as if it were allowed.
            limit if limit == "2.0 MB" => td_string!(locale, image.just_over).to_owned(),
            other => other,
        };
        return Err(format!(
            "{}{shown}{}",
            td_string!(locale, image.too_large_before),
            td_string!(locale, image.too_large_after)
        ));
    }
    if size <= 0.0 {
        return Err(td_string!(locale, image.empty).to_owned());
    }
    Ok(())
}

/// The content type to send the bytes as, or a sentence saying why not.
pub fn content_type(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    sniff(bytes).ok_or_else(|| not_an_image(name))
}

fn megabytes(size: f64) -> String {
    format!("{:.1} MB", size / (1024.0 * 1024.0))
}

/// A size the way a person reads it: "12 KB", "1.4 MB".
pub fn readable_size(size: usize) -> String {
    let size = size as f64;
    if size < 1024.0 * 1024.0 {
        format!("{} KB", (size / 1024.0).ceil().max(1.0))
    } else {
        megabytes(size)
    }
}

/// An image checked and read, ready to upload (again, after a confirmation).
#[derive(Clone, Debug, PartialEq)]
pub struct OutgoingImage {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Arc<[u8]>,
}

impl OutgoingImage {
    /// "“image.png” (12 KB)".
    pub fn describe(&self) -> String {
        format!("“{}” ({})", self.name, readable_size(self.bytes.len()))
    }
}

/// A chosen file's bytes, or a sentence saying it could not be read.
pub async fn read_bytes(file: &web_sys::File, name: &str) -> Result<Vec<u8>, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| {
            let locale = current_locale();
            format!(
                "{}{name}{}",
                td_string!(locale, image.unreadable_before),
                td_string!(locale, image.unreadable_after)
            )
        })?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Checks and reads a chosen or pasted file; a refusal is a sentence.
pub async fn read(file: web_sys::File) -> Result<OutgoingImage, String> {
    let name = file.name();
    check_file(&name, &file.type_(), file.size())?;
    let bytes = read_bytes(&file, &name).await?;
    let content_type = content_type(&name, &bytes)?;
    Ok(OutgoingImage {
        name,
        content_type,
        bytes: bytes.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_formats_are_recognised_by_their_first_bytes() {
        assert_eq!(
            sniff(&[0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some("image/gif"));
        assert_eq!(sniff(b"GIF87a"), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(&[]), None);
    }

    #[test]
    fn a_file_over_two_megabytes_is_refused_with_its_size() {
        assert_eq!(
            check_file("scan.png", "image/png", 3.4 * 1024.0 * 1024.0),
            Err("That image is 3.4 MB. WeChat takes images up to 2 MB; make it smaller and try again.".to_owned())
        );
        assert_eq!(
            check_file("scan.png", "image/png", MAX_IMAGE_BYTES + 1.0),
            Err("That image is just over 2 MB. WeChat takes images up to 2 MB; make it smaller and try again.".to_owned())
        );
        assert!(check_file("scan.png", "image/png", MAX_IMAGE_BYTES).is_ok());
    }

    #[test]
    fn other_types_are_refused_by_name() {
        assert_eq!(
            check_file("photo.webp", "image/webp", 1000.0),
            Err(
                "“photo.webp” is not a JPG, PNG or GIF image. Choose one of those to send."
                    .to_owned()
            )
        );
        assert!(check_file("", "application/pdf", 10.0).is_err());
        // Some systems give no type at all: the bytes decide.
        assert!(check_file("IMG_0001", "", 10.0).is_ok());
        assert_eq!(
            content_type("IMG_0001", b"%PDF"),
            Err(
                "“IMG_0001” is not a JPG, PNG or GIF image. Choose one of those to send."
                    .to_owned()
            )
        );
    }

    #[test]
    fn sizes_read_as_kilobytes_or_megabytes() {
        assert_eq!(readable_size(70), "1 KB");
        assert_eq!(readable_size(12 * 1024), "12 KB");
        assert_eq!(readable_size(1536 * 1024), "1.5 MB");
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert!(check_file("empty.png", "image/png", 0.0).is_err());
    }
}
