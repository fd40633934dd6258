//! Where an outbound reply stands: Queued, Sending…, Sent ✓, or Failed /
//! Unknown with the reason as a sentence.

use leptos::prelude::*;

use crate::labels::delivery_text;

#[component]
pub fn DeliveryState(status: Option<String>, error: Option<String>) -> impl IntoView {
    let (state, text) = delivery_text(status.as_deref(), error.as_deref());
    view! {
        <span class=format!("delivery-state delivery-{state}") data-state=state>
            {text}
        </span>
    }
}
