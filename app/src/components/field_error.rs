//! The message under a form field that the server or the form rejected.
//! The input points at it with `aria-describedby`.

use leptos::prelude::*;

#[component]
pub fn FieldError(
    /// Element id, referenced by the input's `aria-describedby`.
    #[prop(into)]
    id: String,
    message: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        {move || {
            message.get().map(|text| view! { <p class="field-error" id=id.clone()>{text}</p> })
        }}
    }
}
