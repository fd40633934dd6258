//! The thin bar across the top of the window while the live connection is
//! down, so nobody mistakes a stale screen for a quiet one.

use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};
use crate::state::live::{LiveState, LiveStatus};

#[component]
pub fn ConnectionBar() -> impl IntoView {
    let live = expect_context::<LiveState>();
    let i18n = use_i18n();
    let message = move || match live.status.get() {
        LiveStatus::Reconnecting => Some(("reconnecting", t_string!(i18n, live.lost))),
        LiveStatus::Offline => Some(("offline", t_string!(i18n, live.gone_offline))),
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
