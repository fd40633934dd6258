//! One WeChat API client per channel (an Official Account's, or a WeCom
//! Customer Service estate's), shared by the send, media, profile and sync
//! jobs, with access tokens kept (sealed) in the database so every node
//! uses the same token instead of each fetching its own.

use crate::channels::{official_account, wecom_kf};
use crate::clock::Clock;
use crate::secrets::SecretBox;
use crate::store::Store;
use futures::future::BoxFuture;
use shared::ChannelId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wechat::client::CorpSecret;
use wechat::client::{
    AccessToken, AppSecret, CachedToken, RefreshGuard, TokenCache, TokenCacheError,
};
use wechat::clock::UnixMillis;
use wechat::{ApiClient, AppId, KfClient};

/// Access tokens in the `access_tokens` table, sealed like other secrets.
pub struct DbTokenCache {
    store: Store,
    secrets: Arc<SecretBox>,
}

impl DbTokenCache {
    pub fn new(store: Store, secrets: Arc<SecretBox>) -> Self {
        DbTokenCache { store, secrets }
    }
}

fn cache_error(err: impl std::fmt::Display) -> TokenCacheError {
    TokenCacheError(err.to_string())
}

impl TokenCache for DbTokenCache {
    fn get<'a>(
        &'a self,
        appid: &'a AppId,
    ) -> BoxFuture<'a, Result<Option<CachedToken>, TokenCacheError>> {
        Box::pin(async move {
            let Some((sealed, obtained_at, expires_in_ms)) = self
                .store
                .access_token(appid.as_str())
                .await
                .map_err(cache_error)?
            else {
                return Ok(None);
            };
            let opened = self.secrets.open(&sealed).map_err(cache_error)?;
            let token = String::from_utf8(opened).map_err(cache_error)?;
            Ok(Some(CachedToken {
                token: AccessToken::new(token),
                obtained_at: UnixMillis(obtained_at),
                expires_in: Duration::from_millis(expires_in_ms.max(0) as u64),
            }))
        })
    }

    fn put<'a>(
        &'a self,
        appid: &'a AppId,
        token: CachedToken,
    ) -> BoxFuture<'a, Result<(), TokenCacheError>> {
        Box::pin(async move {
            let sealed = self
                .secrets
                .seal(token.token.expose().as_bytes())
                .map_err(cache_error)?;
            let expires_in_ms = i64::try_from(token.expires_in.as_millis()).unwrap_or(i64::MAX);
            self.store
                .put_access_token(appid.as_str(), &sealed, token.obtained_at.0, expires_in_ms)
                .await
                .map_err(cache_error)
        })
    }

    fn refresh_guard<'a>(
        &'a self,
        appid: &'a AppId,
    ) -> BoxFuture<'a, Result<RefreshGuard, TokenCacheError>> {
        Box::pin(async move {
            let lock = self
                .store
                .token_refresh_lock(appid.as_str())
                .await
                .map_err(cache_error)?;
            Ok(Box::new(lock) as RefreshGuard)
        })
    }
}

/// API clients by channel id.
#[derive(Clone)]
pub struct Clients {
    store: Store,
    secrets: Arc<SecretBox>,
    clock: Clock,
    clients: Arc<Mutex<HashMap<ChannelId, Client>>>,
}

/// A channel's client, by the kind of channel.
#[derive(Clone)]
enum Client {
    Official(ApiClient),
    Kf(KfClient),
}

impl Client {
    /// The client for token-authenticated calls both kinds share (media).
    fn api(&self) -> &ApiClient {
        match self {
            Client::Official(client) => client,
            Client::Kf(client) => client.api(),
        }
    }
}

impl Clients {
    pub fn new(store: Store, secrets: Arc<SecretBox>, clock: Clock) -> Self {
        Clients {
            store,
            secrets,
            clock,
            clients: Arc::default(),
        }
    }

    /// The channel's client for the calls both kinds share (media
    /// downloads and uploads; for an Official Account, everything); `Err`
    /// is a reason fit for a sentence.
    pub async fn get(&self, channel_id: ChannelId) -> Result<ApiClient, String> {
        Ok(self.client(channel_id).await?.api().clone())
    }

    /// A WeCom Customer Service channel's client; `None` for another kind
    /// of channel. `Err` (a reason fit for a sentence): it cannot be had now.
    pub async fn kf(&self, channel_id: ChannelId) -> Result<Option<KfClient>, String> {
        Ok(match self.client(channel_id).await? {
            Client::Kf(client) => Some(client),
            Client::Official(_) => None,
        })
    }

    /// [`Clients::kf`] for a request: a channel that cannot be had now is
    /// a 409 (`wechat_refused`) saying why.
    pub async fn kf_for_request(
        &self,
        channel_id: ChannelId,
    ) -> crate::error::AppResult<Option<KfClient>> {
        self.kf(channel_id).await.map_err(|reason| {
            crate::error::AppError::conflict_because(
                "wechat_refused",
                format!("WeCom cannot be asked: {reason}."),
            )
        })
    }

    async fn client(&self, channel_id: ChannelId) -> Result<Client, String> {
        if let Some(client) = self.lock().get(&channel_id).cloned() {
            return Ok(client);
        }
        let tokens = Arc::new(DbTokenCache::new(self.store.clone(), self.secrets.clone()));
        let clock = Arc::new(self.clock.clone());
        let official = official_account::load(&self.store, &self.secrets, channel_id)
            .await
            .map_err(|e| e.to_string())?;
        let client = match official {
            Some(account) => Client::Official(
                ApiClient::builder(
                    AppId::new(account.channel.app_id.clone()),
                    AppSecret::new(account.secrets.app_secret.clone()),
                )
                .base_url(account.channel.api_base.clone())
                .clock(clock)
                .token_cache(tokens)
                .build()
                .map_err(|e| e.code().to_owned())?,
            ),
            None => {
                let estate = wecom_kf::load(&self.store, &self.secrets, channel_id)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("the channel no longer exists")?;
                Client::Kf(
                    KfClient::builder(
                        estate.corp_id(),
                        CorpSecret::new(estate.secrets.corp_secret.clone()),
                    )
                    .base_url(estate.channel.api_base.clone())
                    .clock(clock)
                    .token_cache(tokens)
                    // Inside the pull lease (see `kf_sync`).
                    .timeout(crate::channels::kf_sync::KF_CALL_TIMEOUT)
                    .build_kf()
                    .map_err(|e| e.code().to_owned())?,
                )
            }
        };
        self.lock().insert(channel_id, client.clone());
        Ok(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ChannelId, Client>> {
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
