//! The bar above every signed-in page: live status on the left, the person
//! signed in and the sign-out button on the right.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::availability_toggle::AvailabilityToggle;
use crate::components::icon::{Icon, IconKind};
use crate::components::language_picker::LanguagePicker;
use crate::components::live_indicator::LiveIndicator;
use crate::components::notify_toggle::NotifyToggle;
use crate::i18n::{t_string, use_i18n};
use crate::state::auth::AuthState;

/// "Amy Chan" -> "AC"; "陳大文" -> "陳".
fn initials(name: &str) -> String {
    let mut words = name.split_whitespace();
    let first = words.next().and_then(|w| w.chars().next());
    let last = words.last().and_then(|w| w.chars().next());
    first
        .into_iter()
        .chain(last)
        .flat_map(char::to_uppercase)
        .collect()
}

#[component]
pub fn TopBar() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let signing_out = RwSignal::new(false);
    let name = move || auth.user().map(|u| u.name).unwrap_or_default();
    let role = move || {
        auth.user()
            .map(|u| crate::language::role_label(u.role))
            .unwrap_or_default()
    };

    let sign_out = move |_| {
        if signing_out.get_untracked() {
            return;
        }
        signing_out.set(true);
        // The shell sends us to /login once the session is gone.
        spawn_local(async move {
            auth.sign_out().await;
            signing_out.try_set(false);
        });
    };

    view! {
        <header class="top-bar">
            <Show when=move || auth.user().is_some()>
                <LiveIndicator />
            </Show>
            <div class="top-bar-spacer"></div>
            <Show when=move || auth.user().is_some_and(|u| u.role == shared::Role::Agent)>
                <AvailabilityToggle />
            </Show>
            <Show when=move || auth.user().is_some()>
                <NotifyToggle />
            </Show>
            <Show when=move || auth.user().is_some()>
                <LanguagePicker />
            </Show>
            <Show when=move || auth.user().is_some()>
                <div class="user-chip">
                    <span class="avatar" aria-hidden="true">
                        {move || initials(&name())}
                    </span>
                    <span class="user-chip-text">
                        <span class="current-user">{name}</span>
                        <span class="current-role">{role}</span>
                    </span>
                </div>
            </Show>
            <button
                id="sign-out"
                type="button"
                class="button button-ghost"
                on:click=sign_out
                disabled=move || signing_out.get()
            >
                <Icon kind=IconKind::SignOut />
                <span class="button-label">
                    {move || {
                        if signing_out.get() {
                            t_string!(i18n, top_bar.signing_out)
                        } else {
                            t_string!(i18n, top_bar.sign_out)
                        }
                    }}
                </span>
            </button>
        </header>
    }
}
