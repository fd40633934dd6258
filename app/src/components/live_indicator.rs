//! The small "Live" / "Reconnecting…" badge that shows whether the socket is up.

use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};
use crate::state::live::{LiveState, LiveStatus};

#[component]
pub fn LiveIndicator() -> impl IntoView {
    let live = expect_context::<LiveState>();
    let status = move || live.status.get();
    let i18n = use_i18n();
    let describe = move || match status() {
        LiveStatus::Connected => t_string!(i18n, live.connected_title),
        LiveStatus::Connecting => t_string!(i18n, live.connecting_title),
        LiveStatus::Reconnecting => t_string!(i18n, live.reconnecting_title),
        LiveStatus::Offline => t_string!(i18n, live.offline_title),
    };
    let label = move || match status() {
        LiveStatus::Connected => t_string!(i18n, live.connected),
        LiveStatus::Connecting => t_string!(i18n, live.connecting),
        LiveStatus::Reconnecting => t_string!(i18n, live.reconnecting),
        LiveStatus::Offline => t_string!(i18n, live.offline),
    };
    view! {
        <div
            class=move || format!("live-indicator {}", status().as_str())
            data-state=move || status().as_str()
            title=describe
        >
            <span class="live-dot" aria-hidden="true"></span>
            <span class="live-label">{label}</span>
        </div>
    }
}
