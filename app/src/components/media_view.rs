//! A message's image, voice or video as Harbour keeps it: fetched with the
//! session's token into a `blob:` URL (revoked when the message leaves the
//! page), or a sentence while WeChat's copy is still coming or has failed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::MediaView as Media;

use crate::api::{self, ApiError};
use crate::state::auth::AuthState;

#[component]
pub fn MediaView(message: String, kind: String, media: Media) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let url = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let stored = media.state == "stored";
    if stored {
        let content_type = media.content_type.clone();
        spawn_local(async move {
            match api::media::blob_url(auth, message, content_type).await {
                Ok(blob) => {
                    if url.try_set(Some(blob.clone())).is_some() {
                        // The message left the page before the file arrived.
                        api::media::revoke(&blob);
                    }
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
        on_cleanup(move || {
            if let Some(blob) = url.try_get_untracked().flatten() {
                api::media::revoke(&blob);
            }
        });
    }
    let content_type = media.content_type.clone().unwrap_or_default();
    let playable = content_type.starts_with("audio/") && !content_type.contains("amr");
    move || {
        if !stored {
            let sentence = match media.state.as_str() {
                "pending" => "Fetching the file from WeChat…".to_owned(),
                _ => media
                    .error
                    .clone()
                    .unwrap_or_else(|| "Harbour could not keep a copy of this file.".to_owned()),
            };
            return view! { <span class="media-note" data-state=media.state.clone()>{sentence}</span> }.into_any();
        }
        if let Some(e) = error.get() {
            return view! { <span class="media-note" data-code=e.code()>{e.message().to_owned()}</span> }.into_any();
        }
        let Some(src) = url.get() else {
            return view! { <span class="media-loading" role="status">"Loading the file…"</span> }
                .into_any();
        };
        let link = src.clone();
        match kind.as_str() {
            "image" => view! {
                <a class="media-link" href=link target="_blank" rel="noopener">
                    <img class="media-image" src=src alt="Image from the client" loading="lazy" />
                </a>
            }
            .into_any(),
            "voice" => view! {
                <span class="media-audio">
                    <audio controls src=src preload="metadata"></audio>
                    {(!playable).then(|| view! {
                        <a class="media-download" href=link download="voice">"Download the recording"</a>
                    })}
                </span>
            }
            .into_any(),
            "video" | "shortvideo" => view! {
                <video class="media-video" controls src=src preload="metadata"></video>
            }
            .into_any(),
            _ => view! { <a class="media-download" href=src download="file">"Download the file"</a> }.into_any(),
        }
    }
}
