//! The WeChat protocol crate: callback signatures, the AES message envelope,
//! callback XML and typed Official Account messages and passive replies.
//!
//! The usual entry points are [`signature::verify_url`] for the `GET` URL
//! verification and [`callback::receive`] for a `POST` push; both take the raw
//! query string parsed with [`query::Query::parse`]. See `PROTOCOL.md` in the
//! shared docs for the wire format these modules implement.

pub mod callback;
pub mod crypto;
pub mod message;
pub mod query;
pub mod signature;
pub mod xml;

pub use callback::{receive, CallbackConfig, CallbackError, Mode};
pub use crypto::{CryptoError, MessageCrypto};
pub use message::{DedupeKey, InboundMessage, MessageKind, MsgId, OpenId, OriginalId};
pub use query::Query;
