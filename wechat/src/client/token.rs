//! Where access tokens are kept between calls: the [`TokenCache`] trait (the
//! server implements it over its database so every node shares one token) and
//! an in-memory implementation for a single process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use thiserror::Error;

use super::secret::AccessToken;
use crate::clock::UnixMillis;
use crate::message::AppId;

/// An access token with the moment it was issued and its lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedToken {
    /// The token.
    pub token: AccessToken,
    /// When `cgi-bin/token` returned it.
    pub obtained_at: UnixMillis,
    /// `expires_in` from the response (7200 s in practice).
    pub expires_in: Duration,
}

impl CachedToken {
    /// When WeChat stops accepting the token.
    pub fn expires_at(&self) -> UnixMillis {
        self.obtained_at.plus(self.expires_in)
    }

    /// Whether the token is still good at `now` with `margin` to spare.
    /// The margin is capped at half the lifetime so a short-lived token is
    /// still used at least once.
    pub fn is_fresh(&self, now: UnixMillis, margin: Duration) -> bool {
        let margin = margin.min(self.expires_in / 2);
        now.plus(margin) < self.expires_at()
    }
}

/// A failure of the storage behind a [`TokenCache`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the access token cache failed: {0}")]
pub struct TokenCacheError(pub String);

/// Shared storage for access tokens, one per appid.
///
/// Implementations only store; the client decides when to refresh and makes
/// sure one refresh runs at a time per client.
pub trait TokenCache: Send + Sync {
    /// The stored token for `appid`, fresh or not.
    fn get<'a>(
        &'a self,
        appid: &'a AppId,
    ) -> BoxFuture<'a, Result<Option<CachedToken>, TokenCacheError>>;

    /// Replaces the stored token for `appid`.
    fn put<'a>(
        &'a self,
        appid: &'a AppId,
        token: CachedToken,
    ) -> BoxFuture<'a, Result<(), TokenCacheError>>;

    /// Waits until no other process is refreshing `appid`'s token and keeps
    /// the others waiting until the returned guard is dropped, so that
    /// processes sharing this cache fetch one token between them. The client
    /// already lets one refresh at a time run within a process; the default
    /// has nothing more to wait for.
    fn refresh_guard<'a>(
        &'a self,
        _appid: &'a AppId,
    ) -> BoxFuture<'a, Result<RefreshGuard, TokenCacheError>> {
        Box::pin(async { Ok(Box::new(()) as RefreshGuard) })
    }
}

/// Held while a token is refreshed; see [`TokenCache::refresh_guard`].
pub type RefreshGuard = Box<dyn Send>;

/// A [`TokenCache`] in this process's memory.
#[derive(Debug, Default)]
pub struct InMemoryTokenCache {
    tokens: Mutex<HashMap<AppId, CachedToken>>,
}

impl InMemoryTokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AppId, CachedToken>> {
        // A panic while holding this lock cannot leave the map half-written.
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenCache for InMemoryTokenCache {
    fn get<'a>(
        &'a self,
        appid: &'a AppId,
    ) -> BoxFuture<'a, Result<Option<CachedToken>, TokenCacheError>> {
        let found = self.lock().get(appid).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn put<'a>(
        &'a self,
        appid: &'a AppId,
        token: CachedToken,
    ) -> BoxFuture<'a, Result<(), TokenCacheError>> {
        self.lock().insert(appid.clone(), token);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_at(secs: i64) -> CachedToken {
        CachedToken {
            token: AccessToken::new("t"),
            obtained_at: UnixMillis::from_secs(secs),
            expires_in: Duration::from_secs(7200),
        }
    }

    #[test]
    fn a_token_goes_stale_five_minutes_before_it_expires() {
        let token = token_at(0);
        let margin = Duration::from_secs(300);
        assert!(token.is_fresh(UnixMillis::from_secs(6899), margin));
        assert!(!token.is_fresh(UnixMillis::from_secs(6900), margin));
    }

    #[test]
    fn a_huge_margin_still_leaves_half_the_lifetime() {
        let token = token_at(0);
        assert!(token.is_fresh(UnixMillis::from_secs(3599), Duration::from_secs(10_000)));
    }
}
