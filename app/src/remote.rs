//! Data fetched from the server together with its loading state, so every
//! page renders the same loading, empty and error states. Only the newest
//! request's answer is kept: a slow old answer never overwrites a new one.

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

/// Counts requests so that answers to superseded ones can be dropped.
#[derive(Clone, Copy)]
struct Generation(StoredValue<u64>);

impl Generation {
    fn new() -> Self {
        Generation(StoredValue::new(0))
    }

    /// Starts a request and returns its number.
    fn next(self) -> u64 {
        self.0
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or_default()
    }

    /// Whether `number` is still the newest request (and the page still open).
    fn is_current(self, number: u64) -> bool {
        self.0.try_get_value() == Some(number)
    }
}

pub struct RemoteList<T: Send + Sync + 'static> {
    pub items: RwSignal<Vec<T>>,
    pub status: RwSignal<LoadStatus>,
    generation: Generation,
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
            generation: Generation::new(),
        }
    }

    /// Runs `fetch` and stores its outcome, showing the loading state meanwhile.
    pub fn load<F>(self, fetch: F)
    where
        F: Future<Output = Result<Vec<T>, ApiError>> + 'static,
    {
        self.status.set(LoadStatus::Loading);
        self.fetch(fetch, true);
    }

    fn fetch<F>(self, fetch: F, report_errors: bool)
    where
        F: Future<Output = Result<Vec<T>, ApiError>> + 'static,
    {
        let number = self.generation.next();
        spawn_local(async move {
            let outcome = fetch.await;
            if !self.generation.is_current(number) {
                return;
            }
            match outcome {
                Ok(items) => {
                    self.items.try_set(items);
                    self.status.try_set(LoadStatus::Ready);
                }
                Err(error) if report_errors => {
                    self.status.try_set(LoadStatus::Failed(error));
                }
                Err(_) => {}
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

/// One value fetched from the server: `None` until the first answer.
pub struct RemoteValue<T: Send + Sync + 'static> {
    pub value: RwSignal<Option<T>>,
    pub error: RwSignal<Option<ApiError>>,
    generation: Generation,
}

impl<T: Send + Sync + 'static> Clone for RemoteValue<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for RemoteValue<T> {}

impl<T: Send + Sync + 'static> RemoteValue<T> {
    pub fn new() -> Self {
        RemoteValue {
            value: RwSignal::new(None),
            error: RwSignal::new(None),
            generation: Generation::new(),
        }
    }

    /// Fetches the value; the old one stays visible until the new one arrives.
    pub fn load<F>(self, fetch: F)
    where
        F: Future<Output = Result<T, ApiError>> + 'static,
    {
        let number = self.generation.next();
        spawn_local(async move {
            let outcome = fetch.await;
            if !self.generation.is_current(number) {
                return;
            }
            match outcome {
                Ok(value) => {
                    self.value.try_set(Some(value));
                    self.error.try_set(None);
                }
                Err(error) => {
                    self.error.try_set(Some(error));
                }
            }
        });
    }
}
