//! The "Add a user" form: checks the obvious on the spot, sends the rest to
//! the server, and shows each complaint next to the field it is about.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{CreateUser, Team, User, MIN_PASSWORD_LEN};
use shared::{Role, TeamId};

use crate::api;
use crate::components::form_banner::FormBanner;
use crate::components::form_field::{FieldSet, FormField};
use crate::components::team_picker::TeamPicker;
use crate::form_errors::FormErrors;
use crate::i18n::{t, t_string, use_i18n};
use crate::remote::RemoteList;
use crate::state::auth::AuthState;

/// The fields of this form, named as the API names them in `ErrorBody.field`.
const FIELDS: [&str; 5] = ["name", "email", "role", "password", "teams"];

#[component]
pub fn NewUserForm(
    teams: RemoteList<Team>,
    on_created: Callback<User>,
    on_retry_teams: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent);
    let password = RwSignal::new(String::new());
    let selected_teams = RwSignal::new(Vec::<TeamId>::new());
    let errors = FormErrors::new(FIELDS);
    let busy = RwSignal::new(false);
    let added = RwSignal::new(None::<String>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        added.set(None);
        let request = CreateUser {
            name: name.get_untracked().trim().to_owned(),
            email: email.get_untracked().trim().to_owned(),
            role: role.get_untracked(),
            password: password.get_untracked(),
            teams: selected_teams.get_untracked(),
        };
        if request.name.is_empty() {
            errors
                .field("name")
                .set(Some(t_string!(i18n, users.name_missing).into()));
        }
        if !request.email.contains('@') {
            errors
                .field("email")
                .set(Some(t_string!(i18n, users.email_invalid).into()));
        }
        if request.password.chars().count() < MIN_PASSWORD_LEN {
            errors.field("password").set(Some(format!(
                "{}{MIN_PASSWORD_LEN}{}",
                t_string!(i18n, common.min_chars_before),
                t_string!(i18n, common.min_chars_after)
            )));
        }
        if errors.any() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::users::create(auth, &request).await {
                Ok(user) => {
                    added.try_set(Some(format!(
                        "{}{}",
                        user.name,
                        t_string!(i18n, users.added_after)
                    )));
                    name.try_set(String::new());
                    email.try_set(String::new());
                    password.try_set(String::new());
                    role.try_set(Role::Agent);
                    selected_teams.try_set(Vec::new());
                    on_created.run(user);
                }
                Err(error) => errors.show(error),
            }
            busy.try_set(false);
        });
    };

    let invalid =
        move |field: &'static str| move || errors.field(field).with(Option::is_some).to_string();
    let described = move |field: &'static str, id: &'static str| {
        move || errors.field(field).with(Option::is_some).then_some(id)
    };

    view! {
        <form id="new-user-form" class="form-grid" novalidate on:submit=submit>
            <FormField control="new-user-name" label=move || t_string!(i18n, users.full_name) error=errors.field("name")>
                <input
                    id="new-user-name"
                    name="name"
                    type="text"
                    autocomplete="off"
                    bind:value=name
                    aria-invalid=invalid("name")
                    aria-describedby=described("name", "new-user-name-error")
                />
            </FormField>
            <FormField control="new-user-email" label=move || t_string!(i18n, users.email) error=errors.field("email")>
                <input
                    id="new-user-email"
                    name="email"
                    type="email"
                    autocomplete="off"
                    bind:value=email
                    aria-invalid=invalid("email")
                    aria-describedby=described("email", "new-user-email-error")
                />
            </FormField>
            <FormField control="new-user-role" label=move || t_string!(i18n, users.role) error=errors.field("role")>
                <select
                    id="new-user-role"
                    name="role"
                    aria-invalid=invalid("role")
                    aria-describedby=described("role", "new-user-role-error")
                    on:change=move |ev| {
                        if let Ok(choice) = event_target_value(&ev).parse::<Role>() {
                            role.set(choice);
                        }
                    }
                >
                    {Role::ALL
                        .iter()
                        .map(|r| {
                            let r = *r;
                            view! {
                                <option value=r.as_str() prop:selected=move || role.get() == r>
                                    {move || crate::language::role_label(r)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </FormField>
            <FormField
                control="new-user-password"
                label=move || t_string!(i18n, users.temporary_password)
                hint=move || t!(i18n, users.password_hint, min = MIN_PASSWORD_LEN)
                error=errors.field("password")
            >
                <input
                    id="new-user-password"
                    name="password"
                    type="password"
                    autocomplete="new-password"
                    bind:value=password
                    aria-invalid=invalid("password")
                    aria-describedby=move || {
                        if errors.field("password").with(Option::is_some) {
                            "new-user-password-error new-user-password-hint"
                        } else {
                            "new-user-password-hint"
                        }
                    }
                />
            </FormField>
            <FieldSet
                class="field field-teams"
                legend=move || t_string!(i18n, nav.teams)
                error=errors.field("teams")
                error_id="new-user-teams-error"
            >
                <TeamPicker
                    teams=teams
                    selected=selected_teams
                    id_prefix="new-user-team".to_owned()
                    on_retry=on_retry_teams
                />
            </FieldSet>
            <div class="form-submit">
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    {move || {
                        if busy.get() {
                            t_string!(i18n, users.adding)
                        } else {
                            t_string!(i18n, users.add)
                        }
                    }}
                </button>
            </div>
            <FormBanner error=errors.form success=added class="field-wide" />
        </form>
    }
}
