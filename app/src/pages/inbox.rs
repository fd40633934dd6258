//! The inbox at /inbox and /inbox/{id}: the conversation list beside the
//! open conversation. The list refetches (debounced) whenever a live event
//! touches any conversation; a reload of /inbox/{id} reopens that one.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::ConversationSummary;

use crate::api;
use crate::clock::use_now;
use crate::components::conversation_list::ConversationList;
use crate::components::conversation_view::ConversationView;
use crate::components::empty_state::EmptyState;
use crate::components::icon::IconKind;
use crate::debounce::Debounce;
use crate::remote::RemoteList;
use crate::state::auth::AuthState;
use crate::state::live::LiveState;
use crate::state::message_events::watch_conversation_events;

/// Live events come in bursts; one refetch per burst is enough.
const REFETCH_DELAY_MS: u32 = 300;
/// How often relative times ("2m") are brought up to date.
const CLOCK_TICK: Duration = Duration::from_secs(20);

#[component]
pub fn InboxPage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let params = use_params_map();
    let selected = Memo::new(move |_| params.with(|p| p.get("id")).filter(|id| !id.is_empty()));
    let now: Signal<i64> = use_now(CLOCK_TICK).into();

    let conversations = RemoteList::<ConversationSummary>::new();
    let load = move || conversations.load(api::conversations::list(auth));
    load();
    let debounce = Debounce::new(REFETCH_DELAY_MS);
    watch_conversation_events(live, move |_| {
        debounce.call(move || conversations.refresh(api::conversations::list(auth)));
    });

    let summary = Memo::new(move |_| {
        let id = selected.get()?;
        conversations
            .items
            .with(|items| items.iter().find(|c| c.id == id).cloned())
    });

    view! {
        <div class="inbox" class:has-selection=move || selected.with(Option::is_some)>
            <h1 class="visually-hidden">"Inbox"</h1>
            <ConversationList
                conversations=conversations
                selected=selected.into()
                now=now
                on_retry=Callback::new(move |()| load())
            />
            {move || match selected.get() {
                Some(id) => view! { <ConversationView id=id summary=summary.into() now=now /> }.into_any(),
                None => {
                    view! {
                        <section class="inbox-pane inbox-conversation inbox-no-selection" aria-label="Conversation">
                            <EmptyState
                                icon=IconKind::Message
                                message="Pick a conversation on the left to read it and reply."
                            />
                        </section>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}
