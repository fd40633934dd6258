//! Which language the app speaks: the signed-in user's choice, or the
//! browser's languages until they make one. Switching re-renders the words
//! in place (every text is reactive), so no page load and no lost draft.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_i18n::I18nContext;
use shared::api::SetLanguage;
use shared::{ErrorCode, Language, Role};

use crate::api::{self, ApiError};
use crate::i18n::{td_string, use_i18n, Locale};
use crate::state::auth::AuthState;

pub fn locale_of(language: Language) -> Locale {
    match language {
        Language::En => Locale::en,
        Language::ZhHk => Locale::zh_HK,
        Language::ZhCn => Locale::zh_CN,
    }
}

/// The first of `navigator.languages` Harbour speaks, else English.
pub fn browser_language() -> Language {
    let languages: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages())
        .map(|list| list.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    Language::negotiate(languages.iter().map(String::as_str))
}

/// Keeps the app's locale on the user's choice, or the browser's.
pub fn follow_user_language(auth: AuthState) {
    let i18n = use_i18n();
    CONTEXT.with(|context| context.set(Some(i18n)));
    Effect::new(move |_| {
        let chosen = auth.user().and_then(|u| u.language);
        let language = chosen.unwrap_or_else(browser_language);
        let locale = locale_of(language);
        if i18n.get_locale_untracked() != locale {
            i18n.set_locale(locale);
        }
    });
}

/// Saves `language` as the user's choice and switches to it at once.
pub fn choose(auth: AuthState, language: Option<Language>, failed: RwSignal<Option<ApiError>>) {
    spawn_local(async move {
        match api::auth::set_language(auth, &SetLanguage { language }).await {
            Ok(user) => {
                failed.try_set(None);
                auth.update_user(user);
            }
            Err(error) => {
                failed.try_set(Some(error));
            }
        }
    });
}

thread_local! {
    /// The app's translations, for code that runs outside a component
    /// (an error's sentence is made wherever it is shown).
    static CONTEXT: std::cell::Cell<Option<I18nContext<Locale>>> = const { std::cell::Cell::new(None) };
}

/// The language on screen now (tracked: a view that asks re-renders on a switch).
pub fn current_locale() -> Locale {
    CONTEXT
        .with(std::cell::Cell::get)
        .map_or(Locale::en, |i18n| i18n.get_locale())
}

/// A server error as a sentence in the user's language, from its code, the
/// field it names and, for some conflicts, the reason it gives.
pub fn error_sentence(code: ErrorCode, field: Option<&str>, reason: Option<&str>) -> String {
    let locale = current_locale();
    let named = match reason {
        Some("app_id_taken") => Some(td_string!(locale, conflict.app_id_taken)),
        Some("email_taken") => Some(td_string!(locale, conflict.email_taken)),
        Some("team_name_taken") => Some(td_string!(locale, conflict.team_name_taken)),
        Some("shortcut_taken") => Some(td_string!(locale, conflict.shortcut_taken)),
        Some("holiday_exists") => Some(td_string!(locale, conflict.holiday_exists)),
        Some("own_account") => Some(td_string!(locale, conflict.own_account)),
        Some("last_admin") => Some(td_string!(locale, conflict.last_admin)),
        Some("already_assigned") => Some(td_string!(locale, conflict.already_assigned)),
        Some("already_in_status") => Some(td_string!(locale, conflict.already_in_status)),
        Some("files_not_supported") => Some(td_string!(locale, conflict.files_not_supported)),
        Some("wecom_end_to_take_back") => Some(td_string!(locale, conflict.wecom_end_to_take_back)),
        Some("not_wecom") => Some(td_string!(locale, conflict.not_wecom)),
        Some("wecom_queued") => Some(td_string!(locale, conflict.wecom_queued)),
        Some("wechat_refused") => Some(td_string!(locale, conflict.wechat_refused)),
        Some("window_session_ended") => Some(td_string!(locale, window.session_ended)),
        Some("window_unfollowed") => Some(td_string!(locale, window.unfollowed)),
        Some("window_not_written") => Some(td_string!(locale, window.not_written)),
        Some("window_closed") => Some(td_string!(locale, window.closed)),
        Some("window_replies_spent") => Some(td_string!(locale, error.window_replies_spent)),
        Some("window_held_in_wecom") => Some(td_string!(locale, error.window_held_in_wecom)),
        Some("portal_no_answer") => Some(td_string!(locale, portal.no_answer)),
        Some(other) if other.starts_with("portal_") => Some(td_string!(locale, portal.refused)),
        _ => None,
    };
    if let Some(text) = named {
        return text.to_owned();
    }
    let text = match (code, field) {
        (ErrorCode::Validation, Some("email")) => td_string!(locale, field_error.email),
        (ErrorCode::Validation, Some("name")) => td_string!(locale, field_error.name),
        (ErrorCode::Validation, Some("password" | "new_password")) => {
            td_string!(locale, change_password.too_short)
        }
        (ErrorCode::Validation, Some("current_password")) => {
            td_string!(locale, field_error.current_password)
        }
        (ErrorCode::Validation, Some("trigger")) => td_string!(locale, field_error.rule_trigger),
        (ErrorCode::Validation, Some("actions")) => td_string!(locale, field_error.rule_actions),
        (ErrorCode::Validation, Some("conditions")) => {
            td_string!(locale, field_error.rule_conditions)
        }
        (ErrorCode::Validation, Some("weekly" | "windows")) => {
            td_string!(locale, field_error.hours_windows)
        }
        (ErrorCode::Validation, Some("date")) => td_string!(locale, field_error.date),
        (ErrorCode::Validation, Some("name_zh")) => td_string!(locale, field_error.holiday_name),
        (ErrorCode::Validation, Some("calendar")) => td_string!(locale, field_error.calendar_file),
        (ErrorCode::Validation, Some(_)) => td_string!(locale, field_error.other),
        (ErrorCode::Forbidden, Some("admin_page")) => td_string!(locale, error.admin_page),
        (ErrorCode::Forbidden, Some("automation_page")) => {
            td_string!(locale, error.automation_page)
        }
        (ErrorCode::Forbidden, Some("compliance_page")) => {
            td_string!(locale, error.compliance_page)
        }
        (ErrorCode::NotFound, Some("conversation")) => {
            td_string!(locale, error.conversation_not_found)
        }
        (ErrorCode::BadRequest, _) => td_string!(locale, error.bad_request),
        (ErrorCode::Validation, None) => td_string!(locale, error.validation),
        (ErrorCode::Unauthenticated, _) => td_string!(locale, error.unauthenticated),
        (ErrorCode::InvalidCredentials, _) => td_string!(locale, error.invalid_credentials),
        (ErrorCode::AccountDisabled, _) => td_string!(locale, error.account_disabled),
        (ErrorCode::TokenExpired, _) => td_string!(locale, error.token_expired),
        (ErrorCode::Forbidden, _) => td_string!(locale, error.forbidden),
        (ErrorCode::NotFound, _) => td_string!(locale, error.not_found),
        (ErrorCode::MethodNotAllowed, _) => td_string!(locale, error.method_not_allowed),
        (ErrorCode::Conflict, _) => td_string!(locale, error.conflict),
        (ErrorCode::ReplyLocked, _) => td_string!(locale, error.reply_locked),
        (ErrorCode::RecentReply, _) => td_string!(locale, error.recent_reply),
        (ErrorCode::TooManyRequests, _) => td_string!(locale, error.too_many_requests),
        (ErrorCode::PasswordChangeRequired, _) => {
            td_string!(locale, error.password_change_required)
        }
        (ErrorCode::PayloadTooLarge, _) => td_string!(locale, error.payload_too_large),
        (ErrorCode::Unavailable, _) => td_string!(locale, error.unavailable),
        (ErrorCode::Internal, _) => td_string!(locale, error.internal),
    };
    text.to_owned()
}

