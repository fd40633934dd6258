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
use crate::i18n::{t, t_string, use_i18n};
use crate::state::auth::AuthState;

/// The fields of this form, named as the API names them in `ErrorBody.field`.
const FIELDS: [&str; 3] = ["current_password", "new_password", "confirm"];

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
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
            errors.field("current_password").set(Some(
                t_string!(i18n, change_password.current_missing).into(),
            ));
        }
        if request.new_password.chars().count() < MIN_PASSWORD_LEN {
            errors
                .field("new_password")
                .set(Some(t_string!(i18n, change_password.too_short).into()));
        } else if request.new_password != confirm.get_untracked() {
            errors
                .field("confirm")
                .set(Some(t_string!(i18n, change_password.mismatch).into()));
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
                <h1 class="login-title">{t!(i18n, change_password.title)}</h1>
                <p class="login-lede">{t!(i18n, change_password.lede)}</p>
                <form class="login-form" novalidate on:submit=submit>
                    <FormField control="current-password" label=move || t_string!(i18n, change_password.current) error=errors.field("current_password")>
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
                        label=move || t_string!(i18n, change_password.new)
                        hint=move || t!(i18n, change_password.hint, min = MIN_PASSWORD_LEN)
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
                    <FormField control="confirm-password" label=move || t_string!(i18n, change_password.confirm) error=errors.field("confirm")>
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
                        {move || {
                            if busy.get() {
                                t_string!(i18n, change_password.submitting)
                            } else {
                                t_string!(i18n, change_password.submit)
                            }
                        }}
                    </button>
                </form>
                <p class="login-footnote">
                    {t!(i18n, change_password.not_now)}
                    " "
                    <button type="button" class="button-link" on:click=move |_| spawn_local(auth.sign_out())>
                        {t!(i18n, top_bar.sign_out)}
                    </button>
                </p>
            </div>
        </div>
    }
}
