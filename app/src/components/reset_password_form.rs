//! The small form an admin uses to give someone a new password.

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ResetPassword, MIN_PASSWORD_LEN};
use shared::UserId;

use crate::api::{self, ApiError};
use crate::components::form_field::FormField;
use crate::i18n::{t, t_string, use_i18n};
use crate::state::auth::AuthState;

#[component]
pub fn ResetPasswordForm(
    user_id: UserId,
    user_name: String,
    on_done: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let local_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let input = NodeRef::<html::Input>::new();
    let input_id = format!("reset-password-{user_id}");
    let label_for = input_id.clone();
    // The error's id, as the field names it.
    let described_by = format!("{input_id}-error");

    // Focus moves into the form when it opens, for keyboard users.
    Effect::new(move |_| {
        if let Some(element) = input.get() {
            let _ = element.focus();
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        local_error.set(None);
        let new_password = password.get_untracked();
        if new_password.chars().count() < MIN_PASSWORD_LEN {
            local_error.set(Some(format!(
                "{}{MIN_PASSWORD_LEN}{}",
                t_string!(i18n, common.min_chars_before),
                t_string!(i18n, common.min_chars_after)
            )));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::users::reset_password(
                auth,
                user_id,
                &ResetPassword {
                    password: new_password,
                },
            )
            .await
            {
                Ok(()) => on_done.run(()),
                Err(failure) => {
                    error.try_set(Some(failure));
                }
            }
            busy.try_set(false);
        });
    };

    let message = move || {
        local_error
            .get()
            .or_else(|| error.with(|e| e.as_ref().map(|e| e.message().to_owned())))
    };
    let has_error = move || message().is_some();
    view! {
        <form class="inline-form reset-password-form" novalidate on:submit=submit>
            <FormField
                control=label_for
                label=move || format!("{}{user_name}", t_string!(i18n, users.new_password_for_before))
                error=Signal::derive(message)
                announce_error=true
            >
                <input
                    id=input_id
                    node_ref=input
                    name="new_password"
                    type="password"
                    autocomplete="new-password"
                    bind:value=password
                    aria-invalid=move || has_error().to_string()
                    aria-describedby=described_by
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            on_cancel.run(());
                        }
                    }
                />
            </FormField>
            <div class="inline-form-actions">
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    {move || {
                        if busy.get() {
                            t_string!(i18n, common.saving)
                        } else {
                            t_string!(i18n, users.set_password)
                        }
                    }}
                </button>
                <button type="button" class="button button-ghost" on:click=move |_| on_cancel.run(())>
                    {t!(i18n, common.cancel)}
                </button>
            </div>
        </form>
    }
}
