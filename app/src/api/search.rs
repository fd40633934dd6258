//! Search over contacts and messages the user may see.

use shared::api::SearchResults;

use super::client::{get_json, ApiError, TokenSource};

pub async fn search(auth: impl TokenSource, query: String) -> Result<SearchResults, ApiError> {
    let q = String::from(js_sys::encode_uri_component(&query));
    get_json(auth, &format!("/search?q={q}")).await
}
