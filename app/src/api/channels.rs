//! Admin calls on channels: list them and connect a WeChat Official Account.

use gloo_net::http::Method;
use shared::api::{Channel, CreateOfficialAccount};

use super::client::{get_json, send_json, ApiError, TokenSource};

pub async fn list(auth: impl TokenSource) -> Result<Vec<Channel>, ApiError> {
    get_json(auth, "/channels").await
}

/// Sends the account's secrets once; the server stores them sealed and
/// never returns them.
pub async fn connect_official_account(
    auth: impl TokenSource,
    account: &CreateOfficialAccount,
) -> Result<Channel, ApiError> {
    send_json(auth, Method::POST, "/channels/official-accounts", account).await
}
