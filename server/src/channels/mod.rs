//! Channels: connecting a WeChat Official Account (secrets sealed at rest)
//! and turning its verified callbacks into stored messages.

pub mod official_account;
pub mod sender;

pub use official_account::{create_official_account, OfficialAccount};
