//! "Now", as a signal that ticks, so relative times ("2m", "closes in 3 h")
//! stay true while a page is open.

use std::time::Duration;

use leptos::prelude::*;

/// Milliseconds since the Unix epoch, from the browser.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// The current time, updated every `every`; the ticking stops when the
/// calling component is removed.
pub fn use_now(every: Duration) -> ReadSignal<i64> {
    let (now, set_now) = signal(now_ms());
    if let Ok(handle) = set_interval_with_handle(move || set_now.set(now_ms()), every) {
        on_cleanup(move || handle.clear());
    }
    now
}
