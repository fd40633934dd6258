//! Time comes from here, so tests can jump hours ahead without sleeping.
//! The app in the browser takes its "now" from this clock too (see
//! `routes::stamp_server_time` and the socket's `Time` message), so a jump
//! reaches every open page at once.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

#[derive(Clone)]
pub enum Clock {
    System,
    /// A clock that only moves when told; shared by clones.
    Manual(Arc<ManualTime>),
}

/// The shared state of a manual clock: the time, and a channel that tells
/// listeners (open sockets) when it jumped.
pub struct ManualTime {
    /// Shared with a fake WeChat in tests, so one jump moves both.
    millis: Arc<AtomicI64>,
    jumped: watch::Sender<Millis>,
}

impl Clock {
    pub fn manual(start: Millis) -> Self {
        let (jumped, _) = watch::channel(start);
        Clock::Manual(Arc::new(ManualTime {
            millis: Arc::new(AtomicI64::new(start)),
            jumped,
        }))
    }

    pub fn now(&self) -> Millis {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or_default(),
            Clock::Manual(t) => t.millis.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward; does nothing to the system clock.
    pub fn advance(&self, by: Millis) {
        if let Clock::Manual(t) = self {
            let now = t.millis.fetch_add(by, Ordering::SeqCst) + by;
            // Two advances at once may announce out of order: keep the later.
            t.jumped
                .send_modify(|announced| *announced = (*announced).max(now));
        }
    }

    /// Wakes whenever the clock jumps (a manual clock moved by hand); `None`
    /// for the system clock, which only flows.
    pub fn jumps(&self) -> Option<watch::Receiver<Millis>> {
        match self {
            Clock::System => None,
            Clock::Manual(t) => Some(t.jumped.subscribe()),
        }
    }

    /// The counter behind a manual clock, for a fake WeChat that must move
    /// with it (`wechat::clock::ManualClock::from_shared`); `None` for the
    /// system clock.
    pub fn manual_millis(&self) -> Option<Arc<AtomicI64>> {
        match self {
            Clock::System => None,
            Clock::Manual(t) => Some(Arc::clone(&t.millis)),
        }
    }
}

/// The WeChat client judges token freshness on Harbour's clock, so a test's
/// jump ages tokens too and `obtained_at` is in the same time as the rest.
impl wechat::clock::Clock for Clock {
    fn now(&self) -> wechat::clock::UnixMillis {
        wechat::clock::UnixMillis(Clock::now(self))
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Clock::System => f.write_str("Clock::System"),
            Clock::Manual(t) => write!(f, "Clock::Manual({})", t.millis.load(Ordering::SeqCst)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advance_is_seen_by_clones_and_announced() {
        let clock = Clock::manual(1_000);
        let mut jumps = clock.jumps().expect("a manual clock announces jumps");
        let other = clock.clone();
        other.advance(500);
        assert_eq!(clock.now(), 1_500);
        assert!(jumps.has_changed().unwrap_or(false));
        assert_eq!(*jumps.borrow_and_update(), 1_500);
    }

    #[test]
    fn the_system_clock_announces_no_jumps() {
        assert!(Clock::System.jumps().is_none());
        assert!(Clock::System.now() > 0);
    }
}
