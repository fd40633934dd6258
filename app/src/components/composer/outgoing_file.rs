//! What makes a file one Harbour can send through WeCom Customer Service:
//! up to 20 MB, not empty, under a name WeCom takes; checked here before
//! anything uploads (the server checks again).

use std::sync::Arc;

use shared::media::{valid_file_name, FILE_MAX_BYTES};

use super::outgoing_image::{read_bytes, readable_size};
use crate::i18n::td_string;
use crate::language::current_locale;

/// A file checked and read, ready to upload (again, after a confirmation).
#[derive(Clone, Debug, PartialEq)]
pub struct OutgoingFile {
    pub name: String,
    pub bytes: Arc<[u8]>,
}

/// Checks what the browser knows before the file is read.
pub fn check_file(name: &str, size: f64) -> Result<(), String> {
    let locale = current_locale();
    if !valid_file_name(name.trim()) {
        return Err(td_string!(locale, file.bad_name).to_owned());
    }
    if size > FILE_MAX_BYTES as f64 {
        return Err(format!(
            "{}{}{}",
            td_string!(locale, file.too_large_before),
            readable_size(size as usize),
            td_string!(locale, file.too_large_after)
        ));
    }
    if size <= 0.0 {
        return Err(td_string!(locale, file.empty).to_owned());
    }
    Ok(())
}

/// Checks and reads a chosen file; a refusal is a sentence.
pub async fn read(file: web_sys::File) -> Result<OutgoingFile, String> {
    let name = file.name().trim().to_owned();
    check_file(&name, file.size())?;
    let bytes = read_bytes(&file, &name).await?;
    Ok(OutgoingFile {
        name,
        bytes: bytes.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::check_file;

    #[test]
    fn a_file_is_refused_for_its_size_or_its_name() {
        assert_eq!(check_file("contract-note.pdf", 300_000.0), Ok(()));
        let big = check_file("scan.pdf", 21.0 * 1024.0 * 1024.0).expect_err("too large");
        assert!(big.contains("21.0 MB") && big.contains("20 MB"), "{big}");
        assert!(check_file("empty.txt", 0.0).is_err());
        assert!(check_file("a/b.pdf", 10.0).is_err());
    }
}
