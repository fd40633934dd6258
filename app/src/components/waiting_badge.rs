//! "Waiting 12m" on a conversation whose client is waiting for an answer;
//! amber once they have waited too long.

use leptos::prelude::*;

use crate::format::{hk_date_time, short_duration};
use crate::i18n::td_string;
use crate::labels::WAITING_TOO_LONG_MS;

#[component]
pub fn WaitingBadge(
    /// Since when the client has waited, in ms since the Unix epoch.
    since: i64,
    now: Signal<i64>,
) -> impl IntoView {
    let waited = move || now.get() - since;
    view! {
        <span
            class="waiting-badge"
            class:is-overdue={move || waited() >= WAITING_TOO_LONG_MS}
            title=move || format!("{}{}", td_string!(crate::language::current_locale(), waiting.since_before), hk_date_time(since))
        >
            {move || format!("{}{}", td_string!(crate::language::current_locale(), waiting.waiting_before), short_duration(waited()))}
        </span>
    }
}
