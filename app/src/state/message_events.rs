//! Watches the live connection for events that change conversations
//! (`message.received`, `message.queued`, `message.status`, `conversation.*`)
//! and says which conversations they touched, so views can refetch.

use std::collections::HashSet;
use std::str::FromStr;

use leptos::prelude::*;
use shared::api::Event;
use shared::{ConversationId, Seq};

use crate::state::live::{LiveState, RECENT_LIMIT};

/// Which conversations new events touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Touched {
    /// Possibly any: events arrived faster than the recent list keeps them,
    /// or an event did not name its conversation.
    Any,
    These(HashSet<ConversationId>),
}

impl Touched {
    pub fn includes(&self, conversation: ConversationId) -> bool {
        match self {
            Touched::Any => true,
            Touched::These(ids) => ids.contains(&conversation),
        }
    }
}

/// A colleague reading a conversation changes nothing anyone else sees.
fn matters(event: &Event, me: Option<shared::UserId>) -> bool {
    if event.kind == "conversation.viewed" {
        return event.actor.is_some() && event.actor == me;
    }
    is_conversation_event(&event.kind)
}

fn is_conversation_event(kind: &str) -> bool {
    kind.starts_with("message.") || kind.starts_with("conversation.") || kind.starts_with("note.")
}

/// The id an event's payload names under `key` (`conversation`,
/// `contact` …); `None` when it names none, or something that is not one.
pub fn named_in<T: FromStr>(event: &Event, key: &str) -> Option<T> {
    event.payload.get(key)?.as_str()?.parse().ok()
}

/// The conversation an event touched; `None` counts as possibly any.
fn conversation_of(event: &Event) -> Option<ConversationId> {
    named_in(event, "conversation")
}

/// Calls `on_touched` whenever live events touch conversations. Events seen
/// before the call are ignored; the caller has just loaded fresh data.
pub fn watch_conversation_events(live: LiveState, on_touched: impl Fn(Touched) + 'static) {
    let me = use_context::<crate::state::auth::AuthState>();
    let handled = StoredValue::new(live.last_seq());
    let on_touched = std::rc::Rc::new(on_touched);
    // The server could not replay what was missed: anything may have changed.
    let resyncs_seen = StoredValue::new(live.resyncs.get_untracked());
    let on_resync = on_touched.clone();
    Effect::new(move |_| {
        let resyncs = live.resyncs.get();
        if resyncs != resyncs_seen.get_value() {
            resyncs_seen.set_value(resyncs);
            on_resync(Touched::Any);
        }
    });
    Effect::new(move |_| {
        let touched = live.recent.with(|recent| {
            let newest = recent.front().map(|event| event.seq)?;
            let mut since = handled.get_value();
            if newest < since {
                // The connection was reset (sign-out and in): start over.
                since = Seq(0);
            }
            handled.set_value(newest);
            let fresh: Vec<&Event> = recent.iter().take_while(|e| e.seq > since).collect();
            // Every kept event is new: older ones may have been pushed out.
            let overflowed = fresh.len() >= RECENT_LIMIT && since != Seq(0);
            let relevant: Vec<&Event> = fresh
                .into_iter()
                .filter(|e| matters(e, me.and_then(|a| a.user_untracked()).map(|u| u.id)))
                .collect();
            if overflowed {
                return Some(Touched::Any);
            }
            if relevant.is_empty() {
                return None;
            }
            let ids: Option<HashSet<ConversationId>> =
                relevant.into_iter().map(conversation_of).collect();
            Some(ids.map_or(Touched::Any, Touched::These))
        });
        if let Some(touched) = touched {
            on_touched(touched);
        }
    });
}
