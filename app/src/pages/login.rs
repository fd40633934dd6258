//! The sign-in page at /login.

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::api::LoginRequest;

use crate::api::{self, ApiError};
use crate::components::form_banner::FormBanner;
use crate::components::form_field::FormField;
use crate::components::icon::{Icon, IconKind};
use crate::i18n::{t, t_string, use_i18n};
use crate::state::auth::{AuthState, AuthStatus};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let password_input = NodeRef::<html::Input>::new();

    // Signed in already (or just now): straight to work.
    Effect::new(move |_| {
        if auth.status() == AuthStatus::SignedIn {
            navigate(
                "/inbox",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let request = LoginRequest {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        if request.email.is_empty() || request.password.is_empty() {
            error.set(Some(ApiError::validation(t_string!(i18n, login.missing))));
            return;
        }
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match api::auth::login(&request).await {
                Ok(session) => {
                    password.try_set(String::new());
                    auth.start_session(session);
                }
                Err(failure) => {
                    error.try_set(Some(failure));
                    password.try_set(String::new());
                    busy.try_set(false);
                    if let Some(input) = password_input.get_untracked() {
                        let _ = input.focus();
                    }
                }
            }
        });
    };

    view! {
        <main id="main" class="login-page">
            <div class="login-panel">
                <div class="login-brand">
                    <span class="brand-mark">
                        <Icon kind=IconKind::Anchor />
                    </span>
                    <span class="brand-name">"Harbour"</span>
                </div>
                <h1 class="login-title">{t!(i18n, login.title)}</h1>
                <p class="login-lede">{t!(i18n, brand.tagline)}</p>
                <form class="login-form" novalidate on:submit=submit>
                    <FormField control="login-email" label=move || t_string!(i18n, login.email)>
                        <input
                            id="login-email"
                            name="email"
                            type="email"
                            autocomplete="username"
                            inputmode="email"
                            autofocus
                            required
                            bind:value=email
                        />
                    </FormField>
                    <FormField control="login-password" label=move || t_string!(i18n, login.password)>
                        <input
                            id="login-password"
                            name="password"
                            type="password"
                            autocomplete="current-password"
                            required
                            node_ref=password_input
                            bind:value=password
                        />
                    </FormField>
                    <FormBanner error=error />
                    <button
                        type="submit"
                        class="button button-primary button-block"
                        disabled=move || busy.get()
                    >
                        {move || {
                            if busy.get() {
                                t_string!(i18n, login.submitting)
                            } else {
                                t_string!(i18n, login.submit)
                            }
                        }}
                    </button>
                </form>
                <p class="login-footnote">{t!(i18n, login.footnote)}</p>
            </div>
        </main>
    }
}
