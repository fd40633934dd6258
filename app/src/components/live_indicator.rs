//! The small "Live" / "Reconnecting…" badge that shows whether the socket is up.

use leptos::prelude::*;

use crate::state::live::{LiveState, LiveStatus};

#[component]
pub fn LiveIndicator() -> impl IntoView {
    let live = expect_context::<LiveState>();
    let status = move || live.status.get();
    let describe = move || match status() {
        LiveStatus::Connected => "Live updates are on.",
        LiveStatus::Connecting => "Connecting to live updates.",
        LiveStatus::Reconnecting => "Live updates paused; reconnecting.",
        LiveStatus::Offline => "You are offline; live updates are paused.",
    };
    view! {
        <div
            class=move || format!("live-indicator {}", status().as_str())
            data-state=move || status().as_str()
            title=describe
        >
            <span class="live-dot" aria-hidden="true"></span>
            <span class="live-label">{move || status().label()}</span>
        </div>
    }
}
