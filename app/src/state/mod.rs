//! App-wide state shared through Leptos contexts: the session and the live
//! connection.

pub mod auth;
pub mod live;
