//! Calls on contacts: the profile with their conversations, and edits.

use gloo_net::http::Method;
use shared::api::{ContactView, UpdateContact};
use shared::ContactId;

use super::client::{get_json, send_json, ApiError, TokenSource};

pub async fn get(auth: impl TokenSource, id: ContactId) -> Result<ContactView, ApiError> {
    get_json(auth, &format!("/contacts/{id}")).await
}

pub async fn update(
    auth: impl TokenSource,
    id: ContactId,
    change: UpdateContact,
) -> Result<ContactView, ApiError> {
    send_json(auth, Method::PATCH, &format!("/contacts/{id}"), &change).await
}
