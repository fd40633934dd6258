//! A WeChat Official Account channel: validation and creation, and loading
//! its callback credentials (opened from the sealed secrets) per request.

use crate::error::{AppError, AppResult};
use crate::secrets::SecretBox;
use crate::store::{channels, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::api::{CallbackMode, Channel, ConnectedChannel, CreateOfficialAccount};
use shared::{ChannelId, TeamId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use wechat::callback::CallbackConfig;

pub const KIND: &str = "wechat_oa";
pub const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";
/// WeChat accepts 3 to 32 characters; Harbour refuses guessable ones.
pub const MIN_TOKEN_LEN: usize = 16;
pub const MAX_TOKEN_LEN: usize = 32;

/// A callback token WeChat accepts: 32 random letters and digits.
pub fn generate_token() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::rngs::OsRng, MAX_TOKEN_LEN)
}

/// The sealed part of a channel.
#[derive(Serialize, Deserialize)]
pub struct OfficialAccountSecrets {
    pub app_secret: String,
    pub token: String,
    pub encoding_aes_key: String,
}

/// A channel with its secrets opened, for handling callbacks and sending.
pub struct OfficialAccount {
    pub channel: Channel,
    pub secrets: OfficialAccountSecrets,
}

impl std::fmt::Debug for OfficialAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficialAccount")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl OfficialAccount {
    pub fn callback_config(&self) -> AppResult<CallbackConfig> {
        let s = &self.secrets;
        let config = match self.channel.mode {
            CallbackMode::Plain => Ok(CallbackConfig::plain(&s.token)),
            CallbackMode::Compatible => {
                CallbackConfig::compatible(&s.token, &s.encoding_aes_key, &self.channel.app_id)
            }
            CallbackMode::Safe => {
                CallbackConfig::safe(&s.token, &s.encoding_aes_key, &self.channel.app_id)
            }
        };
        config.map_err(|e| {
            AppError::internal(anyhow::anyhow!(
                "stored channel key is invalid: {}",
                e.code()
            ))
        })
    }

    pub fn team(&self) -> Option<TeamId> {
        self.channel.team
    }
}

fn validate(input: &CreateOfficialAccount) -> AppResult<String> {
    check_name(&input.name)?;
    let app_id = input.app_id.trim();
    if app_id.is_empty() || app_id.len() > 64 || !app_id.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(AppError::validation(
            "app_id",
            "Enter the AppID from the WeChat admin console, e.g. wx1a2b3c4d5e6f7a8b.",
        ));
    }
    if input.app_secret.trim().is_empty() {
        return Err(AppError::validation(
            "app_secret",
            "Enter the AppSecret from the WeChat admin console.",
        ));
    }
    check_token(&input.token, "WeChat's console")?;
    let needs_key = input.mode != CallbackMode::Plain;
    if (needs_key || !input.encoding_aes_key.is_empty())
        && wechat::crypto::decode_encoding_aes_key(&input.encoding_aes_key).is_err()
    {
        return Err(AppError::validation(
            "encoding_aes_key",
            "The EncodingAESKey must be the 43 characters WeChat generated.",
        ));
    }
    check_api_base(input.api_base.as_deref(), DEFAULT_API_BASE)
}

/// A channel name: 1 to 80 characters.
pub(super) fn check_name(name: &str) -> AppResult<()> {
    if name.trim().is_empty() || name.chars().count() > 80 {
        return Err(AppError::validation(
            "name",
            "Enter a channel name of at most 80 characters.",
        ));
    }
    Ok(())
}

/// A callback Token: empty (Harbour generates one) or 16 to 32 letters or
/// digits; `console` names where it is pasted.
pub(super) fn check_token(token: &str, console: &str) -> AppResult<()> {
    let token_ok = token.is_empty()
        || ((MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&token.len())
            && token.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !token_ok {
        return Err(AppError::validation(
            "token",
            format!("The Token must be {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} letters or digits (a shorter one is easy to guess), or leave it empty and Harbour generates one to paste into {console}."),
        ));
    }
    Ok(())
}

/// The API base URL given, or `default`; without a trailing slash.
pub(super) fn check_api_base(given: Option<&str>, default: &str) -> AppResult<String> {
    let api_base = given
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(default);
    if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
        return Err(AppError::validation(
            "api_base",
            "The API base must be an http(s) URL.",
        ));
    }
    Ok(api_base.trim_end_matches('/').to_owned())
}

