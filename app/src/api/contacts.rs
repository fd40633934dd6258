//! Calls on contacts: the profile with their conversations, and edits.

use gloo_net::http::Method;
use shared::api::{ContactView, UpdateContact};

use super::client::{get_json, send_json, ApiError, TokenSource};

fn segment(id: &str) -> String {
    String::from(js_sys::encode_uri_component(id))
}

pub async fn get(auth: impl TokenSource, id: String) -> Result<ContactView, ApiError> {
    get_json(auth, &format!("/contacts/{}", segment(&id))).await
}

pub async fn update(
    auth: impl TokenSource,
    id: String,
    change: UpdateContact,
) -> Result<ContactView, ApiError> {
    send_json(
        auth,
        Method::PATCH,
        &format!("/contacts/{}", segment(&id)),
        &change,
    )
    .await
}
