//! The opt-in switch for a chime and desktop notifications when a client
//! writes in the agent's queues.

use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};
use crate::notify;
use crate::state::inbox::InboxState;

#[component]
pub fn NotifyToggle() -> impl IntoView {
    let inbox = expect_context::<InboxState>();
    let i18n = use_i18n();
    let toggle = move |_| {
        let on = !inbox.notify.get_untracked();
        if on && !notify::permission_granted() {
            notify::ask_permission();
        }
        inbox.set_notify(on);
    };
    view! {
        <button
            type="button"
            class="button button-ghost notify-toggle"
            aria-pressed=move || inbox.notify.get().to_string()
            title=move || t_string!(i18n, notify.title)
            on:click=toggle
        >
            <span aria-hidden="true">{move || if inbox.notify.get() { "🔔" } else { "🔕" }}</span>
            <span class="button-label">{move || {
                if inbox.notify.get() {
                    t_string!(i18n, notify.on)
                } else {
                    t_string!(i18n, notify.off)
                }
            }}</span>
        </button>
    }
}
