//! Small choices kept in the browser between visits (queue, sort, panels).
//! Storage may be refused (a browser blocking third-party storage while
//! Harbour is framed by the portal): then nothing is remembered and nothing
//! breaks, where gloo's `LocalStorage` would panic.

use gloo_storage::{LocalStorage, Storage};
use serde::de::DeserializeOwned;
use serde::Serialize;

fn available() -> bool {
    web_sys::window()
        .and_then(|window| window.local_storage().ok().flatten())
        .is_some()
}

/// The value kept under `key`, if any (and if storage is allowed).
pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    available().then(|| LocalStorage::get(key).ok()).flatten()
}

/// Keeps `value` under `key` when storage is allowed.
pub fn set<T: Serialize>(key: &str, value: T) {
    if available() {
        let _ = LocalStorage::set(key, value);
    }
}
