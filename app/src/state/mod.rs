//! App-wide state shared through Leptos contexts: the session and the live
//! connection, plus the watcher that turns live events into refetches.

pub mod auth;
pub mod live;
pub mod message_events;
