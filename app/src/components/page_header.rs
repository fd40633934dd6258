//! The title block at the top of a page: what the page is and what it is for.

use leptos::prelude::*;

#[component]
pub fn PageHeader(title: &'static str, description: &'static str) -> impl IntoView {
    view! {
        <header class="page-header">
            <h1 class="page-title">{title}</h1>
            <p class="page-description">{description}</p>
        </header>
    }
}
