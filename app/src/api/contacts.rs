//! Calls on contacts: the profile with their conversations, and edits.

use gloo_net::http::Method;
use shared::api::{AccessEntry, ContactView, UpdateContact};
use shared::ContactId;

use super::client::{get_json, send_json, ApiError, TokenSource};

pub async fn get(auth: impl TokenSource, id: ContactId) -> Result<ContactView, ApiError> {
    get_json(auth, &format!("/contacts/{id}")).await
}

/// Who read the client's records, newest first (admins and compliance).
pub async fn accesses(
    auth: impl TokenSource,
    id: ContactId,
    limit: usize,
) -> Result<Vec<AccessEntry>, ApiError> {
    get_json(auth, &format!("/contacts/{id}/accesses?limit={limit}")).await
}

pub async fn update(
    auth: impl TokenSource,
    id: ContactId,
    change: UpdateContact,
) -> Result<ContactView, ApiError> {
    send_json(auth, Method::PATCH, &format!("/contacts/{id}"), &change).await
}

/// The client another system (a CRM) knows as `id`, if the user may see them.
pub async fn by_external_id(
    auth: impl TokenSource,
    system: &str,
    id: &str,
) -> Result<ContactView, ApiError> {
    let system = String::from(js_sys::encode_uri_component(system));
    let id = String::from(js_sys::encode_uri_component(id));
    get_json(
        auth,
        &format!("/contacts/by-external-id?system={system}&id={id}"),
    )
    .await
}
