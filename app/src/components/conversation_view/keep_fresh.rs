//! Keeps the open conversation current: marks it read, tells colleagues it
//! is being viewed, and refetches when live events touch it, its contact
//! is edited, the connection comes back or the reply window's deadline passes.

use leptos::prelude::*;
use shared::api::Status;
use shared::ContactId;

use super::conversation_data::ConversationData;
use crate::debounce::Debounce;
use crate::state::live::LiveState;
use crate::state::message_events::{named_in, watch_conversation_events};

/// Live events often come in bursts (queued, then sent); refetch once.
const REFETCH_DELAY_MS: u32 = 300;

pub fn keep_fresh(data: ConversationData, live: LiveState, now: Signal<i64>) {
    let ConversationData {
        summary,
        contact,
        window,
        conversation,
        ..
    } = data;
    // The contact loads once the summary names them, and again when the
    // conversation's status changes (their history lists it).
    Effect::new(move |previous: Option<Option<(ContactId, Status)>>| {
        let key = summary.with(|s| s.as_ref().map(|s| (s.contact_id, s.status)));
        if key.is_some() && previous.as_ref() != Some(&key) {
            data.load_contact();
        }
        key
    });
    // A renamed contact renames the conversation too.
    Effect::new(move |previous: Option<Option<String>>| {
        let name = contact
            .value
            .with(|c| c.as_ref().and_then(|c| c.name.clone()));
        if previous.is_some_and(|p| p != name) {
            data.load_summary();
        }
        name
    });
    Effect::new(move |_| {
        if summary.with(|s| s.as_ref().is_some_and(|s| s.unread)) {
            data.mark_read();
        }
    });

    live.set_viewing(Some(conversation));
    on_cleanup(move || live.set_viewing(None));

    let debounce = Debounce::new(REFETCH_DELAY_MS);
    let refresh = move || data.refresh();
    watch_conversation_events(live, move |touched| {
        if touched.includes(conversation) {
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
                        c.as_ref()
                            .is_some_and(|c| named_in::<ContactId>(e, "contact") == Some(c.id))
                    })
            })
        });
        if edited {
            contact_debounce.call(move || data.load_contact());
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
}
