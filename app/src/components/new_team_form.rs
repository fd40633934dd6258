//! The "Create a team" form on the Teams page.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{CreateTeam, Team};

use crate::api::{self, ApiError};
use crate::components::form_banner::FormBanner;
use crate::components::form_field::FormField;
use crate::i18n::{t_string, use_i18n};
use crate::state::auth::AuthState;

#[component]
pub fn NewTeamForm(on_created: Callback<Team>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let field_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<ApiError>);
    let created = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        field_error.set(None);
        form_error.set(None);
        created.set(None);
        let request = CreateTeam {
            name: name.get_untracked().trim().to_owned(),
        };
        if request.name.is_empty() {
            field_error.set(Some(t_string!(i18n, teams.name_missing).into()));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::teams::create(auth, &request).await {
                Ok(team) => {
                    created.try_set(Some(format!(
                        "{}{}",
                        team.name,
                        t_string!(i18n, teams.created_after)
                    )));
                    name.try_set(String::new());
                    on_created.run(team);
                }
                Err(error) if error.field() == Some("name") => {
                    field_error.try_set(Some(error.message().to_owned()));
                }
                Err(error) => {
                    form_error.try_set(Some(error));
                }
            }
            busy.try_set(false);
        });
    };

    let has_error = move || field_error.with(Option::is_some);
    view! {
        <form id="new-team-form" class="inline-form" novalidate on:submit=submit>
            <FormField control="new-team-name" label=move || t_string!(i18n, teams.name) error=field_error>
                <input
                    id="new-team-name"
                    name="name"
                    type="text"
                    autocomplete="off"
                    bind:value=name
                    aria-invalid=move || has_error().to_string()
                    aria-describedby=move || has_error().then_some("new-team-name-error")
                />
            </FormField>
            <div class="inline-form-actions">
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    {move || {
                        if busy.get() {
                            t_string!(i18n, teams.creating)
                        } else {
                            t_string!(i18n, teams.create)
                        }
                    }}
                </button>
            </div>
            <FormBanner error=form_error success=created />
        </form>
    }
}
