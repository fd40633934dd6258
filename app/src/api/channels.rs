//! Admin calls on channels: list them, connect a WeChat Official Account or
//! a WeCom Customer Service estate, and map an estate's accounts to teams.

use gloo_net::http::Method;
use shared::api::{
    Channel, ConnectedChannel, CreateOfficialAccount, CreateWecomKf, KfAccountView, MapKfAccount,
};
use shared::ChannelId;

use super::client::{get_json, send_json, ApiError, TokenSource};

pub async fn list(auth: impl TokenSource) -> Result<Vec<Channel>, ApiError> {
    get_json(auth, "/channels").await
}

/// Sends the account's secrets once; the server stores them sealed and
/// never returns them (only a Token it generated, this once).
pub async fn connect_official_account(
    auth: impl TokenSource,
    account: &CreateOfficialAccount,
) -> Result<ConnectedChannel, ApiError> {
    send_json(auth, Method::POST, "/channels/official-accounts", account).await
}

/// Sends the estate's secrets once, as [`connect_official_account`] does.
pub async fn connect_wecom_kf(
    auth: impl TokenSource,
    estate: &CreateWecomKf,
) -> Result<ConnectedChannel, ApiError> {
    send_json(auth, Method::POST, "/channels/wecom-kf", estate).await
}

/// The accounts of an estate as Harbour knows them.
pub async fn kf_accounts(
    auth: impl TokenSource,
    channel: ChannelId,
) -> Result<Vec<KfAccountView>, ApiError> {
    get_json(auth, &format!("/channels/{channel}/kf-accounts")).await
}

/// Asks WeCom for the estate's accounts.
pub async fn refresh_kf_accounts(
    auth: impl TokenSource,
    channel: ChannelId,
) -> Result<Vec<KfAccountView>, ApiError> {
    send_json(
        auth,
        Method::POST,
        &format!("/channels/{channel}/kf-accounts/refresh"),
        &serde_json::json!({}),
    )
    .await
}

/// Sends an account's new conversations to a team.
pub async fn map_kf_account(
    auth: impl TokenSource,
    channel: ChannelId,
    open_kfid: &str,
    mapping: &MapKfAccount,
) -> Result<Vec<KfAccountView>, ApiError> {
    send_json(
        auth,
        Method::PUT,
        &format!("/channels/{channel}/kf-accounts/{open_kfid}"),
        mapping,
    )
    .await
}
