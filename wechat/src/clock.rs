//! Time as the API client and the fake WeChat see it: the system clock in
//! production, a hand-advanced millisecond clock in tests.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time as Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// From Unix seconds (the unit of `CreateTime` and `created_at`).
    pub const fn from_secs(secs: i64) -> Self {
        UnixMillis(secs.saturating_mul(1000))
    }

    /// Whole Unix seconds, rounded down.
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This instant moved forward by `by`.
    pub fn plus(self, by: Duration) -> Self {
        UnixMillis(self.0.saturating_add(duration_millis(by)))
    }

    /// How long after `earlier` this is; zero if it is not later.
    pub fn since(self, earlier: UnixMillis) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

impl fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Where "now" comes from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> UnixMillis;
}

/// The machine's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMillis {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        UnixMillis(duration_millis(since_epoch))
    }
}

/// A clock that only moves when told to. Clones share the same time, so a
/// test can hand one to the fake WeChat and to a client and advance both.
#[derive(Debug, Clone)]
pub struct ManualClock {
    millis: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: UnixMillis) -> Self {
        ManualClock {
            millis: Arc::new(AtomicI64::new(start.0)),
        }
    }

    /// A clock reading (and advancing) an existing shared counter of Unix millis.
    pub fn from_shared(millis: Arc<AtomicI64>) -> Self {
        ManualClock { millis }
    }

    /// The shared counter behind this clock.
    pub fn shared(&self) -> Arc<AtomicI64> {
        Arc::clone(&self.millis)
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.millis.fetch_add(duration_millis(by), Ordering::SeqCst);
    }

    /// Sets the clock to `to`, forwards or backwards.
    pub fn set(&self, to: UnixMillis) {
        self.millis.store(to.0, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    /// 2024-05-29 16:26:40 UTC, the era of the fixtures.
    fn default() -> Self {
        ManualClock::new(UnixMillis::from_secs(1_717_000_000))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.millis.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_of_a_manual_clock_move_together() {
        let clock = ManualClock::default();
        let other = clock.clone();
        let before = other.now();
        clock.advance(Duration::from_secs(7200));
        assert_eq!(other.now().since(before), Duration::from_secs(7200));
    }

    #[test]
    fn seconds_round_down_even_before_the_epoch() {
        assert_eq!(UnixMillis(1999).as_secs(), 1);
        assert_eq!(UnixMillis(-1).as_secs(), -1);
    }
}
