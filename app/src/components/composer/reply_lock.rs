//! The conversation's reply lock: held (and "typing" shown) while a reply
//! is being written, renewed every 5 s, let go when the text is gone; and
//! who else holds it.

use leptos::prelude::*;
use shared::ws::ClientMessage;
use shared::ConversationId;

use crate::state::auth::AuthState;
use crate::state::live::LiveState;

/// How often the reply lock is renewed while there is text (the server
/// lets it lapse after 15 s).
const LOCK_RENEW_MS: u64 = 5_000;

/// The name of the colleague holding the conversation's reply lock, if
/// someone other than me does (empty when the server gave no name).
pub fn locked_by(
    auth: AuthState,
    live: LiveState,
    conversation: ConversationId,
) -> impl Fn() -> Option<String> + Copy {
    move || {
        let me = auth.user().map(|u| u.id);
        live.presence.with(|all| {
            all.get(&conversation)
                .and_then(|p| p.lock.as_ref())
                .filter(|l| Some(l.holder.id) != me)
                .map(|l| l.holder.name.clone())
        })
    }
}

/// Holds the lock while `composing` is true, for as long as the calling
/// component lives.
pub fn hold_reply_lock(
    live: LiveState,
    conversation: ConversationId,
    composing: impl Fn() -> bool + 'static,
) {
    let holding = StoredValue::new(false);
    let release = move || {
        if holding.get_value() {
            holding.set_value(false);
            live.tell(ClientMessage::Typing {
                conversation,
                typing: false,
            });
            live.tell(ClientMessage::Unlock { conversation });
        }
    };
    let claim = move || {
        if !holding.get_value() {
            holding.set_value(true);
            live.tell(ClientMessage::Typing {
                conversation,
                typing: true,
            });
        }
        live.tell(ClientMessage::Lock { conversation });
    };
    Effect::new(move |_| {
        if composing() {
            if !holding.get_value() {
                claim();
            }
        } else {
            release();
        }
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if holding.try_get_value().unwrap_or(false) {
                claim();
            }
        },
        std::time::Duration::from_millis(LOCK_RENEW_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    on_cleanup(release);
}
