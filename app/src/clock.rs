//! "Now" as the server sees it, as a signal that ticks, so relative times
//! ("2m", "closes in 3 h") stay true while a page is open. The browser's own
//! clock may be off by a day (or a test may have moved the server's), so
//! nothing time-based is decided from it alone: every API response and the
//! live socket tell the app the server's time, and the app keeps the skew.

use std::time::Duration;

use leptos::prelude::*;

/// Skews smaller than this are network latency, not a wrong clock; ignoring
/// them keeps every relative time from re-rendering after each request.
const SKEW_TOLERANCE_MS: i64 = 1_000;

thread_local! {
    /// Server time minus browser time, in ms. Global rather than a context
    /// because the HTTP client and the socket learn it outside any component;
    /// a signal, so views follow a change at once.
    static SKEW: ArcRwSignal<i64> = ArcRwSignal::new(0);
}

fn browser_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// The server's time now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    browser_ms() + SKEW.with(|skew| skew.get_untracked())
}

/// Where the app heard the server's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// An HTTP response's header. Responses may arrive out of order, so one
    /// stamped before the newest time heard is stale and ignored.
    Response,
    /// The live socket (its welcome, or a jump of the server's clock): in
    /// order, so it always counts, also when the server's clock went back.
    Socket,
}

thread_local! {
    /// The newest server time heard, to tell a stale response.
    static NEWEST: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

/// Notes the server's time `server_ms`, heard just now.
pub fn learn_server_time(server_ms: i64, heard: Heard) {
    if server_ms <= 0 || is_stale(NEWEST.get(), server_ms, heard) {
        return;
    }
    NEWEST.set(server_ms);
    let observed = server_ms - browser_ms();
    SKEW.with(|current| {
        if let Some(skew) = new_skew(current.get_untracked(), observed) {
            current.set(skew);
        }
    });
}

/// Whether a time heard from a response is older than the newest heard.
fn is_stale(newest: i64, server_ms: i64, heard: Heard) -> bool {
    heard == Heard::Response && server_ms < newest
}

/// The skew to adopt after observing `observed`, or `None` to keep `current`
/// (the difference is only network latency).
fn new_skew(current: i64, observed: i64) -> Option<i64> {
    ((current - observed).abs() >= SKEW_TOLERANCE_MS).then_some(observed)
}

/// The server's current time, updated every `every` and at once when the
/// server's time turns out to differ; the ticking stops when the calling
/// component is removed.
pub fn use_now(every: Duration) -> Signal<i64> {
    let (browser_now, set_browser_now) = signal(browser_ms());
    if let Ok(handle) = set_interval_with_handle(move || set_browser_now.set(browser_ms()), every) {
        on_cleanup(move || handle.clear());
    }
    let skew = SKEW.with(ArcRwSignal::clone);
    Signal::derive(move || browser_now.get() + skew.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_not_mistaken_for_a_wrong_clock() {
        assert_eq!(new_skew(0, 120), None);
        assert_eq!(new_skew(5_000, 5_400), None);
    }

    #[test]
    fn a_response_stamped_before_a_jump_does_not_undo_it() {
        const JUMPED: i64 = 48 * 60 * 60 * 1000;
        assert!(is_stale(JUMPED, 5_000, Heard::Response));
        assert!(!is_stale(JUMPED, JUMPED + 10, Heard::Response));
        // The socket is in order: a server clock set back is believed.
        assert!(!is_stale(JUMPED, 5_000, Heard::Socket));
    }

    #[test]
    fn a_clock_off_by_a_day_or_a_jump_of_the_server_is_followed() {
        const DAY_MS: i64 = 24 * 60 * 60 * 1000;
        assert_eq!(new_skew(0, -DAY_MS), Some(-DAY_MS));
        assert_eq!(new_skew(-DAY_MS, DAY_MS), Some(DAY_MS));
        assert_eq!(new_skew(0, 1_000), Some(1_000));
    }
}
