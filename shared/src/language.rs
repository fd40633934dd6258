//! The languages Harbour speaks, and how a browser's list of preferred
//! languages picks one before anybody has signed in.

use serde::{Deserialize, Serialize};

/// A language of the app. A user's profile may name one; without it the
/// browser's languages decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    #[serde(rename = "en")]
    En,
    /// Traditional Chinese as written in Hong Kong.
    #[serde(rename = "zh-HK")]
    ZhHk,
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::ZhHk, Language::ZhCn];

    /// The BCP 47 tag, as the API and `<html lang>` spell it.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::ZhHk => "zh-HK",
            Language::ZhCn => "zh-CN",
        }
    }

    /// The language's own name for itself, as a language picker lists it.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::ZhHk => "繁體中文（香港）",
            Language::ZhCn => "简体中文",
        }
    }

    /// The language a BCP 47 tag asks for, if Harbour speaks it: any
    /// English; Chinese in Traditional script or of Hong Kong, Macau or
    /// Taiwan as `zh-HK`; other Chinese (Simplified, mainland, Singapore,
    /// bare `zh`) as `zh-CN`.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = lower.split('-');
        match parts.next()? {
            "en" => Some(Language::En),
            "zh" | "yue" => {
                let rest: Vec<&str> = parts.collect();
                let traditional = rest
                    .iter()
                    .any(|p| matches!(*p, "hant" | "hk" | "mo" | "tw"));
                let simplified = rest.iter().any(|p| matches!(*p, "hans" | "cn" | "sg"));
                Some(if traditional && !rest.contains(&"hans") {
                    Language::ZhHk
                } else if simplified || lower.starts_with("zh") {
                    Language::ZhCn
                } else {
                    // Cantonese without a script is Hong Kong's.
                    Language::ZhHk
                })
            }
            _ => None,
        }
    }

    /// The first of the browser's languages (most preferred first) that
    /// Harbour speaks, else English.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Language {
        preferred
            .into_iter()
            .find_map(Language::from_tag)
            .unwrap_or(Language::En)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_through_the_wire_spelling() {
        for language in Language::ALL {
            let json = serde_json::to_string(&language).expect("json");
            assert_eq!(json, format!("\"{}\"", language.tag()));
            assert_eq!(Language::from_tag(language.tag()), Some(language));
        }
    }

    #[test]
    fn browsers_in_hong_kong_and_taiwan_get_traditional_chinese() {
        for tag in [
            "zh-HK",
            "zh-hk",
            "zh-Hant",
            "zh-Hant-HK",
            "zh-TW",
            "zh-MO",
            "yue",
            "zh_HK",
        ] {
            assert_eq!(Language::from_tag(tag), Some(Language::ZhHk), "{tag}");
        }
    }

    #[test]
    fn other_chinese_is_simplified() {
        for tag in ["zh", "zh-CN", "zh-Hans", "zh-Hans-HK", "zh-SG", "yue-Hans"] {
            assert_eq!(Language::from_tag(tag), Some(Language::ZhCn), "{tag}");
        }
    }

    #[test]
    fn the_first_language_harbour_speaks_wins() {
        assert_eq!(
            Language::negotiate(["fr-FR", "zh-HK", "en"]),
            Language::ZhHk
        );
        assert_eq!(Language::negotiate(["en-GB", "zh-CN"]), Language::En);
        assert_eq!(Language::negotiate(["fr", "de"]), Language::En);
        assert_eq!(Language::negotiate([]), Language::En);
    }
}
