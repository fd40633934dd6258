//! The open conversation: header with actions, the timeline (paged back as
//! the agent scrolls up), the composer with presence (hidden for
//! compliance, who read only) and the contact panel. Tells colleagues it
//! is being viewed, marks it read, and refetches when live events touch it
//! or the connection comes back.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Colleague, ContactView, ConversationSummary, MessageView, ReplyWindow, Status};
use shared::Role;

use crate::api;
use crate::api::conversations::MESSAGE_PAGE;
use crate::canned::CannedContext;
use crate::components::composer::Composer;
use crate::components::contact_panel::ContactPanel;
use crate::components::conversation_header::ConversationHeader;
use crate::components::message_timeline::MessageTimeline;
use crate::debounce::Debounce;
use crate::labels::contact_label;
use crate::message_merge::{merge_newest, prepend_older};
use crate::remote::{LoadStatus, RemoteList, RemoteValue};
use crate::state::auth::AuthState;
use crate::state::live::LiveState;
use crate::state::message_events::watch_conversation_events;

/// Live events often come in bursts (queued, then sent); refetch once.
const REFETCH_DELAY_MS: u32 = 300;
/// Pages fetched at most to reach a message opened from search.
const MAX_PAGES_TO_FOCUS: usize = 20;

#[component]
pub fn ConversationView(
    id: String,
    /// A message position to open at (from search).
    focus: Signal<Option<i64>>,
    now: Signal<i64>,
    /// Called with a sentence when the conversation left the user's sight.
    on_gone: Callback<String>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let messages = RemoteList::<MessageView>::new();
    let has_older = RwSignal::new(false);
    let loading_older = RwSignal::new(false);
    let window = RemoteValue::<ReplyWindow>::new();
    let summary = RwSignal::new(None::<ConversationSummary>);
    let contact = RemoteValue::<ContactView>::new();
    let colleagues = RwSignal::new(Vec::<Colleague>::new());
    let conversation = StoredValue::new(id.clone());
    let generation = StoredValue::new(0_u64);

    let read_only = Signal::derive(move || auth.user().is_some_and(|u| u.role == Role::Compliance));

    // The newest page, merged into what is loaded (older pages stay).
    let fetch_newest = move |first: bool| {
        let id = conversation.get_value();
        let number = generation.get_value() + 1;
        generation.set_value(number);
        if first {
            messages.status.set(LoadStatus::Loading);
        }
        spawn_local(async move {
            let result = api::conversations::messages(auth, id.clone(), None, MESSAGE_PAGE).await;
            if generation.try_get_value() != Some(number) {
                return;
            }
            match result {
                Ok(page) => {
                    let full = page.len() >= MESSAGE_PAGE;
                    let mut older = false;
                    messages.items.update(|loaded| {
                        if first {
                            loaded.clear();
                        }
                        older = merge_newest(loaded, page, full);
                    });
                    if first || older {
                        has_older.set(full);
                    }
                    messages.status.set(LoadStatus::Ready);
                    // Search: keep paging back until the message is loaded.
                    if let Some(position) = focus.get_untracked() {
                        for _ in 0..MAX_PAGES_TO_FOCUS {
                            let first_loaded = messages
                                .items
                                .with_untracked(|m| m.first().map(|m| m.position));
                            let Some(before) = first_loaded.filter(|p| *p > position) else {
                                break;
                            };
                            if !has_older.get_untracked() {
                                break;
                            }
                            match api::conversations::messages(auth, id.clone(), Some(before), 200)
                                .await
                            {
                                Ok(page) => {
                                    has_older.try_set(page.len() >= 200);
                                    messages
                                        .items
                                        .try_update(|loaded| prepend_older(loaded, page));
                                }
                                Err(_) => break,
                            }
                        }
                    }
                }
                Err(error) => {
                    if messages.status.get_untracked() != LoadStatus::Ready {
                        messages.status.set(LoadStatus::Failed(error));
                    }
                }
            }
        });
    };
    let load_older = move || {
        let Some(before) = messages
            .items
            .with_untracked(|m| m.first().map(|m| m.position))
        else {
            return;
        };
        loading_older.set(true);
        let id = conversation.get_value();
        spawn_local(async move {
            let result = api::conversations::messages(auth, id, Some(before), MESSAGE_PAGE).await;
            loading_older.try_set(false);
            if let Ok(page) = result {
                has_older.try_set(page.len() >= MESSAGE_PAGE);
                messages
                    .items
                    .try_update(|loaded| prepend_older(loaded, page));
            }
        });
    };
    let load_summary = move || {
        let id = conversation.get_value();
        spawn_local(async move {
            match api::conversations::one(auth, id).await {
                Ok(Some(fresh)) => {
                    summary.try_set(Some(fresh));
                }
                Ok(None) => {
                    if summary.try_get_untracked().flatten().is_some() {
                        on_gone.run("That conversation is no longer in your queues.".to_owned());
                    }
                }
                Err(_) => {}
            }
        });
    };
    let load_contact = move || {
        if let Some(contact_id) =
            summary.with_untracked(|s| s.as_ref().map(|s| s.contact_id.clone()))
        {
            contact.load(api::contacts::get(auth, contact_id));
        }
    };
    let mark_read = move || {
        let id = conversation.get_value();
        let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
        if visible && summary.with_untracked(|s| s.as_ref().is_some_and(|s| s.unread)) {
            spawn_local(async move {
                let _ = api::conversations::mark_read(auth, id).await;
            });
        }
    };
    let refresh = move || {
        fetch_newest(false);
        load_summary();
        window.load(api::conversations::window(auth, conversation.get_value()));
    };

    fetch_newest(true);
    load_summary();
    window.load(api::conversations::window(auth, id.clone()));
    {
        let id = id.clone();
        spawn_local(async move {
            if let Ok(list) = api::conversations::colleagues(auth, id).await {
                colleagues.try_set(list);
            }
        });
    }
    // The contact loads once the summary names them, and again when the
    // conversation's status changes (their history lists it).
    Effect::new(move |previous: Option<Option<(String, Status)>>| {
        let key = summary.with(|s| s.as_ref().map(|s| (s.contact_id.clone(), s.status)));
        if key.is_some() && previous.as_ref() != Some(&key) {
            load_contact();
        }
        key
    });
    // A renamed contact renames the conversation too.
    Effect::new(move |previous: Option<Option<String>>| {
        let name = contact
            .value
            .with(|c| c.as_ref().and_then(|c| c.name.clone()));
        if previous.is_some_and(|p| p != name) {
            load_summary();
        }
        name
    });
    Effect::new(move |_| {
        if summary.with(|s| s.as_ref().is_some_and(|s| s.unread)) {
            mark_read();
        }
    });

    live.set_viewing(Some(id.clone()));
    on_cleanup(move || live.set_viewing(None));

    let debounce = Debounce::new(REFETCH_DELAY_MS);
    watch_conversation_events(live, move |touched| {
        if conversation.with_value(|id| touched.includes(id)) {
            debounce.call(refresh);
        }
    });
    // Contact edits (here or by a colleague) and reconnects.
    let contact_debounce = Debounce::new(REFETCH_DELAY_MS);
    Effect::new(move |_| {
        let edited = live.recent.with(|recent| {
            recent.front().is_some_and(|e| {
                e.kind == "contact.updated"
                    && contact.value.with_untracked(|c| {
                        c.as_ref().is_some_and(|c| {
                            e.payload.get("contact").and_then(|v| v.as_str()) == Some(c.id.as_str())
                        })
                    })
            })
        });
        if edited {
            contact_debounce.call(load_contact);
        }
    });
    Effect::new(move |previous: Option<u64>| {
        let connections = live.connections.get();
        if previous.is_some_and(|p| p != connections) {
            debounce.call(refresh);
        }
        connections
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

    let contact_name = Signal::derive(move || {
        summary.with(|s| match s {
            Some(s) => contact_label(s.contact_name.as_deref(), &s.open_id),
            None => "Conversation".to_owned(),
        })
    });
    let names =
        Signal::derive(move || colleagues.with(|c| c.iter().map(|c| c.name.clone()).collect()));
    let canned_context = Signal::derive(move || {
        let person = contact.value.get();
        CannedContext {
            contact_name: summary.with(|s| s.as_ref().and_then(|s| s.contact_name.clone())),
            contact_phone: person.as_ref().and_then(|c| c.phone.clone()),
            contact_email: person.as_ref().and_then(|c| c.email.clone()),
            agent_name: auth.user().map(|u| u.name),
            channel_name: summary.with(|s| s.as_ref().map(|s| s.channel_name.clone())),
        }
    });
    // No composer under "that conversation does not exist".
    let missing = move || matches!(messages.status.get(), LoadStatus::Failed(e) if e.status == 404);

    view! {
        <section class="inbox-pane inbox-conversation" aria-labelledby="conversation-title" data-id=id.clone()>
            <div class="conversation-main">
                <ConversationHeader
                    id=id.clone()
                    summary=summary
                    contact=contact_name
                    window=window
                    colleagues=colleagues
                    read_only=read_only
                    now=now
                    on_gone=on_gone
                />
                <MessageTimeline
                    messages=messages
                    has_older=has_older
                    loading_older=loading_older
                    on_load_older=Callback::new(move |()| load_older())
                    focus=focus
                    contact=contact_name
                    names=names
                    now=now
                    on_retry=Callback::new(move |()| fetch_newest(true))
                />
                <Show
                    when=move || !read_only.get() && !missing()
                    fallback=move || {
                        read_only
                            .get()
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
                        colleagues=colleagues.into()
                        canned_context=canned_context
                        now=now
                        on_change=Callback::new(move |()| refresh())
                    />
                </Show>
            </div>
            <ContactPanel
                contact=contact
                conversation=conversation.get_value()
                read_only=read_only
                now=now
                on_retry=Callback::new(move |()| load_contact())
            />
        </section>
    }
}
