//! The inbox at /inbox and /inbox/{id}: the queue's conversation list
//! beside the open conversation (with its contact panel). Owns the
//! keyboard shortcuts, the queue counts, the unread count in the tab title
//! and the opt-in notifications. `?at=<position>` opens a conversation at
//! one message (search results link there). An `{id}` that is not a
//! conversation id shows as a conversation that does not exist.

use std::collections::HashMap;
use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use shared::ConversationId;
use wasm_bindgen::JsCast;

use crate::api;
use crate::clock::use_now;
use crate::components::conversation_list::ConversationList;
use crate::components::conversation_view::{ConversationView, MissingConversation};
use crate::components::empty_state::EmptyState;
use crate::components::icon::IconKind;
use crate::debounce::Debounce;
use crate::i18n::td_string;
use crate::notify;
use crate::queues::{Filters, ListQuery, Queue, Sort};
use crate::shortcuts::{shortcut_for, takes_text, Modifiers, Shortcut};
use crate::state::auth::AuthState;
use crate::state::inbox::{InboxState, QueueCount};
use crate::state::live::LiveState;
use crate::state::message_events::watch_conversation_events;

/// How often relative times ("2m") are brought up to date.
const CLOCK_TICK: Duration = Duration::from_secs(20);
/// Queue counts are recounted at most this often during bursts.
const COUNT_DELAY_MS: u32 = 1_000;
/// The queues counted (cheap ones: small by nature).
const COUNTED: [Queue; 3] = [Queue::Mine, Queue::Unassigned, Queue::Mentions];

/// What the address opens beside the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opened {
    Nothing,
    Conversation(ConversationId),
    /// The `{id}` is not a conversation id, so no such conversation exists.
    Missing,
}

impl Opened {
    /// Reads `/inbox/{id}`'s `id`, once.
    fn from_param(id: Option<&str>) -> Self {
        match id.filter(|id| !id.is_empty()) {
            None => Opened::Nothing,
            Some(id) => id.parse().map_or(Opened::Missing, Opened::Conversation),
        }
    }

    fn conversation(self) -> Option<ConversationId> {
        match self {
            Opened::Conversation(id) => Some(id),
            Opened::Nothing | Opened::Missing => None,
        }
    }
}

