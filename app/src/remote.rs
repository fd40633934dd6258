//! A list fetched from the server together with its loading state, so every
//! page renders the same loading, empty and error states.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadStatus {
    Loading,
    Ready,
    Failed(ApiError),
}

pub struct RemoteList<T: Send + Sync + 'static> {
    pub items: RwSignal<Vec<T>>,
    pub status: RwSignal<LoadStatus>,
}

// Manual impls: the derives would demand `T: Clone`/`T: Copy`.
impl<T: Send + Sync + 'static> Clone for RemoteList<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for RemoteList<T> {}

impl<T: Send + Sync + 'static> RemoteList<T> {
    pub fn new() -> Self {
        RemoteList {
            items: RwSignal::new(Vec::new()),
            status: RwSignal::new(LoadStatus::Loading),
        }
    }

    /// Runs `fetch` and stores its outcome. Results that arrive after the
    /// page was left are dropped.
    pub fn load<F>(self, fetch: F)
    where
        F: Future<Output = Result<Vec<T>, ApiError>> + 'static,
    {
        self.status.set(LoadStatus::Loading);
        spawn_local(async move {
            match fetch.await {
                Ok(items) => {
                    self.items.try_set(items);
                    self.status.try_set(LoadStatus::Ready);
                }
                Err(error) => {
                    self.status.try_set(LoadStatus::Failed(error));
                }
            }
        });
    }

    pub fn push(&self, item: T) {
        self.items.update(|items| items.push(item));
    }

    /// Replaces the first item `matches` picks, leaving the rest alone.
    pub fn replace(&self, item: T, matches: impl Fn(&T) -> bool) {
        self.items.update(|items| {
            if let Some(slot) = items.iter_mut().find(|existing| matches(existing)) {
                *slot = item;
            }
        });
    }
}
