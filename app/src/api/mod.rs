//! Typed calls to the Harbour REST API under `/api/v1`, one module per
//! resource, all built on the request helpers in `client`.

pub mod auth;
pub mod automation;
pub mod calendar;
pub mod canned;
pub mod channels;
pub mod client;
pub mod compliance;
pub mod contacts;
pub mod conversations;
pub mod media;
pub mod search;
pub mod sla;
pub mod teams;
pub mod users;

pub use client::{ApiError, Origin};
