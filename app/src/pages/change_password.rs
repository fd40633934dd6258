//! Shown instead of every page until a user whose password someone else
//! chose (the first admin's, printed at first start) has chosen their own.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ChangePassword, MIN_PASSWORD_LEN};

use crate::api::{self, ApiError};
use crate::components::form_banner::FormBanner;
use crate::components::form_field::FormField;
use crate::components::icon::{Icon, IconKind};
use crate::form_errors::FormErrors;
use crate::state::auth::AuthState;

/// The fields of this form, named as the API names them in `ErrorBody.field`.
const FIELDS: [&str; 3] = ["current_password", "new_password", "confirm"];

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let errors = FormErrors::new(FIELDS);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let request = ChangePassword {
            current_password: current.get_untracked(),
            new_password: new_password.get_untracked(),
        };
        if request.current_password.is_empty() {
            errors
                .field("current_password")
                .set(Some("Enter the password you signed in with.".into()));
        }
        if request.new_password.chars().count() < MIN_PASSWORD_LEN {
            errors
                .field("new_password")
                .set(Some(format!("Use at least {MIN_PASSWORD_LEN} characters.")));
        } else if request.new_password != confirm.get_untracked() {
            errors
                .field("confirm")
                .set(Some("The two new passwords are not the same.".into()));
        }
        if errors.any() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::auth::change_password(auth, &request).await {
                Ok(user) => {
                    for field in [current, new_password, confirm] {
                        field.try_set(String::new());
                    }
                    auth.update_user(user);
                }
                Err(error) => {
                    let error: ApiError = error;
                    errors.show(error);
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <div class="login-page change-password-page">
            <div class="login-panel">
                <div class="login-brand">
                    <span class="brand-mark">
                        <Icon kind=IconKind::Anchor />
                    </span>
                    <span class="brand-name">"Harbour"</span>
                </div>
                <h1 class="login-title">"Choose your own password"</h1>
                <p class="login-lede">
                    "The password you signed in with was shown when Harbour was set up. Choose one only you know before you go on."
                </p>
                <form class="login-form" novalidate on:submit=submit>
                    <FormField control="current-password" label="Current password" error=errors.field("current_password")>
                        <input
                            id="current-password"
                            name="current_password"
                            type="password"
                            autocomplete="current-password"
                            autofocus
                            bind:value=current
                            aria-invalid=move || errors.has("current_password").to_string()
                        />
                    </FormField>
                    <FormField
                        control="new-password"
                        label="New password"
                        hint=|| format!("At least {MIN_PASSWORD_LEN} characters.")
                        error=errors.field("new_password")
                    >
                        <input
                            id="new-password"
                            name="new_password"
                            type="password"
                            autocomplete="new-password"
                            bind:value=new_password
                            aria-invalid=move || errors.has("new_password").to_string()
                        />
                    </FormField>
                    <FormField control="confirm-password" label="New password again" error=errors.field("confirm")>
                        <input
                            id="confirm-password"
                            name="confirm"
                            type="password"
                            autocomplete="new-password"
                            bind:value=confirm
                            aria-invalid=move || errors.has("confirm").to_string()
                        />
                    </FormField>
                    <FormBanner error=errors.form />
                    <button type="submit" class="button button-primary button-block" disabled=move || busy.get()>
                        {move || if busy.get() { "Saving…" } else { "Save and continue" }}
                    </button>
                </form>
                <p class="login-footnote">
                    "Not you, or not now? "
                    <button type="button" class="button-link" on:click=move |_| spawn_local(auth.sign_out())>
                        "Sign out"
                    </button>
                </p>
            </div>
        </div>
    }
}
