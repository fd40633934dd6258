//! A WeCom Customer Service (微信客服) channel: an organisation's estate of
//! Customer Service accounts, connected with the corpid and the secret of
//! the app allowed to call the API. Validation and creation, and loading
//! its callback credentials (opened from the sealed secrets).

use super::official_account::{check_api_base, check_name, check_token, generate_token};
use crate::error::{AppError, AppResult};
use crate::secrets::SecretBox;
use crate::store::{channels, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::api::{Channel, ConnectedChannel, CreateWecomKf};
use shared::{ChannelId, UserId};
use wechat::kf::KfCallbackConfig;
use wechat::message::CorpId;

pub const KIND: &str = "wecom_kf";
pub const DEFAULT_API_BASE: &str = wechat::client::WECOM_BASE_URL;
/// WeCom callbacks are always encrypted.
const MODE: &str = "safe";

/// The sealed part of a channel.
#[derive(Serialize, Deserialize)]
pub struct WecomKfSecrets {
    pub corp_secret: String,
    pub token: String,
    pub encoding_aes_key: String,
}

/// Opened estates with their callback credentials, reused for a moment
/// across callbacks (see [`super::official_account::OpenedCache`]).
pub type EstateCache =
    super::official_account::OpenedCache<(WecomKf, wechat::kf::KfCallbackConfig)>;

/// A channel with its secrets opened, for handling callbacks and calling
/// the API.
pub struct WecomKf {
    pub channel: Channel,
    pub secrets: WecomKfSecrets,
}

impl std::fmt::Debug for WecomKf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomKf")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl WecomKf {
    pub fn corp_id(&self) -> CorpId {
        CorpId::new(self.channel.app_id.clone())
    }

    pub fn callback_config(&self) -> AppResult<KfCallbackConfig> {
        KfCallbackConfig::new(
            &self.secrets.token,
            &self.secrets.encoding_aes_key,
            &self.corp_id(),
        )
        .map_err(|e| {
            AppError::internal(anyhow::anyhow!(
                "stored channel key is invalid: {}",
                e.code()
            ))
        })
    }
}

/// Checks the input; the API base to store.
fn validate(input: &CreateWecomKf) -> AppResult<String> {
    check_name(&input.name)?;
    let corp_id = input.corp_id.trim();
    if corp_id.is_empty()
        || corp_id.len() > 64
        || !corp_id.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(AppError::validation(
            "corp_id",
            "Enter the corpid from the WeCom admin console (My Company), e.g. ww4f3e2d1c0b9a8776.",
        ));
    }
    if input.corp_secret.trim().is_empty() {
        return Err(AppError::validation(
            "corp_secret",
            "Enter the Secret of the WeCom app allowed to call the Customer Service API.",
        ));
    }
    check_token(&input.token, "the WeCom console")?;
    if wechat::crypto::decode_encoding_aes_key(&input.encoding_aes_key).is_err() {
        return Err(AppError::validation(
            "encoding_aes_key",
            "The EncodingAESKey must be the 43 characters WeCom generated.",
        ));
    }
    check_api_base(input.api_base.as_deref(), DEFAULT_API_BASE)
}

pub async fn create_wecom_kf(
    store: &Store,
    secret_box: &SecretBox,
    now: i64,
    actor: Option<UserId>,
    input: &CreateWecomKf,
) -> AppResult<ConnectedChannel> {
    let api_base = validate(input)?;
    let generated_token = input.token.is_empty().then(generate_token);
    let secrets = WecomKfSecrets {
        corp_secret: input.corp_secret.trim().to_owned(),
        token: generated_token
            .clone()
            .unwrap_or_else(|| input.token.clone()),
        encoding_aes_key: input.encoding_aes_key.clone(),
    };
    let sealed = secret_box.seal(&serde_json::to_vec(&secrets).map_err(AppError::internal)?)?;
    let new = channels::NewChannel {
        kind: KIND,
        name: input.name.trim(),
        app_id: input.corp_id.trim(),
        mode: MODE,
        api_base: &api_base,
        secrets: &sealed,
        team: input.team,
    };
    // The event records what was connected, never the secrets.
    let facts = json!({ "name": new.name, "corp_id": new.app_id, "kind": KIND });
    super::connect(store, now, actor, &new, facts, generated_token).await
}

/// Loads a WeCom Customer Service channel with its secrets opened.
pub async fn load(
    store: &Store,
    secret_box: &SecretBox,
    id: ChannelId,
) -> AppResult<Option<WecomKf>> {
    Ok(super::load_opened(store, secret_box, id, KIND)
        .await?
        .map(|(channel, secrets)| WecomKf { channel, secrets }))
}
