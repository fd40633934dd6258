//! A conversation's timeline, oldest at the top. Opens at the newest entry
//! and follows new ones; scrolling to the top fetches older pages without
//! moving what is on screen; a search result opens it at one message. New
//! client messages are read out through a polite live region.

use std::collections::{HashMap, HashSet};

use leptos::html;
use leptos::prelude::*;
use shared::api::{Direction, MessageView};
use shared::MessageId;
use wasm_bindgen::JsCast;

use crate::bottom_pin::BottomPin;
use crate::components::error_state::ErrorState;
use crate::components::message_item::MessageItem;
use crate::components::skeleton_rows::SkeletonRows;
use crate::i18n::td_string;
use crate::labels::{event_label, placeholder};
use crate::remote::{LoadStatus, RemoteList};

/// Closer than this to the top starts fetching the previous page.
const OLDER_THRESHOLD_PX: i32 = 160;

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
    let before = td_string!(
        crate::language::current_locale(),
        timeline.new_message_before
    );
    format!("{before}{contact}: {text}")
}

#[component]
pub fn MessageTimeline(
    messages: RemoteList<MessageView>,
    /// Whether older entries exist before the first one loaded.
    has_older: RwSignal<bool>,
    loading_older: RwSignal<bool>,
    on_load_older: Callback<()>,
    /// The position of a message to open at (from search), if any.
    focus: Signal<Option<i64>>,
    /// The contact's display name, for announcements.
    contact: Signal<String>,
    names: Signal<Vec<String>>,
    now: Signal<i64>,
    on_retry: Callback<()>,
) -> impl IntoView {
    let scroller = NodeRef::<html::Div>::new();
    let content = NodeRef::<html::Div>::new();
    let announced = RwSignal::new(String::new());
    // Ids already shown; `None` until the first load, which is not announced.
    let known = StoredValue::new(None::<HashSet<MessageId>>);
    let newest = Memo::new(move |_| messages.items.with(|m| m.last().map(|m| m.id)));
    let oldest = Memo::new(move |_| messages.items.with(|m| m.first().map(|m| m.id)));
    // (scroll height, scroll top) before an older page went in above.
    let anchor = StoredValue::new(None::<(i32, i32)>);
    let focused = StoredValue::new(None::<i64>);

    // Outbound messages' (status, error) by id. A row is keyed without them
    // and follows its own entry here, so a reply going out (queued → sent)
    // updates in place instead of being rebuilt, which would fetch its
    // image again.
    let deliveries = Memo::new(move |_| {
        messages.items.with(|items| {
            items
                .iter()
                .filter(|m| matches!(m.direction, Direction::Out))
                .map(|m| (m.id, (m.status, m.error.clone())))
                .collect::<HashMap<_, _>>()
        })
    });

    // Every refetch sets Ready again; only a real change may rebuild the list.
    let status = Memo::new(move |_| messages.status.get());

    let pin = BottomPin::new(scroller, content);
    Effect::new(move |_| {
        newest.track();
        if focus.get_untracked().is_some() && focused.get_value() != focus.get_untracked() {
            return;
        }
        pin.jump();
    });
    // Keep the reader's place when older entries are put in above.
    Effect::new(move |_| {
        oldest.track();
        let Some((height, top)) = anchor.get_value() else {
            return;
        };
        anchor.set_value(None);
        request_animation_frame(move || {
            if let Some(element) = scroller.get_untracked() {
                element.set_scroll_top(element.scroll_height() - height + top);
            }
        });
    });
    // Open at a message found by search, once it is loaded.
    Effect::new(move |_| {
        let Some(position) = focus.get() else {
            return;
        };
        let present = messages
            .items
            .with(|m| m.iter().any(|m| m.position == position));
        if !present || focused.get_value() == Some(position) {
            return;
        }
        focused.set_value(Some(position));
        request_animation_frame(move || {
            let Some(element) = scroller.get_untracked() else {
                return;
            };
            let selector = format!("[data-position=\"{position}\"]");
            if let Ok(Some(target)) = element.query_selector(&selector) {
                pin.unpin();
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Center);
                target.scroll_into_view_with_scroll_into_view_options(&options);
                let _ = target.class_list().add_1("is-found");
                if let Ok(html) = target.dyn_into::<web_sys::HtmlElement>() {
                    let _ = html.set_attribute("tabindex", "-1");
                    let _ = html.focus();
                }
            }
        });
    });

    Effect::new(move |_| {
        if messages.status.get() != LoadStatus::Ready {
            return;
        }
        let fresh = messages.items.with(|items| {
            let ids: HashSet<MessageId> = items.iter().map(|m| m.id).collect();
            let previous = known.try_update_value(|known| known.replace(ids)).flatten();
            previous.map(|previous| {
                items
                    .iter()
                    .filter(|m| matches!(m.direction, Direction::In) && !previous.contains(&m.id))
                    .map(|m| announcement(&contact.get_untracked(), m))
                    .collect::<Vec<_>>()
            })
        });
        if let Some(fresh) = fresh.filter(|f| !f.is_empty()) {
            announced.set(fresh.join(". "));
        }
    });

    let on_scroll = move |_| {
        pin.on_scroll();
        let Some(element) = scroller.get_untracked() else {
            return;
        };
        if element.scroll_top() < OLDER_THRESHOLD_PX
            && has_older.get_untracked()
            && !loading_older.get_untracked()
            && messages.status.get_untracked() == LoadStatus::Ready
        {
            anchor.set_value(Some((element.scroll_height(), element.scroll_top())));
            on_load_older.run(());
        }
    };

    view! {
        <div
            class="timeline"
            node_ref=scroller
            tabindex="0"
            aria-label=move || td_string!(crate::language::current_locale(), timeline.messages)
            on:scroll=on_scroll
        >
            <div class="timeline-content" node_ref=content>
            {move || match status.get() {
                LoadStatus::Loading => {
                    view! { <SkeletonRows rows=5 label=move || td_string!(crate::language::current_locale(), timeline.loading) /> }.into_any()
                }
                LoadStatus::Failed(error) => {
                    view! { <ErrorState error=error on_retry=on_retry /> }.into_any()
                }
                LoadStatus::Ready => {
                    view! {
                        {move || {
                            if loading_older.get() {
                                Some(view! { <p class="timeline-older" role="status">{move || td_string!(crate::language::current_locale(), timeline.loading_older)}</p> }.into_any())
                            } else if !has_older.get() && messages.items.with(|m| !m.is_empty()) {
                                Some(view! { <p class="timeline-older">{move || td_string!(crate::language::current_locale(), timeline.start)}</p> }.into_any())
                            } else {
                                None
                            }
                        }}
                        <Show
                            when=move || messages.items.with(|items| !items.is_empty())
                            fallback=|| {
                                view! { <p class="timeline-empty">{move || td_string!(crate::language::current_locale(), timeline.empty)}</p> }
                            }
                        >
                            <ol class="message-list">
                                <For
                                    each=move || messages.items.get()
                                    // A recall redraws the entry, as new media does.
                                    key=|m| (m.id, m.body.clone(), m.media.as_ref().map(|m| m.state), m.recalled_at)
                                    children=move |message| {
                                        let id = message.id;
                                        let first = (message.status, message.error.clone());
                                        let delivery = Memo::new(move |_| {
                                            deliveries.with(|d| d.get(&id).cloned().unwrap_or_else(|| first.clone()))
                                        });
                                        view! { <MessageItem message=message delivery=delivery now=now names=names /> }
                                    }
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
