//! Keeps the list's rows true to live events: touched conversations are
//! fetched again (a burst at once), and a renamed contact renames their rows.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{ContactId, ConversationId};

use super::list_state::ListState;
use crate::api;
use crate::debounce::Debounce;
use crate::state::auth::AuthState;
use crate::state::live::LiveState;
use crate::state::message_events::{named_in, watch_conversation_events, Touched};

pub fn follow_live_updates(list: ListState, auth: AuthState, live: LiveState) {
    let touched_ids = StoredValue::new(HashSet::<ConversationId>::new());
    let fetch_touched = move || {
        let ids: Vec<ConversationId> = touched_ids
            .try_update_value(|ids| ids.drain().collect())
            .unwrap_or_default();
        let number = list.generation();
        spawn_local(async move {
            let fetches = ids.into_iter().map(|id| async move {
                let result = api::conversations::one(auth, id).await;
                (id, result)
            });
            let results = futures::future::join_all(fetches).await;
            if !list.is_current(number) {
                return;
            }
            for (id, result) in results {
                if let Ok(summary) = result {
                    list.apply_change(id, summary);
                }
            }
        });
    };
    let fetch = Debounce::new(200);
    watch_conversation_events(live, move |touched| match touched {
        Touched::Any => list.reload_soon(),
        Touched::These(ids) => {
            touched_ids.update_value(|known| known.extend(ids));
            fetch.call(fetch_touched);
        }
    });

    // A contact renamed (here or by a colleague) renames their rows.
    let contacts_seen = StoredValue::new(live.last_seq());
    Effect::new(move |_| {
        let contacts: Vec<ContactId> = live.recent.with(|recent| {
            let since = contacts_seen.get_value();
            if let Some(newest) = recent.front().map(|e| e.seq) {
                contacts_seen.set_value(newest);
            }
            recent
                .iter()
                .take_while(|e| e.seq > since)
                .filter(|e| e.kind == "contact.updated")
                .filter_map(|e| named_in(e, "contact"))
                .collect()
        });
        if contacts.is_empty() {
            return;
        }
        let ids: Vec<ConversationId> = list.items.with_untracked(|items| {
            items
                .iter()
                .filter(|c| contacts.contains(&c.contact_id))
                .map(|c| c.id)
                .collect()
        });
        if !ids.is_empty() {
            touched_ids.update_value(|known| known.extend(ids));
            fetch.call(fetch_touched);
        }
    });
}
