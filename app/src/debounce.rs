//! Runs an action once a burst of triggers has calmed down, e.g. one refetch
//! for ten live events that arrived together.

use gloo_timers::callback::Timeout;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Debounce {
    delay_ms: u32,
    // Dropping a `Timeout` cancels it, so replacing it restarts the wait and
    // leaving the page (which disposes this value) cancels it for good.
    timer: StoredValue<Option<Timeout>, LocalStorage>,
}

impl Debounce {
    pub fn new(delay_ms: u32) -> Self {
        Debounce {
            delay_ms,
            timer: StoredValue::new_local(None),
        }
    }

    /// Runs `action` after `delay_ms` unless `call` is made again before then.
    pub fn call(&self, action: impl FnOnce() + 'static) {
        let timer = Timeout::new(self.delay_ms, action);
        self.timer.try_update_value(|slot| *slot = Some(timer));
    }
}