/// Whether a key press comes from somewhere that takes typed text.
fn typing_target(event: &web_sys::KeyboardEvent) -> bool {
    let Some(element) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return false;
    };
    takes_text(
        &element.tag_name(),
        element.is_content_editable(),
        element.get_attribute("type").as_deref(),
    )
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let inbox = expect_context::<InboxState>();
    let params = use_params_map();
    let query = use_query_map();
    let navigate = use_navigate();
    let opened = Memo::new(move |_| params.with(|p| Opened::from_param(p.get_str("id"))));
    let selected = Memo::new(move |_| opened.get().conversation());
    let focus = Signal::derive(move || {
        query
            .with(|q| q.get("at"))
            .and_then(|at| at.parse::<i64>().ok())
    });
    let now = use_now(CLOCK_TICK);
    let notice = RwSignal::new(None::<String>);

    // Keyboard shortcuts, except while typing in a field.
    let handle = window_event_listener(ev::keydown, move |event| {
        let modifiers = Modifiers {
            ctrl: event.ctrl_key(),
            meta: event.meta_key(),
            alt: event.alt_key(),
        };
        let Some(shortcut) = shortcut_for(&event.key(), modifiers, typing_target(&event)) else {
            return;
        };
        if inbox.search_open.get_untracked() && shortcut != Shortcut::Dismiss {
            return;
        }
        match shortcut {
            Shortcut::Search => {
                event.prevent_default();
                inbox.help_open.set(false);
                inbox.search_open.set(true);
            }
            Shortcut::Help => inbox.help_open.update(|open| *open = !*open),
            Shortcut::Dismiss => {
                inbox.help_open.set(false);
                inbox.search_open.set(false);
                inbox.fire(Shortcut::Dismiss);
            }
            other => {
                event.prevent_default();
                inbox.fire(other);
            }
        }
    });
    on_cleanup(move || handle.remove());

    // Queue counts, the tab title and notifications of new messages.
    let seen = StoredValue::new(None::<HashMap<ConversationId, i64>>);
    let count_queues = move || {
        spawn_local(async move {
            let mut counts = HashMap::new();
            for queue in COUNTED {
                let list = ListQuery {
                    queue,
                    sort: Sort::Activity,
                    filters: Filters::default(),
                };
                if let Ok(page) = api::conversations::page(auth, list, 100, None).await {
                    counts.insert(
                        queue,
                        QueueCount::from_page(&page.conversations, page.next.is_some()),
                    );
                }
            }
            let unread: HashMap<ConversationId, i64> = [Queue::Mine, Queue::Unassigned]
                .iter()
                .filter_map(|q| counts.get(q))
                .flat_map(|c| c.unread_ids.iter().copied())
                .collect();
            notify::set_title(unread.len());
            let previous = seen
                .try_update_value(|s| s.replace(unread.clone()))
                .flatten();
            if let Some(previous) = previous {
                let fresh: Vec<ConversationId> = unread
                    .iter()
                    .filter(|(id, at)| previous.get(*id).is_none_or(|p| p < *at))
                    .map(|(id, _)| *id)
                    .collect();
                let hidden = document().visibility_state() != web_sys::VisibilityState::Visible;
                let open = selected.get_untracked();
                let worth = fresh.iter().any(|id| hidden || open != Some(*id));
                if worth && inbox.notify.get_untracked() {
                    notify::chime();
                    if let Some(id) = fresh.first() {
                        let href = format!("/inbox/{id}");
                        let locale = crate::language::current_locale();
                        let body = if fresh.len() == 1 {
                            td_string!(locale, inbox.one_new).to_owned()
                        } else {
                            format!(
                                "{}{}{}",
                                td_string!(locale, inbox.many_new_before),
                                fresh.len(),
                                td_string!(locale, inbox.many_new_after)
                            )
                        };
                        notify::desktop(td_string!(locale, inbox.notification_title), &body, href);
                    }
                }
            }
            inbox.counts.try_set(counts);
        });
    };
    count_queues();
    let recount = Debounce::new(COUNT_DELAY_MS);
    watch_conversation_events(live, move |_| recount.call(count_queues));
    on_cleanup(|| notify::set_title(0));

    let on_gone = Callback::new(move |sentence: String| {
        notice.set(Some(sentence));
        navigate("/inbox", NavigateOptions::default());
    });

    view! {
        <div
            class="inbox"
            class:has-selection=move || opened.get() != Opened::Nothing
            class:contact-open=move || inbox.contact_open.get()
        >
            <h1 class="visually-hidden">{move || td_string!(crate::language::current_locale(), nav.inbox)}</h1>
            <ConversationList selected=selected.into() now=now />
            {move || match opened.get() {
                Opened::Conversation(id) => view! { <ConversationView id=id focus=focus now=now on_gone=on_gone /> }.into_any(),
                Opened::Missing => view! { <MissingConversation /> }.into_any(),
                Opened::Nothing => {
                    view! {
                        <section class="inbox-pane inbox-conversation inbox-no-selection" aria-label=move || td_string!(crate::language::current_locale(), timeline.conversation)>
                            <EmptyState
                                icon=IconKind::Message
                                message=move || td_string!(crate::language::current_locale(), inbox.pick)
                            />
                        </section>
                    }
                        .into_any()
                }
            }}
            {move || notice.get().map(|text| view! {
                <div class="toast" role="status">
                    <span>{text}</span>
                    <button type="button" class="button-link" on:click=move |_| notice.set(None)>{move || td_string!(crate::language::current_locale(), inbox.dismiss)}</button>
                </div>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_opens_a_conversation_only_by_its_id() {
        let id = ConversationId(uuid::Uuid::from_u128(7));
        assert_eq!(Opened::from_param(None), Opened::Nothing);
        assert_eq!(Opened::from_param(Some("")), Opened::Nothing);
        assert_eq!(
            Opened::from_param(Some(&id.to_string())),
            Opened::Conversation(id)
        );
        assert_eq!(Opened::from_param(Some("no-such-thing")), Opened::Missing);
        assert_eq!(
            Opened::from_param(Some("no-such-thing")).conversation(),
            None
        );
    }
}
