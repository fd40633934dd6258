//! The words for channels (kinds, callback modes) and the checks the
//! "Connect a channel" form makes before sending. The checks mirror the
//! server's in `server/src/channels/official_account.rs` and
//! `wecom_kf.rs`, which decide.

use shared::api::{CallbackMode, CreateOfficialAccount};

use crate::i18n::td_string;
use crate::language::current_locale;

/// WeChat's EncodingAESKey is always this many characters.
pub const AES_KEY_LEN: usize = 43;
/// The server refuses longer channel names.
pub const MAX_NAME_CHARS: usize = 80;
/// A Token the admin types is this long (WeChat allows 3 to 32; Harbour
/// refuses guessable ones). Empty: the server generates 32.
pub const TOKEN_CHARS: std::ops::RangeInclusive<usize> = 16..=32;

pub const MODES: [CallbackMode; 3] = [
    CallbackMode::Safe,
    CallbackMode::Compatible,
    CallbackMode::Plain,
];

/// The mode as the WeChat admin console names it (明文 / 兼容 / 安全模式),
/// in the user's language.
pub fn mode_label(mode: CallbackMode) -> &'static str {
    let locale = current_locale();
    match mode {
        CallbackMode::Plain => td_string!(locale, channels.mode_plain),
        CallbackMode::Compatible => td_string!(locale, channels.mode_compatible),
        CallbackMode::Safe => td_string!(locale, channels.mode_safe),
    }
}

pub fn kind_label(kind: &str) -> String {
    match kind {
        "wechat_oa" => td_string!(current_locale(), channels.kind_wechat_oa).to_owned(),
        "wecom_kf" => td_string!(current_locale(), channels.kind_wecom_kf).to_owned(),
        other => other.to_owned(),
    }
}

/// What the form connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    OfficialAccount,
    WecomKf,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 2] = [ChannelKind::OfficialAccount, ChannelKind::WecomKf];

    /// The kind as the server names it.
    pub fn value(self) -> &'static str {
        match self {
            ChannelKind::OfficialAccount => "wechat_oa",
            ChannelKind::WecomKf => "wecom_kf",
        }
    }

    pub fn from_value(value: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.value() == value)
    }

    pub fn label(self) -> String {
        kind_label(self.value())
    }

    /// The account's id, as its console names it.
    pub fn id_label(self) -> &'static str {
        let locale = current_locale();
        match self {
            ChannelKind::OfficialAccount => td_string!(locale, channels.app_id),
            ChannelKind::WecomKf => td_string!(locale, channels.corp_id),
        }
    }

    pub fn id_placeholder(self) -> &'static str {
        match self {
            ChannelKind::OfficialAccount => "wx1a2b3c4d5e6f7a8b",
            ChannelKind::WecomKf => "ww4f3e2d1c0b9a8776",
        }
    }

    /// The API secret, as its console names it.
    pub fn secret_label(self) -> &'static str {
        let locale = current_locale();
        match self {
            ChannelKind::OfficialAccount => td_string!(locale, channels.app_secret),
            ChannelKind::WecomKf => td_string!(locale, channels.corp_secret),
        }
    }

    pub fn api_placeholder(self) -> &'static str {
        match self {
            ChannelKind::OfficialAccount => "https://api.weixin.qq.com",
            ChannelKind::WecomKf => "https://qyapi.weixin.qq.com",
        }
    }
}

/// A server complaint about a WeCom field, put where the form shows that
/// field (the form names them as an Official Account's).
pub fn as_form_fields(mut error: crate::api::ApiError) -> crate::api::ApiError {
    let field = match error.body.field.as_deref() {
        Some("corp_id") => Some("app_id"),
        Some("corp_secret") => Some("app_secret"),
        _ => None,
    };
    if let Some(field) = field {
        error.body.field = Some(field.to_owned());
    }
    error
}

/// The mode needs the EncodingAESKey to open WeChat's messages.
pub fn needs_aes_key(mode: CallbackMode) -> bool {
    mode != CallbackMode::Plain
}

/// The full address WeChat must call: this page's origin plus the path the
/// server gave the channel.
pub fn callback_url(origin: &str, callback_path: &str) -> String {
    format!("{}{callback_path}", origin.trim_end_matches('/'))
}

