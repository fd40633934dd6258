//! Channels: connecting a WeChat Official Account (secrets sealed at rest),
//! turning its verified callbacks into stored messages, and the jobs that
//! talk to WeChat afterwards (sends, media downloads, profiles).

pub mod callback_guard;
pub mod clients;
pub mod media;
pub mod official_account;
pub mod profile;
pub mod sender;
pub mod voice;

pub use official_account::{create_official_account, OfficialAccount};
