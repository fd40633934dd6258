//! What the portal around Harbour hears and asks for, while someone is
//! signed in: who, the unread count and the current view go out; "open
//! this conversation or client" comes in and moves the router.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;
use shared::ConversationId;
use wasm_bindgen::JsValue;

use crate::api;
use crate::portal::{self, Command};
use crate::state::auth::{AuthState, AuthStatus};
use crate::state::inbox::InboxState;

/// Links the router, the session and the queue counts to the portal; does
/// nothing outside one. Call inside the router.
pub fn bridge_portal(auth: AuthState) {
    let inbox = expect_context::<InboxState>();
    let navigate = use_navigate();
    let location = use_location();
    // Whether to tell the portal anything: it is found while the session is
    // restored, so this is known once someone is signed in.
    let linked = move || auth.status() == AuthStatus::SignedIn && portal::active();
    Effect::new(move |_| {
        if !linked() {
            return;
        }
        let navigate = navigate.clone();
        portal::on_open(move |command| {
            let navigate = navigate.clone();
            spawn_local(async move {
                match conversation_for(auth, command).await {
                    Some(id) => navigate(&format!("/inbox/{id}"), NavigateOptions::default()),
                    None => portal::tell("harbour.not_found", &[]),
                }
            });
        });
        if let Some(user) = auth.user() {
            let person = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&person, &"id".into(), &user.id.to_string().into());
            let _ = js_sys::Reflect::set(&person, &"name".into(), &user.name.into());
            portal::tell("harbour.signed_in", &[("user", person.into())]);
        }
    });
    Effect::new(move |_| {
        let path = location.pathname.get();
        if !linked() {
            return;
        }
        let conversation = path
            .strip_prefix("/inbox/")
            .filter(|id| !id.is_empty())
            .map(JsValue::from_str)
            .unwrap_or(JsValue::NULL);
        portal::tell(
            "harbour.view",
            &[
                ("path", JsValue::from_str(&path)),
                ("conversation", conversation),
            ],
        );
    });
    // Conversations with unread client messages, across the queues counted.
    let unread = Memo::new(move |_| {
        inbox.counts.with(|counts| {
            counts
                .values()
                .flat_map(|count| count.unread_ids.iter().map(|(id, _)| *id))
                .collect::<HashSet<ConversationId>>()
                .len()
        })
    });
    Effect::new(move |_| {
        let count = unread.get();
        if !linked() {
            return;
        }
        portal::tell("harbour.unread", &[("count", JsValue::from(count as u32))]);
    });
}

/// The conversation a portal command names: itself, or the client's most
/// recent one the user may see.
async fn conversation_for(auth: AuthState, command: Command) -> Option<ConversationId> {
    let contact = match command {
        Command::Conversation(id) => return id.parse().ok(),
        Command::Contact(id) => api::contacts::get(auth, id.parse().ok()?).await.ok()?,
        Command::ContactByExternalId { system, id } => {
            api::contacts::by_external_id(auth, &system, &id)
                .await
                .ok()?
        }
    };
    contact
        .conversations
        .iter()
        .max_by_key(|c| c.last_message_at)
        .map(|c| c.id)
}
