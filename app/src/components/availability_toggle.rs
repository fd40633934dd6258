//! An agent's switch between Available and Away: whether auto-assignment
//! gives them new conversations. Away hands their waiting ones back to the
//! team. Saved on the server, so it holds in every tab and after sign-in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::assignment::{Availability, SetAvailability};

use crate::api;
use crate::i18n::{t_string, use_i18n};
use crate::state::auth::AuthState;

#[component]
pub fn AvailabilityToggle() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(false);
    let away = move || {
        auth.user()
            .is_some_and(|u| u.availability == Availability::Away)
    };
    let toggle = move |_| {
        if busy.get_untracked() {
            return;
        }
        let availability = if away() {
            Availability::Available
        } else {
            Availability::Away
        };
        busy.set(true);
        spawn_local(async move {
            match api::users::set_availability(auth, &SetAvailability { availability }).await {
                Ok(user) => {
                    failed.try_set(false);
                    auth.update_user(user);
                }
                Err(_) => {
                    failed.try_set(true);
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <button
            type="button"
            id="availability"
            class="button button-ghost availability-toggle"
            class:is-away=away
            aria-pressed=move || (!away()).to_string()
            title=move || {
                if failed.get() {
                    t_string!(i18n, availability.failed)
                } else {
                    t_string!(i18n, availability.title)
                }
            }
            disabled=move || busy.get()
            on:click=toggle
        >
            <span class="availability-dot" aria-hidden="true"></span>
            <span class="button-label">{move || {
                if away() {
                    t_string!(i18n, availability.away)
                } else {
                    t_string!(i18n, availability.available)
                }
            }}</span>
        </button>
        <Show when=move || failed.get()>
            <span class="visually-hidden" role="alert">{move || t_string!(i18n, availability.failed)}</span>
        </Show>
    }
}
