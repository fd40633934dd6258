//! The inbox's own app-wide state: which queue, sort and filters the agent
//! chose (kept in the browser between visits), the queue counts, whether
//! the contact panel and notifications are on, and the keyboard shortcuts
//! fired, which the list, header and composer act on.

use std::collections::HashMap;

use leptos::ev;
use leptos::prelude::*;
use shared::api::ConversationSummary;
use shared::ConversationId;

use crate::queues::{Filters, ListQuery, Queue, Sort};
use crate::shortcuts::Shortcut;

const QUEUE_KEY: &str = "harbour.inbox.queue";
const SORT_KEY: &str = "harbour.inbox.sort";
const CONTACT_KEY: &str = "harbour.inbox.contact-panel";
const NOTIFY_KEY: &str = "harbour.inbox.notify";

/// How many conversations a queue holds (up to the page counted) and how
/// many of them have unread client messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueCount {
    pub total: usize,
    /// More than `total`: shown as "99+".
    pub more: bool,
    pub unread: usize,
    /// The counted conversations, for new-message notifications.
    pub unread_ids: Vec<(ConversationId, i64)>,
}

impl QueueCount {
    pub fn from_page(conversations: &[ConversationSummary], more: bool) -> Self {
        let unread: Vec<(ConversationId, i64)> = conversations
            .iter()
            .filter(|c| c.unread)
            .map(|c| (c.id, c.last_message_at))
            .collect();
        QueueCount {
            total: conversations.len(),
            more,
            unread: unread.len(),
            unread_ids: unread,
        }
    }

    pub fn label(&self) -> Option<String> {
        match (self.total, self.more) {
            (0, _) => None,
            (n, true) => Some(format!("{n}+")),
            (n, false) => Some(n.to_string()),
        }
    }
}

#[derive(Clone, Copy)]
pub struct InboxState {
    pub queue: RwSignal<Queue>,
    pub sort: RwSignal<Sort>,
    pub filters: RwSignal<Filters>,
    /// Whether the contact panel is shown beside the conversation (wide screens).
    pub contact_open: RwSignal<bool>,
    /// Whether the contact drawer is open (narrower screens); never remembered.
    pub drawer_open: RwSignal<bool>,
    /// Whether the window is wide enough for the contact column, kept up to
    /// date as it is resized.
    pub wide: RwSignal<bool>,
    /// Sound and desktop notifications, opted into by the user.
    pub notify: RwSignal<bool>,
    pub counts: RwSignal<HashMap<Queue, QueueCount>>,
    /// The newest shortcut fired, numbered so the same key twice fires twice.
    pub command: RwSignal<Option<(u64, Shortcut)>>,
    /// The search dialog and the shortcut help.
    pub search_open: RwSignal<bool>,
    pub help_open: RwSignal<bool>,
}

impl InboxState {
    pub fn new() -> Self {
        let queue = crate::remembered::get::<String>(QUEUE_KEY)
            .and_then(|key| Queue::from_key(&key))
            .unwrap_or(Queue::Mine);
        let sort = match crate::remembered::get::<String>(SORT_KEY).as_deref() {
            Some("waiting") => Sort::Waiting,
            _ => Sort::Activity,
        };
        let wide = RwSignal::new(wide_screen());
        let drawer_open = RwSignal::new(false);
        // The state lives as long as the page, so the listener is never removed.
        let _ = window_event_listener(ev::resize, move |_| {
            let now = wide_screen();
            if wide.get_untracked() != now {
                // The drawer belongs to narrow windows: widening closes it.
                drawer_open.set(false);
                wide.set(now);
            }
        });
        InboxState {
            queue: RwSignal::new(queue),
            sort: RwSignal::new(sort),
            filters: RwSignal::new(Filters::default()),
            contact_open: RwSignal::new(
                crate::remembered::get::<bool>(CONTACT_KEY).unwrap_or(true),
            ),
            drawer_open,
            wide,
            notify: RwSignal::new(crate::remembered::get::<bool>(NOTIFY_KEY).unwrap_or(false)),
            counts: RwSignal::new(HashMap::new()),
            command: RwSignal::new(None),
            search_open: RwSignal::new(false),
            help_open: RwSignal::new(false),
        }
    }

    pub fn list_query(&self) -> ListQuery {
        ListQuery {
            queue: self.queue.get(),
            sort: self.sort.get(),
            filters: self.filters.get(),
        }
    }

    pub fn choose_queue(&self, queue: Queue) {
        crate::remembered::set(QUEUE_KEY, queue.key());
        self.queue.set(queue);
    }

    pub fn choose_sort(&self, sort: Sort) {
        crate::remembered::set(SORT_KEY, sort.as_str());
        self.sort.set(sort);
    }

    /// Shows or hides the contact: the column on wide screens, the drawer below.
    pub fn toggle_contact(&self) {
        if !self.wide.get_untracked() {
            self.drawer_open.update(|open| *open = !*open);
            return;
        }
        let open = !self.contact_open.get_untracked();
        crate::remembered::set(CONTACT_KEY, open);
        self.contact_open.set(open);
    }

    pub fn set_notify(&self, on: bool) {
        crate::remembered::set(NOTIFY_KEY, on);
        self.notify.set(on);
    }

    /// Whether the contact is showing, as the toggle button says: the column
    /// on wide screens, the drawer below (so it follows a resize).
    pub fn contact_shown(&self) -> bool {
        if self.wide.get() {
            self.contact_open.get()
        } else {
            self.drawer_open.get()
        }
    }

    pub fn fire(&self, shortcut: Shortcut) {
        let next = self.command.with_untracked(|c| c.map_or(1, |(n, _)| n + 1));
        self.command.set(Some((next, shortcut)));
    }

    pub fn count(&self, queue: Queue) -> Option<QueueCount> {
        self.counts.with(|c| c.get(&queue).cloned())
    }
}

/// At least 1280 px: room for the contact column (see conversation.css).
pub fn wide_screen() -> bool {
    web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w >= 1280.0)
}

/// Runs `act` for each shortcut fired after this call (not the one pending).
pub fn on_shortcut(inbox: InboxState, act: impl Fn(Shortcut) + 'static) {
    let seen = StoredValue::new(inbox.command.with_untracked(|c| c.map(|(n, _)| n)));
    Effect::new(move |_| {
        if let Some((n, shortcut)) = inbox.command.get() {
            if seen.get_value() != Some(n) {
                seen.set_value(Some(n));
                act(shortcut);
            }
        }
    });
}
