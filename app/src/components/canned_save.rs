//! Saving the composer's text as a canned response: a shortcut and a
//! title, for the agent alone or shared with one of their teams.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{CannedResponse, SaveCannedResponse};
use shared::TeamId;

use crate::api::{self, ApiError, Origin};
use crate::components::form_banner::FormBanner;
use crate::components::form_field::FormField;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::auth::AuthState;

#[component]
pub fn CannedSave(
    body: Signal<String>,
    on_saved: Callback<CannedResponse>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let shortcut = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let team = RwSignal::new(None::<TeamId>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let teams = move || auth.user().map(|u| u.teams).unwrap_or_default();
    let submit = move || {
        let canned = SaveCannedResponse {
            shortcut: shortcut
                .get_untracked()
                .trim()
                .trim_start_matches('/')
                .to_owned(),
            title: title.get_untracked().trim().to_owned(),
            body: body.get_untracked(),
            team: team.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api::canned::create(auth, &canned).await;
            busy.try_set(false);
            match result {
                Ok(saved) => on_saved.run(saved),
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        // Not a form: it sits inside the composer's form.
        <div
            class="canned-save"
            role="group"
            aria-label=move || t_string!(i18n, canned.title)
            on:keydown=move |ev| {
                if ev.key() == "Enter" {
                    ev.prevent_default();
                    submit();
                }
            }
        >
            <FormField control="canned-shortcut" label=move || t_string!(i18n, canned.shortcut) label_hidden=true bare=true>
                <input type="text" id="canned-shortcut" name="shortcut" placeholder=move || t_string!(i18n, canned.shortcut_placeholder) required
                    prop:value=move || shortcut.get() on:input=move |ev| shortcut.set(event_target_value(&ev)) />
            </FormField>
            <FormField control="canned-title" label=move || t_string!(i18n, canned.name) label_hidden=true bare=true>
                <input type="text" id="canned-title" name="title" placeholder=move || t_string!(i18n, canned.name) required
                    prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
            </FormField>
            <FormField control="canned-team" label=move || t_string!(i18n, canned.shared_with) label_hidden=true bare=true>
                <select id="canned-team" class="select-compact" on:change=move |ev| team.set(event_target_value(&ev).parse().ok())>
                    <option value="">{t!(i18n, canned.just_me)}</option>
                    {move || teams().into_iter().map(|t| view! { <option value=t.id.to_string()>{t.name}</option> }).collect_view()}
                </select>
            </FormField>
            <button type="button" class="button button-small button-primary" disabled=busy on:click=move |_| submit()>{t!(i18n, canned.save)}</button>
            <button type="button" class="button button-small button-ghost" on:click=move |_| on_cancel.run(())>{t!(i18n, canned.cancel)}</button>
            <FormBanner error=Signal::derive(move || error.get().map(|mut e| {
                if e.status == 404 || e.status == 405 {
                    // Said here, in the user's language, rather than from the code.
                    e.body.message = t_string!(i18n, canned.unavailable).to_owned();
                    e.origin = Origin::App;
                }
                e
            })) />
        </div>
    }
}
