//! Who else is in this conversation: "Ken is viewing", or "Ken is
//! replying…" with a Take over button while Ken holds the reply lock.

use leptos::prelude::*;
use shared::ws::{ClientMessage, Person};
use shared::ConversationId;

use crate::state::auth::AuthState;
use crate::state::live::LiveState;

/// "Ken", "Ken and Amy", "Ken, Amy and 2 others".
pub fn names_sentence(people: &[String]) -> String {
    match people {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} others", rest.len()),
    }
}

#[component]
pub fn PresenceLine(conversation: ConversationId, can_write: bool) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let me = move || auth.user().map(|u| u.id);
    let others = move |people: &[Person]| -> Vec<String> {
        let me = me();
        people
            .iter()
            .filter(|p| Some(p.id) != me)
            .map(|p| p.name.clone())
            .collect()
    };
    let state = move || {
        live.presence
            .with(|all| all.get(&conversation).cloned())
            .unwrap_or_default()
    };
    let holder = move || {
        state()
            .lock
            .filter(|l| Some(l.holder.id) != me())
            .map(|l| l.holder.name)
    };
    let viewers = move || {
        let state = state();
        let holder = holder();
        others(&state.viewers)
            .into_iter()
            .filter(|name| Some(name) != holder.as_ref())
            .collect::<Vec<_>>()
    };
    let take_over = move |_| {
        live.tell(ClientMessage::TakeOver { conversation });
    };
    view! {
        <div class="presence-line" role="status" aria-live="polite">
            {move || holder().map(|name| view! {
                <span class="presence-replying" data-holder=name.clone()>
                    <span class="presence-dot is-typing" aria-hidden="true"></span>
                    {format!("{name} is replying…")}
                </span>
                {can_write.then(|| view! {
                    <button type="button" class="button button-small take-over" on:click=take_over>
                        "Take over"
                    </button>
                })}
            })}
            {move || {
                let names = viewers();
                (!names.is_empty()).then(|| {
                    let verb = if names.len() == 1 { "is" } else { "are" };
                    view! {
                        <span class="presence-viewing">
                            <span class="presence-dot" aria-hidden="true"></span>
                            {format!("{} {verb} viewing", names_sentence(&names))}
                        </span>
                    }
                })
            }}
        </div>
    }
}
