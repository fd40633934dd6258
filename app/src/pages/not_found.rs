//! The page for addresses that match no route.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconKind};
use crate::i18n::{t, use_i18n};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <main id="main" class="not-found-page">
            <div class="not-found-panel">
                <span class="state-icon">
                    <Icon kind=IconKind::Compass />
                </span>
                <p class="not-found-code">"404 · not_found"</p>
                <h1 class="not-found-title">{t!(i18n, not_found.title)}</h1>
                <p class="not-found-text">
                    {t!(i18n, not_found.text)}
                </p>
                <a class="button button-primary" href="/">
                    {t!(i18n, not_found.go_inbox)}
                </a>
            </div>
        </main>
    }
}
