//! What a list shows when it has nothing in it: one sentence saying what
//! happens next or what to do.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconKind};

#[component]
pub fn EmptyState(
    icon: IconKind,
    /// A heading above the sentence, if any.
    #[prop(optional, into)]
    title: Option<TextProp>,
    /// The sentence (a closure re-renders it in another language).
    #[prop(into)]
    message: TextProp,
) -> impl IntoView {
    view! {
        <div class="state state-empty">
            <span class="state-icon">
                <Icon kind=icon />
            </span>
            {title.map(|title| view! { <p class="state-title">{move || title.get()}</p> })}
            <p class="state-message">{move || message.get()}</p>
        </div>
    }
}
