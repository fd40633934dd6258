//! The page for addresses that match no route.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconKind};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <main id="main" class="not-found-page">
            <div class="not-found-panel">
                <span class="state-icon">
                    <Icon kind=IconKind::Compass />
                </span>
                <p class="not-found-code">"404 · not_found"</p>
                <h1 class="not-found-title">"There is no page at this address"</h1>
                <p class="not-found-text">
                    "The link may be out of date, or the address may have a typo."
                </p>
                <a class="button button-primary" href="/">
                    "Go to the inbox"
                </a>
            </div>
        </main>
    }
}
