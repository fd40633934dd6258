//! A conversation's messages, oldest at the top. Opens scrolled to the
//! newest message and follows new ones; new client messages are also read
//! out through a polite live region.

use std::collections::HashSet;

use leptos::html;
use leptos::prelude::*;
use shared::api::MessageView;

use crate::bottom_pin::BottomPin;
use crate::components::error_state::ErrorState;
use crate::components::message_item::MessageItem;
use crate::components::skeleton_rows::SkeletonRows;
use crate::labels::{event_label, placeholder};
use crate::remote::{LoadStatus, RemoteList};

/// What a screen reader hears for a new client message.
fn announcement(contact: &str, message: &MessageView) -> String {
    let text = match (message.kind.as_str(), message.body.as_deref()) {
        ("event", name) => event_label(name),
        (kind, body) => match (placeholder(kind), body) {
            (Some(label), _) => label.to_owned(),
            (None, Some(body)) => body.to_owned(),
            (None, None) => kind.to_owned(),
        },
    };
    format!("New message from {contact}: {text}")
}

#[component]
pub fn MessageTimeline(
    messages: RemoteList<MessageView>,
    /// The contact's display name, for announcements.
    contact: Signal<String>,
    now: Signal<i64>,
    on_retry: Callback<()>,
) -> impl IntoView {
    let scroller = NodeRef::<html::Div>::new();
    let content = NodeRef::<html::Div>::new();
    let announced = RwSignal::new(String::new());
    // Ids already shown; `None` until the first load, which is not announced.
    let known = StoredValue::new(None::<HashSet<String>>);
    let newest = Memo::new(move |_| messages.items.with(|m| m.last().map(|m| m.id.clone())));

    // Follow the newest message: on open and whenever one arrives.
    let pin = BottomPin::new(scroller, content);
    Effect::new(move |_| {
        newest.track();
        pin.jump();
    });

    Effect::new(move |_| {
        if messages.status.get() != LoadStatus::Ready {
            return;
        }
        let fresh = messages.items.with(|items| {
            let ids: HashSet<String> = items.iter().map(|m| m.id.clone()).collect();
            let previous = known.try_update_value(|known| known.replace(ids)).flatten();
            previous.map(|previous| {
                items
                    .iter()
                    .filter(|m| m.direction == "in" && !previous.contains(&m.id))
                    .map(|m| announcement(&contact.get_untracked(), m))
                    .collect::<Vec<_>>()
            })
        });
        if let Some(fresh) = fresh.filter(|f| !f.is_empty()) {
            announced.set(fresh.join(". "));
        }
    });

    view! {
        <div
            class="timeline"
            node_ref=scroller
            tabindex="0"
            aria-label="Messages"
            on:scroll=move |_| pin.on_scroll()
        >
            <div class="timeline-content" node_ref=content>
            {move || match messages.status.get() {
                LoadStatus::Loading => {
                    view! { <SkeletonRows rows=5 label="Loading messages…" /> }.into_any()
                }
                LoadStatus::Failed(error) => {
                    view! { <ErrorState error=error on_retry=on_retry /> }.into_any()
                }
                LoadStatus::Ready => {
                    view! {
                        <Show
                            when=move || messages.items.with(|items| !items.is_empty())
                            fallback=|| {
                                view! { <p class="timeline-empty">"No messages in this conversation yet."</p> }
                            }
                        >
                            <ol class="message-list">
                                <For
                                    each=move || messages.items.get()
                                    key=|m| (m.id.clone(), m.status.clone(), m.error.clone(), m.body.clone())
                                    children=move |message| view! { <MessageItem message=message now=now /> }
                                />
                            </ol>
                        </Show>
                    }
                        .into_any()
                }
            }}
            </div>
        </div>
        <p class="visually-hidden conversation-announcer" aria-live="polite" aria-atomic="true">
            {move || announced.get()}
        </p>
    }
}
