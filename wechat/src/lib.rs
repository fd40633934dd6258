//! The WeChat protocol crate: callback signatures, the AES message envelope,
//! callback XML, typed Official Account messages and passive replies, and the
//! Official Account API client.
//!
//! The usual entry points are [`signature::verify_url`] for the `GET` URL
//! verification, [`callback::receive`] for a `POST` push (both take the raw
//! query string parsed with [`query::Query::parse`]) and [`client::ApiClient`]
//! for sending. WeCom Customer Service is in [`kf`]: its callback (which
//! only says "pull"), the `kf/sync_msg` entries and [`KfClient`]. With the
//! `fake` feature, [`fake::FakeWeChat`] serves the same APIs over real HTTP
//! and enforces their rules, for tests. See `PROTOCOL.md` in
//! the shared docs for the wire format these modules implement.

pub mod callback;
pub mod client;
pub mod clock;
pub mod crypto;
#[cfg(feature = "fake")]
pub mod fake;
pub mod kf;
pub mod message;
pub mod query;
pub mod signature;
pub mod xml;

pub use callback::{receive, CallbackConfig, CallbackError, Mode};
pub use client::{Action, ApiClient, ApiError};
pub use crypto::{CryptoError, MessageCrypto};
pub use kf::KfClient;
pub use message::{AppId, DedupeKey, InboundMessage, MessageKind, MsgId, OpenId, OriginalId};
pub use query::Query;
