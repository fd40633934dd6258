//! Search text normalisation (DESIGN.md): Traditional → Simplified with
//! `zhconv`, full-width → ASCII, lower case; CJK indexed as unigrams plus
//! bigrams, so a two-character word such as 還款 / 还款 matches either
//! script, and other text as words.

use zhconv::{zhconv, Variant};

/// True for the scripts indexed per character.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F
        | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// Full-width forms to ASCII, ideographic space to space, lower case.
fn fold(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

pub fn normalize(text: &str) -> String {
    // Plain ASCII has no width or script to fold: the common case of
    // English text, numbers and keywords skips the conversion.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let folded: String = text
        .chars()
        .map(fold)
        .flat_map(char::to_lowercase)
        .collect();
    zhconv(&folded, Variant::ZhHans)
}

/// Runs of CJK characters and of other letters/digits, in order.
fn runs(text: &str) -> Vec<(bool, String)> {
    let mut runs: Vec<(bool, String)> = Vec::new();
    for c in normalize(text).chars() {
        let kind = if is_cjk(c) {
            Some(true)
        } else if c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        match (kind, runs.last_mut()) {
            (Some(cjk), Some((last, run))) if *last == cjk && !run.is_empty() => run.push(c),
            (Some(cjk), _) => runs.push((cjk, c.to_string())),
            (None, Some((_, run))) if !run.is_empty() => runs.push((false, String::new())),
            (None, _) => {}
        }
    }
    runs.retain(|(_, r)| !r.is_empty());
    runs
}

/// Index terms for a text: every CJK character and every adjacent pair, and
/// every other word.
pub fn index_terms(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for (cjk, run) in runs(text) {
        if cjk {
            let chars: Vec<char> = run.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                terms.push(c.to_string());
                if let Some(next) = chars.get(i + 1) {
                    terms.push(format!("{c}{next}"));
                }
            }
        } else if run.chars().count() <= 64 {
            terms.push(run);
        }
    }
    terms.sort();
    terms.dedup();
    terms
}

/// Terms that must all be present for a query: a lone CJK character as
/// itself, longer CJK runs as their bigrams, other words as they are.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for (cjk, run) in runs(query) {
        let chars: Vec<char> = run.chars().collect();
        if cjk && chars.len() > 1 {
            terms.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
        } else {
            terms.push(run);
        }
    }
    terms.dedup();
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_and_simplified_meet_in_the_index() {
        let stored = index_terms("你好，我想問還款日期");
        for query in ["還款", "还款", "还款日期", "問"] {
            for term in query_terms(query) {
                assert!(stored.contains(&term), "{query}: {term} not in {stored:?}");
            }
        }
        assert!(!stored.contains(&"款还".to_owned()));
    }

    #[test]
    fn width_and_case_fold() {
        assert_eq!(query_terms("ＨＥＬＬＯ Claim"), ["hello", "claim"]);
        let stored = index_terms("hello, my CLAIM no. 42");
        assert!(stored.contains(&"claim".to_owned()) && stored.contains(&"42".to_owned()));
    }

    #[test]
    fn punctuation_only_gives_no_terms() {
        assert!(query_terms("，。!?").is_empty());
    }
}

#[cfg(test)]
mod timing {
    #[test]
    #[ignore]
    fn how_long_normalising_takes() {
        let text = "你好，我想問還款日期 1234";
        let started = std::time::Instant::now();
        for _ in 0..3000 {
            std::hint::black_box(super::index_terms(text));
        }
        eprintln!("3000 index_terms: {:?}", started.elapsed());
        let started = std::time::Instant::now();
        for _ in 0..3000 {
            std::hint::black_box(zhconv::zhconv(text, zhconv::Variant::ZhHans));
        }
        eprintln!("3000 zhconv: {:?}", started.elapsed());
    }
}
