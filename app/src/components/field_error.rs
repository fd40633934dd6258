//! The message under a form field that the server or the form rejected.
//! The input points at it with `aria-describedby`.

use leptos::prelude::*;

#[component]
pub fn FieldError(
    /// Element id, referenced by the input's `aria-describedby`; none when
    /// nothing points at the message.
    #[prop(optional, into)]
    id: Option<String>,
    message: Signal<Option<String>>,
    /// Keep the line in the page, empty until there is a message, as a live
    /// region: a screen reader reads the message the moment it appears.
    #[prop(optional)]
    announce: bool,
) -> impl IntoView {
    if announce {
        return view! {
            <p class="field-error" id=id role="alert">
                {move || message.get()}
            </p>
        }
        .into_any();
    }
    (move || {
        message
            .get()
            .map(|text| view! { <p class="field-error" id=id.clone()>{text}</p> })
    })
    .into_any()
}
