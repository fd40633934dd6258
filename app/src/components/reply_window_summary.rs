//! WeChat's reply window in one line: "3 replies left · closes in 31 h",
//! or why a reply cannot go out now, in amber or red.

use leptos::prelude::*;
use shared::api::ReplyWindow;

use crate::format::hk_date_time;
use crate::i18n::td_string;
use crate::labels::window_summary;
use crate::remote::RemoteValue;

#[component]
pub fn ReplyWindowSummary(window: RemoteValue<ReplyWindow>, now: Signal<i64>) -> impl IntoView {
    let summary = move || {
        window.value.with(|w| {
            w.as_ref()
                .map(|w| (window_summary(w, now.get()), w.closes_at))
        })
    };
    move || match summary() {
        Some(((tone, text), closes_at)) => {
            let before = td_string!(crate::language::current_locale(), window.closes_at_before);
            let title = closes_at.map(|at| format!("{before}{}", hk_date_time(at)));
            view! {
                <p class="window-summary" data-tone=tone.as_str() title=title>
                    {text}
                </p>
            }
            .into_any()
        }
        None => match window.error.get() {
            Some(error) => view! {
                <p class="window-summary" data-tone="unknown" data-code=error.code_str()>
                    {td_string!(crate::language::current_locale(), window.unknown_before)}
                    {error.message().to_owned()}
                </p>
            }
            .into_any(),
            None => view! {
                <p class="window-summary" data-tone="loading">
                    {td_string!(crate::language::current_locale(), window.checking)}
                </p>
            }
            .into_any(),
        },
    }
}