pub async fn create_official_account(
    store: &Store,
    secret_box: &SecretBox,
    now: i64,
    actor: Option<UserId>,
    input: &CreateOfficialAccount,
) -> AppResult<ConnectedChannel> {
    let api_base = validate(input)?;
    let generated_token = input.token.is_empty().then(generate_token);
    let secrets = OfficialAccountSecrets {
        app_secret: input.app_secret.trim().to_owned(),
        token: generated_token
            .clone()
            .unwrap_or_else(|| input.token.clone()),
        encoding_aes_key: input.encoding_aes_key.clone(),
    };
    let sealed = secret_box.seal(&serde_json::to_vec(&secrets).map_err(AppError::internal)?)?;
    let new = channels::NewChannel {
        kind: KIND,
        name: input.name.trim(),
        app_id: input.app_id.trim(),
        mode: input.mode.as_str(),
        api_base: &api_base,
        secrets: &sealed,
        team: input.team,
    };
    // The event records what was connected, never the secrets.
    let facts = json!({ "name": new.name, "app_id": new.app_id, "mode": new.mode });
    super::connect(store, now, actor, &new, facts, generated_token).await
}

/// Loads an Official Account with its secrets opened.
pub async fn load(
    store: &Store,
    secret_box: &SecretBox,
    id: ChannelId,
) -> AppResult<Option<OfficialAccount>> {
    Ok(super::load_opened(store, secret_box, id, KIND)
        .await?
        .map(|(channel, secrets)| OfficialAccount { channel, secrets }))
}

/// How long an opened account is reused. A deactivated channel may accept
/// pushes for this long after the change.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// Opened channels (secrets unsealed) kept for a moment, so a burst of
/// callbacks reads and unseals a channel once instead of once per push.
/// Misses are not cached.
pub struct OpenedCache<T> {
    entries: Arc<Mutex<HashMap<ChannelId, Opened<T>>>>,
}

/// A channel and when it was opened.
type Opened<T> = (Instant, Arc<T>);

impl<T> Clone for OpenedCache<T> {
    fn clone(&self) -> Self {
        OpenedCache {
            entries: self.entries.clone(),
        }
    }
}

impl<T> Default for OpenedCache<T> {
    fn default() -> Self {
        OpenedCache {
            entries: Arc::default(),
        }
    }
}

impl<T> OpenedCache<T> {
    /// The channel `id` as opened less than [`CACHE_TTL`] ago, or as `open`
    /// opens it now.
    pub async fn get_or_open<F, Fut>(&self, id: ChannelId, open: F) -> AppResult<Option<Arc<T>>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<Option<T>>>,
    {
        let now = Instant::now();
        if let Some((at, opened)) = self.lock().get(&id) {
            if now.duration_since(*at) < CACHE_TTL {
                return Ok(Some(opened.clone()));
            }
        }
        let Some(opened) = open().await?.map(Arc::new) else {
            self.lock().remove(&id);
            return Ok(None);
        };
        self.lock().insert(id, (now, opened.clone()));
        Ok(Some(opened))
    }

    /// Drops the channel's opened copy: the next use reads it again.
    pub fn forget(&self, id: ChannelId) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ChannelId, Opened<T>>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Opened Official Accounts.
pub type AccountCache = OpenedCache<OfficialAccount>;

impl AccountCache {
    pub async fn load(
        &self,
        store: &Store,
        secret_box: &SecretBox,
        id: ChannelId,
    ) -> AppResult<Option<Arc<OfficialAccount>>> {
        self.get_or_open(id, || load(store, secret_box, id)).await
    }
}