fn is_letters_and_digits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Every complaint about the form, as (field, sentence in the user's
/// language); empty when it can be sent.
pub fn check(account: &CreateOfficialAccount, kind: ChannelKind) -> Vec<(&'static str, String)> {
    let locale = current_locale();
    let mut problems = Vec::new();
    let name = account.name.trim();
    if name.is_empty() {
        problems.push(("name", td_string!(locale, channels.name_missing).to_owned()));
    } else if name.chars().count() > MAX_NAME_CHARS {
        problems.push((
            "name",
            format!(
                "{}{MAX_NAME_CHARS}{}",
                td_string!(locale, channels.name_too_long_before),
                td_string!(locale, channels.name_too_long_after)
            ),
        ));
    }
    let app_id = account.app_id.trim();
    if app_id.is_empty() || app_id.len() > 64 || !is_letters_and_digits(app_id) {
        let sentence = match kind {
            ChannelKind::OfficialAccount => td_string!(locale, channels.app_id_invalid),
            ChannelKind::WecomKf => td_string!(locale, channels.corp_id_invalid),
        };
        problems.push(("app_id", sentence.to_owned()));
    }
    if account.app_secret.trim().is_empty() {
        let sentence = match kind {
            ChannelKind::OfficialAccount => td_string!(locale, channels.app_secret_missing),
            ChannelKind::WecomKf => td_string!(locale, channels.corp_secret_missing),
        };
        problems.push(("app_secret", sentence.to_owned()));
    }
    let token = &account.token;
    if !token.is_empty() && (!TOKEN_CHARS.contains(&token.len()) || !is_letters_and_digits(token)) {
        problems.push((
            "token",
            format!(
                "{}{}{}{}{}",
                td_string!(locale, channels.token_invalid_before),
                TOKEN_CHARS.start(),
                td_string!(locale, channels.token_invalid_middle),
                TOKEN_CHARS.end(),
                td_string!(locale, channels.token_invalid_after)
            ),
        ));
    }
    let key = &account.encoding_aes_key;
    let key_needed = needs_aes_key(account.mode);
    if key.is_empty() && key_needed {
        problems.push((
            "encoding_aes_key",
            format!(
                "{}{}{AES_KEY_LEN}{}",
                mode_label(account.mode),
                td_string!(locale, channels.aes_missing_middle),
                td_string!(locale, channels.aes_missing_after)
            ),
        ));
    } else if !key.is_empty() {
        let length = key.chars().count();
        let base64 = key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if length != AES_KEY_LEN {
            problems.push((
                "encoding_aes_key",
                format!(
                    "{}{length}{}{AES_KEY_LEN}{}",
                    td_string!(locale, channels.aes_length_before),
                    td_string!(locale, channels.aes_length_middle),
                    td_string!(locale, channels.aes_length_after)
                ),
            ));
        } else if !base64 {
            problems.push((
                "encoding_aes_key",
                td_string!(locale, channels.aes_key_chars).to_owned(),
            ));
        }
    }
    if let Some(base) = account.api_base.as_deref().map(str::trim) {
        if !(base.is_empty() || base.starts_with("https://") || base.starts_with("http://")) {
            problems.push((
                "api_base",
                td_string!(locale, channels.api_base_invalid).to_owned(),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    fn valid() -> CreateOfficialAccount {
        CreateOfficialAccount {
            name: "HK Lending 公眾號".into(),
            app_id: "wx1a2b3c4d5e6f7a8b".into(),
            app_secret: "secret".into(),
            token: "harbourFormToken1".into(),
            encoding_aes_key: KEY.into(),
            mode: CallbackMode::Safe,
            api_base: None,
            team: None,
        }
    }

    fn fields(account: &CreateOfficialAccount) -> Vec<&'static str> {
        check(account, ChannelKind::OfficialAccount)
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    #[test]
    fn a_complete_account_passes() {
        assert_eq!(KEY.len(), AES_KEY_LEN);
        assert!(check(&valid(), ChannelKind::OfficialAccount).is_empty());
    }

    #[test]
    fn a_short_aes_key_says_how_long_it_is() {
        let mut account = valid();
        account.encoding_aes_key = KEY[..42].into();
        let problems = check(&account, ChannelKind::OfficialAccount);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.contains("has 42 characters"));
    }

    #[test]
    fn plain_mode_needs_no_aes_key_but_safe_mode_does() {
        let mut account = valid();
        account.encoding_aes_key.clear();
        assert_eq!(fields(&account), ["encoding_aes_key"]);
        account.mode = CallbackMode::Plain;
        assert!(check(&account, ChannelKind::OfficialAccount).is_empty());
    }

    #[test]
    fn an_empty_token_is_generated_and_a_short_one_refused() {
        let mut account = valid();
        account.token.clear();
        assert!(check(&account, ChannelKind::OfficialAccount).is_empty());
        account.token = "shortToken12345".into();
        assert_eq!(fields(&account), ["token"]);
    }

    #[test]
    fn token_app_id_and_api_base_follow_wechat_rules() {
        let mut account = valid();
        account.token = "a-b".into();
        account.app_id = "wx 123".into();
        account.api_base = Some("ftp://example.com".into());
        assert_eq!(fields(&account), ["app_id", "token", "api_base"]);
    }

    #[test]
    fn a_wecom_estate_is_checked_in_wecom_words() {
        let mut account = valid();
        account.app_id = "not a corp id".into();
        account.app_secret.clear();
        let problems = check(&account, ChannelKind::WecomKf);
        let fields: Vec<_> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["app_id", "app_secret"]);
        assert!(problems[0].1.contains("Corp ID"), "{}", problems[0].1);
        assert_eq!(
            ChannelKind::from_value("wecom_kf"),
            Some(ChannelKind::WecomKf)
        );
        assert_eq!(kind_label("wecom_kf"), "WeCom Customer Service");
    }

    #[test]
    fn the_form_offers_every_mode_and_builds_callback_urls() {
        for mode in CallbackMode::ALL {
            assert!(MODES.contains(mode), "{mode} is offered");
        }
        assert_eq!(
            callback_url("http://127.0.0.1:8080/", "/wechat/oa/1"),
            "http://127.0.0.1:8080/wechat/oa/1"
        );
    }
}
