//! What the conversation list holds and how it changes: pages fetched from
//! the server, and changes placed in the list now or held back while the
//! agent points at it or has scrolled down it.

use std::collections::{HashMap, HashSet};

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::ConversationSummary;
use shared::ConversationId;

use crate::api;
use crate::debounce::Debounce;
use crate::queues::{place, stays_in_place, ListQuery};
use crate::remote::LoadStatus;
use crate::state::auth::AuthState;
use crate::state::inbox::InboxState;

/// Conversations fetched per page.
const PAGE: usize = 200;

#[derive(Clone, Copy)]
pub struct ListState {
    pub items: RwSignal<Vec<ConversationSummary>>,
    pub status: RwSignal<LoadStatus>,
    /// The cursor of the next page, if there is one.
    pub next: RwSignal<Option<String>>,
    pub loading_more: RwSignal<bool>,
    pub query: Memo<ListQuery>,
    /// Changes held back while holding, by conversation id (`None`: leaves the list).
    pub pending: RwSignal<HashMap<ConversationId, Option<ConversationSummary>>>,
    /// Changes the app cannot place itself (a reload is due) while holding.
    pub stale: RwSignal<bool>,
    pub scroller: NodeRef<html::Div>,
    pub scroll_top: RwSignal<f64>,
    pub hovering: StoredValue<bool>,
    /// Answers to an older query are dropped.
    generation: StoredValue<u64>,
    reload: Debounce,
    auth: AuthState,
}

impl ListState {
    pub fn new(auth: AuthState, inbox: InboxState) -> Self {
        ListState {
            items: RwSignal::new(Vec::new()),
            status: RwSignal::new(LoadStatus::Loading),
            next: RwSignal::new(None),
            loading_more: RwSignal::new(false),
            query: Memo::new(move |_| inbox.list_query()),
            pending: RwSignal::new(HashMap::new()),
            stale: RwSignal::new(false),
            scroller: NodeRef::new(),
            scroll_top: RwSignal::new(0.0),
            hovering: StoredValue::new(false),
            generation: StoredValue::new(0),
            reload: Debounce::new(400),
            auth,
        }
    }

    /// The current query's number, to tell late answers from current ones.
    pub fn generation(&self) -> u64 {
        self.generation.get_value()
    }

    pub fn is_current(&self, number: u64) -> bool {
        self.generation.try_get_value() == Some(number)
    }

    /// Fetches the first page; `fresh` empties the list and scrolls to the top first.
    pub fn load_first(self, fresh: bool) {
        let number = self.generation.get_value() + 1;
        self.generation.set_value(number);
        if fresh {
            self.status.set(LoadStatus::Loading);
            self.items.set(Vec::new());
            self.pending.set(HashMap::new());
            if let Some(element) = self.scroller.get_untracked() {
                element.set_scroll_top(0);
            }
            self.scroll_top.set(0.0);
        }
        let q = self.query.get_untracked();
        let auth = self.auth;
        spawn_local(async move {
            let result = api::conversations::page(auth, q, PAGE, None).await;
            if !self.is_current(number) {
                return;
            }
            match result {
                Ok(page) => {
                    self.items.try_set(page.conversations);
                    self.next.try_set(page.next);
                    self.pending.try_set(HashMap::new());
                    self.stale.try_set(false);
                    self.status.try_set(LoadStatus::Ready);
                }
                Err(error) => {
                    if self.status.get_untracked() != LoadStatus::Ready {
                        self.status.try_set(LoadStatus::Failed(error));
                    }
                }
            }
        });
    }

    pub fn load_more(self) {
        if self.loading_more.get_untracked() {
            return;
        }
        let Some(after) = self.next.get_untracked() else {
            return;
        };
        self.loading_more.set(true);
        let number = self.generation.get_value();
        let q = self.query.get_untracked();
        let auth = self.auth;
        spawn_local(async move {
            let result = api::conversations::page(auth, q, PAGE, Some(after)).await;
            self.loading_more.try_set(false);
            if !self.is_current(number) {
                return;
            }
            if let Ok(page) = result {
                self.items.update(|list| {
                    let known: HashSet<ConversationId> = list.iter().map(|c| c.id).collect();
                    list.extend(
                        page.conversations
                            .into_iter()
                            .filter(|c| !known.contains(&c.id)),
                    );
                });
                self.next.set(page.next);
            }
        });
    }

    /// Moving rows now would shift what the agent is reading or pointing at.
    pub fn holding(&self) -> bool {
        self.hovering.get_value() || self.scroll_top.get_untracked() > 0.0
    }

    /// A reload brings back the first page only: deep in the list, wait.
    fn refresh(self) {
        if self.holding() {
            self.stale.set(true);
        } else {
            self.load_first(false);
        }
    }

    /// Reloads once a burst of changes has calmed down.
    pub fn reload_soon(self) {
        self.reload.call(move || self.refresh());
    }

    /// Places a conversation's new summary (`None`: it is gone), or holds it back.
    pub fn apply_change(self, id: ConversationId, summary: Option<ConversationSummary>) {
        let Some(me) = self.auth.user_untracked().map(|u| u.id) else {
            return;
        };
        let q = self.query.get_untracked();
        let index = self
            .items
            .with_untracked(|list| list.iter().position(|c| c.id == id));
        let admitted = match summary {
            Some(s) => match q.admits(&s, me) {
                Some(true) => Some(s),
                Some(false) => None,
                // Only the server knows who is mentioned: ask it again.
                None if index.is_none() => {
                    self.reload_soon();
                    return;
                }
                None => Some(s),
            },
            None => None,
        };
        let complete = self.next.with_untracked(Option::is_none);
        if !self.holding() {
            self.items.update(|list| {
                place(list, id, admitted, q.sort, complete);
            });
            return;
        }
        match (index, admitted) {
            (Some(i), Some(s)) => {
                let still = self
                    .items
                    .with_untracked(|list| stays_in_place(list, i, &s, q.sort));
                self.items.update(|list| list[i] = s.clone());
                if !still {
                    self.pending.update(|p| {
                        p.insert(id, Some(s));
                    });
                }
            }
            (Some(_), None) => self.pending.update(|p| {
                p.insert(id, None);
            }),
            (None, Some(s)) => self.pending.update(|p| {
                p.insert(id, Some(s));
            }),
            (None, None) => {}
        }
    }

    fn apply_pending(self) {
        if self.pending.try_with_untracked(HashMap::is_empty) != Some(false) {
            return;
        }
        let changes = self.pending.try_update(std::mem::take).unwrap_or_default();
        let sort = self.query.get_untracked().sort;
        let complete = self.next.with_untracked(Option::is_none);
        self.items.update(|list| {
            for (id, change) in changes {
                place(list, id, change, sort, complete);
            }
        });
    }

    /// Everything held back, now.
    pub fn catch_up(self) {
        self.apply_pending();
        if self.stale.get_untracked() {
            self.load_first(false);
        }
    }
}
