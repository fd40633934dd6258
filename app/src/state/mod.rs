//! App-wide state shared through Leptos contexts: the session, the live
//! connection and presence, the inbox's choices, plus the watcher that
//! turns live events into refetches.

pub mod auth;
pub mod inbox;
pub mod live;
pub mod message_events;
