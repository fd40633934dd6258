//! What a list shows when it has nothing in it: one sentence saying what
//! happens next or what to do.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconKind};

#[component]
pub fn EmptyState(
    icon: IconKind,
    #[prop(optional)] title: &'static str,
    message: &'static str,
) -> impl IntoView {
    view! {
        <div class="state state-empty">
            <span class="state-icon">
                <Icon kind=icon />
            </span>
            {(!title.is_empty()).then(|| view! { <p class="state-title">{title}</p> })}
            <p class="state-message">{message}</p>
        </div>
    }
}