/// A role's name in the user's language.
pub fn role_label(role: Role) -> &'static str {
    let locale = current_locale();
    match role {
        Role::Agent => td_string!(locale, role.agent),
        Role::Supervisor => td_string!(locale, role.supervisor),
        Role::Compliance => td_string!(locale, role.compliance),
        Role::Admin => td_string!(locale, role.admin),
    }
}

/// The server answered with something the app could not read.
pub fn unreadable_sentence() -> String {
    td_string!(current_locale(), error.unreadable).to_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    const LOCALES: [(&str, &str); 3] = [
        ("en", include_str!("../locales/en.json")),
        ("zh-HK", include_str!("../locales/zh-HK.json")),
        ("zh-CN", include_str!("../locales/zh-CN.json")),
    ];

    /// Every key (`section.key`) with the `{{ variables }}` its text uses.
    fn keys(json: &str) -> BTreeMap<String, Vec<String>> {
        fn walk(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, Vec<String>>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        let path = if prefix.is_empty() {
                            key.clone()
                        } else {
                            format!("{prefix}.{key}")
                        };
                        walk(&path, value, out);
                    }
                }
                serde_json::Value::String(text) => {
                    // Affixes around a number may be empty in one language
                    // ("3 replies left" has nothing before the 3).
                    let affix = prefix.ends_with("_before") || prefix.ends_with("_after");
                    assert!(affix || !text.trim().is_empty(), "{prefix} is empty");
                    let mut vars: Vec<String> = text
                        .split("{{")
                        .skip(1)
                        .filter_map(|rest| rest.split_once("}}"))
                        .map(|(name, _)| name.trim().to_owned())
                        .collect();
                    vars.sort();
                    out.insert(prefix.to_owned(), vars);
                }
                other => panic!("{prefix}: a translation is a string, not {other}"),
            }
        }
        let value: serde_json::Value = serde_json::from_str(json).expect("locale file is JSON");
        let mut out = BTreeMap::new();
        walk("", &value, &mut out);
        out
    }

    #[test]
    fn every_language_has_every_key_with_the_same_variables() {
        let english = keys(LOCALES[0].1);
        assert!(english.len() > 50, "the English file lost its keys");
        for (name, json) in &LOCALES[1..] {
            let other = keys(json);
            let missing: Vec<&String> =
                english.keys().filter(|k| !other.contains_key(*k)).collect();
            let extra: Vec<&String> = other.keys().filter(|k| !english.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{name} lacks {missing:?}");
            assert!(extra.is_empty(), "{name} has keys English lacks: {extra:?}");
            for (key, vars) in &english {
                assert_eq!(&other[key], vars, "{name}: {key} uses other variables");
            }
        }
    }
}
