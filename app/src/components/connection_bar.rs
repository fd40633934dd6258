//! The thin bar across the top of the window while the live connection is
//! down, so nobody mistakes a stale screen for a quiet one.

use leptos::prelude::*;

use crate::state::live::{LiveState, LiveStatus};

#[component]
pub fn ConnectionBar() -> impl IntoView {
    let live = expect_context::<LiveState>();
    let message = move || match live.status.get() {
        LiveStatus::Reconnecting => Some((
            "reconnecting",
            "Connection lost. Reconnecting… New activity will show once it is back.",
        )),
        LiveStatus::Offline => Some((
            "offline",
            "You are offline. Harbour will reconnect when your network is back.",
        )),
        LiveStatus::Connecting | LiveStatus::Connected => None,
    };
    view! {
        <div class="connection-bar-slot" role="status" aria-live="polite">
            {move || {
                message()
                    .map(|(state, text)| {
                        view! {
                            <div class=format!("connection-bar {state}") data-state=state>
                                {text}
                            </div>
                        }
                    })
            }}
        </div>
    }
}
