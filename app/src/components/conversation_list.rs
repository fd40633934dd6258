//! The conversation list pane: newest activity first, with loading, empty
//! and error states. The page keeps it fresh from live events.

use leptos::prelude::*;
use shared::api::ConversationSummary;

use crate::components::conversation_row::ConversationRow;
use crate::components::empty_state::EmptyState;
use crate::components::error_state::ErrorState;
use crate::components::icon::IconKind;
use crate::components::skeleton_rows::SkeletonRows;
use crate::remote::{LoadStatus, RemoteList};

/// What makes a row look different; a change re-renders that row.
type RowKey = (
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
);

fn row_key(c: &ConversationSummary) -> RowKey {
    (
        c.id.clone(),
        c.last_message_at,
        c.preview.clone(),
        c.waiting_since,
        c.contact_name.clone(),
        c.channel_name.clone(),
    )
}

#[component]
pub fn ConversationList(
    conversations: RemoteList<ConversationSummary>,
    selected: Signal<Option<String>>,
    now: Signal<i64>,
    on_retry: Callback<()>,
) -> impl IntoView {
    let count = move || {
        (conversations.status.get() == LoadStatus::Ready)
            .then(|| conversations.items.with(Vec::len).to_string())
    };
    let waiting = move || {
        let n = conversations
            .items
            .with(|items| items.iter().filter(|c| c.waiting_since.is_some()).count());
        (n > 0).then(|| format!("{n} waiting"))
    };

    view! {
        <section class="inbox-pane inbox-list" aria-labelledby="conversations-title">
            <header class="pane-header">
                <h2 id="conversations-title" class="pane-title">
                    "Conversations"
                    {move || count().map(|n| view! { <span class="pane-count">{n}</span> })}
                </h2>
                <span class="pane-meta">{waiting}</span>
            </header>
            <div class="pane-body">
                {move || match conversations.status.get() {
                    LoadStatus::Loading => {
                        view! { <SkeletonRows rows=8 label="Loading conversations…" /> }.into_any()
                    }
                    LoadStatus::Failed(error) => {
                        view! { <ErrorState error=error on_retry=on_retry /> }.into_any()
                    }
                    LoadStatus::Ready => {
                        view! {
                            <Show
                                when=move || conversations.items.with(|items| !items.is_empty())
                                fallback=|| {
                                    view! {
                                        <EmptyState
                                            icon=IconKind::Message
                                            message="No conversations yet. New WeChat messages land here."
                                        />
                                    }
                                }
                            >
                                <ul class="conversation-list" aria-label="Conversations, newest first">
                                    <For
                                        each=move || conversations.items.get()
                                        key=row_key
                                        children=move |conversation| {
                                            view! {
                                                <ConversationRow
                                                    conversation=conversation
                                                    selected=selected
                                                    now=now
                                                />
                                            }
                                        }
                                    />
                                </ul>
                            </Show>
                        }
                            .into_any()
                    }
                }}
            </div>
        </section>
    }
}
