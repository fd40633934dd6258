//! The title block at the top of a page: what the page is and what it is for.

use leptos::prelude::*;

#[component]
pub fn PageHeader(
    /// The page's title (a closure re-renders it in another language).
    #[prop(into)]
    title: TextProp,
    /// One sentence on what the page is for.
    #[prop(into)]
    description: TextProp,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <h1 class="page-title">{move || title.get()}</h1>
            <p class="page-description">{move || description.get()}</p>
        </header>
    }
}
