//! Where an outbound reply stands: Queued, Sending…, Sent ✓, or Failed /
//! Unknown with the reason as a sentence. Follows the status live, so a
//! message's row (and its media) stays in place while it goes out.

use leptos::prelude::*;
use shared::api::DeliveryState as State;

use crate::labels::delivery_text;

#[component]
pub fn DeliveryState(
    /// The message's status and error, as they change.
    #[prop(into)]
    delivery: Signal<(Option<State>, Option<String>)>,
) -> impl IntoView {
    let shown = Memo::new(move |_| {
        delivery.with(|(status, error)| delivery_text(*status, error.as_deref()))
    });
    view! {
        <span
            class=move || format!("delivery-state delivery-{}", shown.get().0.as_str())
            data-state=move || shown.get().0.as_str()
        >
            {move || shown.get().1}
        </span>
    }
}
