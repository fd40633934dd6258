//! The opt-in switch for a chime and desktop notifications when a client
//! writes in the agent's queues.

use leptos::prelude::*;

use crate::notify;
use crate::state::inbox::InboxState;

#[component]
pub fn NotifyToggle() -> impl IntoView {
    let inbox = expect_context::<InboxState>();
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
            title="Chime and desktop notification for new messages in your queues"
            on:click=toggle
        >
            <span aria-hidden="true">{move || if inbox.notify.get() { "🔔" } else { "🔕" }}</span>
            <span class="button-label">{move || if inbox.notify.get() { "Alerts on" } else { "Alerts off" }}</span>
        </button>
    }
}
