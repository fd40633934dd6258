//! What a WeChat callback must also pass once its signature holds: a signed
//! timestamp within the window (`HARBOUR_CALLBACK_MAX_AGE_S`), and its URL
//! bound to one body (see `store::callback_urls`). And a limit on bad
//! signatures per address and channel, so guessing costs the guesser, not
//! Harbour, and a channel whose Token is wrong does not block the others
//! (WeChat sends every account's pushes from the same servers).

use crate::store::callback_urls::CallbackUrl;
use sha2::{Digest, Sha256};
use shared::ChannelId;
use std::collections::HashMap;
use std::sync::Mutex;
use wechat::query::Query;

/// Bad signatures one address may send one channel per minute before it is
/// refused unheard.
pub const BAD_SIGNATURES_PER_MINUTE: u32 = 20;
/// (Address, channel) pairs tracked at once; past this, earlier minutes are
/// forgotten, and then new pairs go uncounted (never the ones blocked now).
const TRACKED: usize = 10_000;
/// Longest nonce kept (WeChat's are about ten digits).
const MAX_NONCE: usize = 64;

/// Why a signed callback is still refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The timestamp is not a number, or too far from now.
    StaleTimestamp,
    /// The nonce is missing or too long to keep.
    BadNonce,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::StaleTimestamp => "stale_timestamp",
            Refusal::BadNonce => "bad_nonce",
        }
    }
}

