//! Caret positions in a textarea: the DOM counts UTF-16 units, Rust
//! strings count bytes; Chinese and emoji make the difference matter.

/// The byte offset in `text` of the UTF-16 offset `units` (clamped).
pub fn byte_offset(text: &str, units: u32) -> usize {
    let mut seen = 0_u32;
    for (index, c) in text.char_indices() {
        if seen >= units {
            return index;
        }
        seen += c.len_utf16() as u32;
    }
    text.len()
}

/// The UTF-16 offset of byte offset `bytes` in `text`.
pub fn utf16_offset(text: &str, bytes: usize) -> u32 {
    text[..bytes.min(text.len())]
        .chars()
        .map(|c| c.len_utf16() as u32)
        .sum()
}

/// `text` with `start..end` (bytes) replaced by `insert`, and the byte
/// offset just after the insertion.
pub fn splice(text: &str, start: usize, end: usize, insert: &str) -> (String, usize) {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    let mut out = String::with_capacity(text.len() + insert.len());
    out.push_str(&text[..start]);
    out.push_str(insert);
    out.push_str(&text[end..]);
    (out, start + insert.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_survive_chinese_and_emoji() {
        let text = "你好🙏 ok";
        // 你 好 = 1 unit each, 🙏 = 2 units.
        assert_eq!(byte_offset(text, 2), 6);
        assert_eq!(byte_offset(text, 4), 10);
        assert_eq!(byte_offset(text, 99), text.len());
        assert_eq!(utf16_offset(text, 10), 4);
    }

    #[test]
    fn splicing_replaces_a_range() {
        assert_eq!(
            splice("hi /th", 3, 6, "Thanks!"),
            ("hi Thanks!".to_owned(), 10)
        );
        assert_eq!(splice("ab", 1, 1, "😀"), ("a😀b".to_owned(), 5));
    }
}
