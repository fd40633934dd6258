//! Shows its children to admins and a plain explanation to everyone else.
//! The server enforces the same rule; this only saves a pointless request.

use leptos::prelude::*;
use shared::{ErrorBody, ErrorCode};

use crate::api::{ApiError, Origin};
use crate::components::error_state::ErrorState;
use crate::components::icon::IconKind;
use crate::state::auth::AuthState;

/// The page someone without the role sees: why, in their language
/// (`field` names the sentence; `message` is the English fallback).
pub fn forbidden_page(field: &'static str, message: &'static str) -> impl IntoView {
    let error = ApiError {
        status: 403,
        body: ErrorBody {
            field: Some(field.to_owned()),
            ..ErrorBody::new(ErrorCode::Forbidden, message)
        },
        origin: Origin::Server,
    };
    view! {
        <div class="page">
            <ErrorState error=error icon=IconKind::Lock />
        </div>
    }
}

#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let forbidden = || {
        forbidden_page(
            "admin_page",
            "Only administrators can open this page. Ask an administrator if you need access.",
        )
    };
    view! {
        <Show when=move || auth.is_admin() fallback=forbidden>
            {children()}
        </Show>
    }
}