/// The URL of a verified push, once its timestamp is within `max_age_s` of
/// `now_ms`, with the hash of `body` when there is one to bind (a plain
/// push's; `None`: the timestamp is checked, nothing is bound).
pub fn signed_url(
    channel_id: ChannelId,
    query: &Query,
    body: Option<&[u8]>,
    now_ms: i64,
    max_age_s: i64,
) -> Result<Option<CallbackUrl>, Refusal> {
    // Digits only, no leading zero: the signature joins its parts with no
    // separator, so `nonce=X0&timestamp=T` and `nonce=X&timestamp=0T` sign
    // alike, and the second must not count as another URL.
    let signed_at: i64 = query
        .get("timestamp")
        .filter(|t| {
            (1..=12).contains(&t.len())
                && !t.starts_with('0')
                && t.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|t| t.parse().ok())
        .ok_or(Refusal::StaleTimestamp)?;
    if (now_ms.div_euclid(1000) - signed_at).abs() > max_age_s {
        return Err(Refusal::StaleTimestamp);
    }
    let nonce = query
        .get("nonce")
        .filter(|n| !n.is_empty() && n.len() <= MAX_NONCE)
        .ok_or(Refusal::BadNonce)?;
    Ok(body.map(|body| CallbackUrl {
        channel_id,
        signed_at,
        nonce: nonce.to_owned(),
        body_hash: hex::encode(Sha256::digest(body)),
    }))
}

/// Bad signatures per (address, channel) in the current minute, on this node.
#[derive(Default)]
pub struct BadSignatures {
    counts: Mutex<HashMap<(String, ChannelId), (i64, u32)>>,
    /// Whether any bad signature was ever counted: until then (the normal
    /// case) a push is not held up by the lock.
    any: std::sync::atomic::AtomicBool,
}

impl BadSignatures {
    /// Whether `address` used up its bad signatures for `channel` this minute.
    pub fn blocked(&self, address: &str, channel: ChannelId, now_ms: i64) -> bool {
        if !self.any.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        let minute = now_ms.div_euclid(60_000);
        self.lock()
            .get(&(address.to_owned(), channel))
            .is_some_and(|&(at, count)| at == minute && count >= BAD_SIGNATURES_PER_MINUTE)
    }

    /// Counts one bad signature from `address` for `channel`.
    pub fn record(&self, address: &str, channel: ChannelId, now_ms: i64) {
        self.any.store(true, std::sync::atomic::Ordering::Relaxed);
        let minute = now_ms.div_euclid(60_000);
        let key = (address.to_owned(), channel);
        let mut counts = self.lock();
        if counts.len() >= TRACKED && !counts.contains_key(&key) {
            counts.retain(|_, (at, _)| *at == minute);
            if counts.len() >= TRACKED {
                return;
            }
        }
        let entry = counts.entry(key).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, ChannelId), (i64, u32)>> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(timestamp: &str, nonce: &str) -> Query {
        Query::parse(&format!("timestamp={timestamp}&nonce={nonce}&signature=x")).expect("query")
    }

    #[test]
    fn the_timestamp_must_be_within_the_window_either_way() {
        let channel = ChannelId(uuid::Uuid::nil());
        let now_ms = 1_800_000_000_000;
        let at = |offset: i64| {
            signed_url(
                channel,
                &query(&(1_800_000_000 + offset).to_string(), "7"),
                Some(b"x"),
                now_ms,
                300,
            )
        };
        assert!(at(0).is_ok() && at(-300).is_ok() && at(300).is_ok());
        assert_eq!(at(-301).err(), Some(Refusal::StaleTimestamp));
        assert_eq!(at(301).err(), Some(Refusal::StaleTimestamp));
        for bad in ["soon", "+1800000000", "01800000000", "1800000000.0", ""] {
            let refused = signed_url(channel, &query(bad, "7"), Some(b"x"), now_ms, 300);
            assert_eq!(refused.err(), Some(Refusal::StaleTimestamp), "{bad}");
        }
        let long = signed_url(
            channel,
            &query("1800000000", &"9".repeat(65)),
            Some(b"x"),
            now_ms,
            300,
        );
        assert_eq!(long.err(), Some(Refusal::BadNonce));
    }

    #[test]
    fn the_url_carries_the_body_hash() {
        let channel = ChannelId(uuid::Uuid::nil());
        let a = signed_url(
            channel,
            &query("1800000000", "7"),
            Some(b"a"),
            1_800_000_000_000,
            300,
        );
        let b = signed_url(
            channel,
            &query("1800000000", "7"),
            Some(b"b"),
            1_800_000_000_000,
            300,
        );
        let (a, b) = (a.ok().flatten().expect("a"), b.ok().flatten().expect("b"));
        let unbound = signed_url(
            channel,
            &query("1800000000", "7"),
            None,
            1_800_000_000_000,
            300,
        );
        assert_eq!(unbound, Ok(None), "the window is checked, nothing is bound");
        assert_eq!((a.signed_at, a.nonce.as_str()), (1_800_000_000, "7"));
        assert_ne!(a.body_hash, b.body_hash);
    }

    #[test]
    fn bad_signatures_are_limited_per_address_channel_and_minute() {
        let guard = BadSignatures::default();
        let (one, two) = (
            ChannelId(uuid::Uuid::from_u128(1)),
            ChannelId(uuid::Uuid::from_u128(2)),
        );
        let minute = 5 * 60_000;
        for _ in 0..BAD_SIGNATURES_PER_MINUTE {
            assert!(!guard.blocked("192.0.2.1", one, minute));
            guard.record("192.0.2.1", one, minute);
        }
        assert!(guard.blocked("192.0.2.1", one, minute + 59_999));
        assert!(!guard.blocked("192.0.2.2", one, minute), "another address");
        assert!(!guard.blocked("192.0.2.1", two, minute), "another channel");
        assert!(
            !guard.blocked("192.0.2.1", one, minute + 60_000),
            "a new minute"
        );
    }

    #[test]
    fn a_full_table_never_forgets_who_is_blocked_now() {
        let guard = BadSignatures::default();
        let channel = ChannelId(uuid::Uuid::nil());
        let minute = 9 * 60_000;
        for _ in 0..BAD_SIGNATURES_PER_MINUTE {
            guard.record("192.0.2.1", channel, minute);
        }
        for n in 0..TRACKED + 10 {
            guard.record(&format!("198.51.{}.{}", n / 256, n % 256), channel, minute);
        }
        assert!(guard.blocked("192.0.2.1", channel, minute));
    }
}
