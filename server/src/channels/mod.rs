//! Channels: connecting a WeChat Official Account or a WeCom Customer
//! Service estate (secrets sealed at rest),
//! turning its verified callbacks into stored messages, and the jobs that
//! talk to WeChat afterwards (sends, media downloads, profiles).

pub mod callback_guard;
pub mod clients;
pub mod kf_session;
pub mod kf_sync;
pub mod media;
pub mod official_account;
pub mod profile;
pub mod sender;
pub mod voice;
pub mod wecom_kf;

pub use official_account::{create_official_account, OfficialAccount};

/// A channel of `kind` with its secrets opened; `None` when there is no
/// such channel or it is of another kind.
async fn load_opened<S: serde::de::DeserializeOwned>(
    store: &crate::store::Store,
    secret_box: &crate::secrets::SecretBox,
    id: shared::ChannelId,
    kind: &str,
) -> crate::error::AppResult<Option<(shared::api::Channel, S)>> {
    let Some((channel, sealed)) = store.channel_with_secrets(id).await? else {
        return Ok(None);
    };
    if channel.kind != kind {
        return Ok(None);
    }
    let opened = secret_box.open(&sealed)?;
    let secrets = serde_json::from_slice(&opened).map_err(crate::error::AppError::internal)?;
    Ok(Some((channel, secrets)))
}

/// Stores a new channel and its `channel.created` event (`facts` about what
/// was connected, never the secrets; the id is added), in one commit, and
/// returns it as connected.
async fn connect(
    store: &crate::store::Store,
    now: i64,
    actor: Option<shared::UserId>,
    new: &crate::store::channels::NewChannel<'_>,
    mut facts: serde_json::Value,
    generated_token: Option<String>,
) -> crate::error::AppResult<shared::api::ConnectedChannel> {
    use crate::store::events::{append, NewEvent};
    let mut tx = store.begin().await?;
    let id = crate::store::channels::insert_channel(&mut tx, now, new).await?;
    facts["channel"] = serde_json::json!(id);
    append(
        &mut tx,
        now,
        &[NewEvent::new("channel.created", actor, facts).in_team(new.team)],
    )
    .await?;
    store.commit(tx).await?;
    let channel = store
        .channel(id)
        .await?
        .ok_or(crate::error::AppError::NotFound("That channel"))?;
    Ok(shared::api::ConnectedChannel {
        channel,
        generated_token,
    })
}
