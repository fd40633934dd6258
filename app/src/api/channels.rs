//! Admin calls on channels: list them and connect a WeChat Official Account.

use gloo_net::http::Method;
use shared::api::{Channel, ConnectedChannel, CreateOfficialAccount};

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
