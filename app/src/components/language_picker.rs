//! The language menu in the top bar: the signed-in user's choice of
//! English, Hong Kong Traditional or Simplified Chinese, or the browser's.
//! Saved on the server (so every device and tab follows); the words change
//! in place at once.

use leptos::prelude::*;
use shared::Language;

use crate::api::ApiError;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::auth::AuthState;

#[component]
pub fn LanguagePicker() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let failed = RwSignal::new(None::<ApiError>);
    let chosen = move || auth.user().and_then(|u| u.language);
    let on_change = move |ev: leptos::ev::Event| {
        let picked = Language::from_tag(&event_target_value(&ev));
        if picked != chosen() {
            crate::language::choose(auth, picked, failed);
        }
    };
    view! {
        <div class="language-picker">
            <label class="visually-hidden" for="language-picker">
                {t!(i18n, language.label)}
            </label>
            <select
                id="language-picker"
                name="language"
                title=move || t_string!(i18n, language.label)
                on:change=on_change
            >
                <option value="" selected=move || chosen().is_none()>
                    {t!(i18n, language.browser)}
                </option>
                {Language::ALL
                    .into_iter()
                    .map(|language| {
                        view! {
                            <option
                                value=language.tag()
                                lang=language.tag()
                                selected=move || chosen() == Some(language)
                            >
                                {language.native_name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {move || {
                failed
                    .get()
                    .map(|error| {
                        view! {
                            <span class="language-picker-error" role="alert" data-code=error.code_str()>
                                {error.message()}
                            </span>
                        }
                    })
            }}
        </div>
    }
}
