//! What the open conversation shows, fetched from the server: its
//! messages (the newest page, older pages on demand), summary, reply
//! window, contact and colleagues.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Colleague, ContactView, ConversationSummary, MessageView, ReplyWindow};
use shared::ConversationId;

use crate::api;
use crate::api::conversations::MESSAGE_PAGE;
use crate::i18n::td_string;
use crate::message_merge::{merge_newest, prepend_older};
use crate::remote::{LoadStatus, RemoteList, RemoteValue};
use crate::state::auth::AuthState;

/// Pages fetched at most to reach a message opened from search.
const MAX_PAGES_TO_FOCUS: usize = 20;

#[derive(Clone, Copy)]
pub struct ConversationData {
    pub conversation: ConversationId,
    pub messages: RemoteList<MessageView>,
    pub has_older: RwSignal<bool>,
    pub loading_older: RwSignal<bool>,
    pub window: RemoteValue<ReplyWindow>,
    pub summary: RwSignal<Option<ConversationSummary>>,
    pub contact: RemoteValue<ContactView>,
    pub colleagues: RwSignal<Vec<Colleague>>,
    /// A message position to open at (from search).
    focus: Signal<Option<i64>>,
    /// Called with a sentence when the conversation left the user's sight.
    on_gone: Callback<String>,
    /// Answers to an older fetch of the newest page are dropped.
    generation: StoredValue<u64>,
    auth: AuthState,
}

impl ConversationData {
    pub fn new(
        auth: AuthState,
        id: ConversationId,
        focus: Signal<Option<i64>>,
        on_gone: Callback<String>,
    ) -> Self {
        ConversationData {
            conversation: id,
            messages: RemoteList::new(),
            has_older: RwSignal::new(false),
            loading_older: RwSignal::new(false),
            window: RemoteValue::new(),
            summary: RwSignal::new(None),
            contact: RemoteValue::new(),
            colleagues: RwSignal::new(Vec::new()),
            focus,
            on_gone,
            generation: StoredValue::new(0),
            auth,
        }
    }

    /// Everything, the first time.
    pub fn load_all(self) {
        let auth = self.auth;
        let id = self.conversation;
        self.fetch_newest(true);
        self.load_summary();
        self.window.load(api::conversations::window(auth, id));
        let colleagues = self.colleagues;
        spawn_local(async move {
            if let Ok(list) = api::conversations::colleagues(auth, id).await {
                colleagues.try_set(list);
            }
        });
    }

    /// What live events may have changed: messages, summary and window.
    pub fn refresh(self) {
        self.fetch_newest(false);
        self.load_summary();
        self.window
            .load(api::conversations::window(self.auth, self.conversation));
    }

    /// The newest page, merged into what is loaded (older pages stay).
    pub fn fetch_newest(self, first: bool) {
        let ConversationData {
            messages,
            has_older,
            focus,
            generation,
            auth,
            ..
        } = self;
        let id = self.conversation;
        let number = generation.get_value() + 1;
        generation.set_value(number);
        if first {
            messages.status.set(LoadStatus::Loading);
        }
        spawn_local(async move {
            let result = api::conversations::messages(auth, id, None, MESSAGE_PAGE).await;
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
                            match api::conversations::messages(auth, id, Some(before), 200).await {
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
    }

    pub fn load_older(self) {
        let ConversationData {
            messages,
            has_older,
            loading_older,
            conversation: id,
            auth,
            ..
        } = self;
        let Some(before) = messages
            .items
            .with_untracked(|m| m.first().map(|m| m.position))
        else {
            return;
        };
        loading_older.set(true);
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
    }

    pub fn load_summary(self) {
        let ConversationData {
            summary,
            conversation: id,
            on_gone,
            auth,
            ..
        } = self;
        spawn_local(async move {
            match api::conversations::one(auth, id).await {
                Ok(Some(fresh)) => {
                    summary.try_set(Some(fresh));
                }
                Ok(None) => {
                    if summary.try_get_untracked().flatten().is_some() {
                        on_gone.run(
                            td_string!(crate::language::current_locale(), conversation.gone)
                                .to_owned(),
                        );
                    }
                }
                Err(_) => {}
            }
        });
    }

    pub fn load_contact(self) {
        let ConversationData {
            summary,
            contact,
            auth,
            ..
        } = self;
        if let Some(contact_id) = summary.with_untracked(|s| s.as_ref().map(|s| s.contact_id)) {
            contact.load(api::contacts::get(auth, contact_id));
        }
    }

    pub fn mark_read(self) {
        let ConversationData {
            summary,
            conversation: id,
            auth,
            ..
        } = self;
        let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
        if visible && summary.with_untracked(|s| s.as_ref().is_some_and(|s| s.unread)) {
            spawn_local(async move {
                let _ = api::conversations::mark_read(auth, id).await;
            });
        }
    }
}
