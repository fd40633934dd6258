//! The open conversation: header with the reply window, the timeline and the
//! composer (hidden for compliance, who read only). Loads its messages and
//! window, and refetches both when a live event touches this conversation.

use leptos::prelude::*;
use shared::api::{ConversationSummary, MessageView, ReplyWindow};
use shared::Role;

use crate::api;
use crate::components::composer::Composer;
use crate::components::conversation_header::ConversationHeader;
use crate::components::message_timeline::MessageTimeline;
use crate::debounce::Debounce;
use crate::labels::contact_label;
use crate::remote::{LoadStatus, RemoteList, RemoteValue};
use crate::state::auth::AuthState;
use crate::state::live::LiveState;
use crate::state::message_events::watch_conversation_events;

/// Live events often come in bursts (queued, then sent); refetch once.
const REFETCH_DELAY_MS: u32 = 300;

#[component]
pub fn ConversationView(
    id: String,
    summary: Signal<Option<ConversationSummary>>,
    now: Signal<i64>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let messages = RemoteList::<MessageView>::new();
    let window = RemoteValue::<ReplyWindow>::new();
    let conversation = StoredValue::new(id.clone());

    let load_messages = move || {
        messages.load(api::conversations::messages(auth, conversation.get_value()));
    };
    let refresh = move || {
        let id = conversation.get_value();
        messages.refresh(api::conversations::messages(auth, id.clone()));
        window.load(api::conversations::window(auth, id));
    };
    load_messages();
    window.load(api::conversations::window(auth, id.clone()));

    let debounce = Debounce::new(REFETCH_DELAY_MS);
    watch_conversation_events(live, move |touched| {
        if conversation.with_value(|id| touched.includes(id)) {
            debounce.call(refresh);
        }
    });
    // When the window's deadline passes, ask the server how things stand.
    Effect::new(move |_| {
        let now = now.get();
        let expired = window.value.with(|w| {
            w.as_ref()
                .is_some_and(|w| w.open && w.closes_at.is_some_and(|at| at <= now))
        });
        if expired {
            debounce.call(refresh);
        }
    });

    let contact = Signal::derive(move || {
        summary.with(|s| match s {
            Some(s) => contact_label(s.contact_name.as_deref(), &s.open_id),
            None => "Conversation".to_owned(),
        })
    });
    let read_only = move || auth.user().is_some_and(|u| u.role == Role::Compliance);
    // No composer under "that conversation does not exist".
    let missing = move || matches!(messages.status.get(), LoadStatus::Failed(e) if e.status == 404);

    view! {
        <section class="inbox-pane inbox-conversation" aria-labelledby="conversation-title" data-id=id.clone()>
            <ConversationHeader summary=summary contact=contact window=window now=now />
            <MessageTimeline
                messages=messages
                contact=contact
                now=now
                on_retry=Callback::new(move |()| load_messages())
            />
            <Show
                when=move || !read_only() && !missing()
                fallback=move || {
                    read_only()
                        .then(|| {
                            view! {
                                <p class="read-only-note">
                                    "Compliance view: you can read this conversation but not reply."
                                </p>
                            }
                        })
                }
            >
                <Composer
                    conversation=conversation.get_value()
                    window=window
                    now=now
                    on_change=Callback::new(move |()| refresh())
                />
            </Show>
        </section>
    }
}
