//! A message's image, voice or video, fetched with the bearer token and
//! handed to the page as a `blob:` URL (an `<img src>` cannot send the token).

use gloo_net::http::Method;
use shared::MessageId;
use wasm_bindgen::{JsCast, JsValue};

use super::client::{send_authed, ApiError, TokenSource};

/// Which copy of a message's media to fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The file as WeChat gave it.
    Original,
    /// A voice note decoded to WAV by the server (browsers cannot play AMR).
    Wav,
}

/// A `blob:` URL for the message's media; revoke it with [`revoke`] when done.
pub async fn blob_url(
    auth: impl TokenSource,
    message: MessageId,
    variant: Variant,
    content_type: Option<String>,
) -> Result<String, ApiError> {
    // A blob is typed only as media that cannot run script, whatever the
    // message says: anything else is opaque bytes to download.
    let content_type = content_type.map(|t| shared::media::safe_type(&t).to_owned());
    let (query, content_type) = match variant {
        Variant::Original => ("", content_type),
        Variant::Wav => ("?as=wav", Some("audio/wav".to_owned())),
    };
    let path = format!("/messages/{message}/media{query}");
    authed_blob_url(auth, &path, content_type.as_deref()).await
}

/// GETs `path` with the bearer token and hands the body to the page as a
/// `blob:` URL of `content_type`; revoke it with [`revoke`] when done.
pub async fn authed_blob_url(
    auth: impl TokenSource,
    path: &str,
    content_type: Option<&str>,
) -> Result<String, ApiError> {
    let response = send_authed(auth, Method::GET, path, None).await?;
    let status = response.status();
    let bytes = response
        .binary()
        .await
        .map_err(|_| ApiError::unreadable(status))?;
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let parts = js_sys::Array::of1(&JsValue::from(array));
    let options = web_sys::BlobPropertyBag::new();
    if let Some(kind) = content_type {
        options.set_type(kind);
    }
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| ApiError::unreadable(status))?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| ApiError::unreadable(status))
}

/// Fetches `path` with the user's token and hands it to the browser as a
/// download named `file_name` (a link needs no token in its address).
pub async fn save_as(
    auth: impl TokenSource,
    path: &str,
    content_type: &str,
    file_name: &str,
) -> Result<(), ApiError> {
    let url = authed_blob_url(auth, path, Some(content_type)).await?;
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(link) = link {
        link.set_href(&url);
        link.set_download(file_name);
        link.click();
    }
    // The click has handed the file over; the URL can go after a moment.
    gloo_timers::callback::Timeout::new(60_000, move || revoke(&url)).forget();
    Ok(())
}

pub fn revoke(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}
