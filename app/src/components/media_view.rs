//! A message's image, voice or video as Harbour keeps it: fetched with the
//! session's token into a `blob:` URL (revoked when the message leaves the
//! page), or a sentence while WeChat's copy is still coming or has failed.
//! WeChat's AMR voice notes play from a WAV copy the server decodes; the
//! original stays one click away.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{MediaState, MediaView as Media};
use shared::MessageId;
use wasm_bindgen::JsCast;

use crate::api::media::Variant;
use crate::api::{self, ApiError};
use crate::components::icon::{Icon, IconKind};
use crate::i18n::{t, t_string, use_i18n};
use crate::state::auth::AuthState;

/// How long a downloaded file's `blob:` URL lives: long enough for the
/// browser to start saving it.
const DOWNLOAD_URL_MS: u64 = 60_000;

#[component]
pub fn MediaView(
    message: MessageId,
    kind: String,
    media: Media,
    /// Sent by the team rather than received from the client.
    #[prop(optional)]
    outbound: bool,
    /// The name a file was sent under, when Harbour knows it.
    #[prop(default = None)]
    file_name: Option<String>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let url = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let state = media.state;
    let failure = media.error.clone();
    // What shows instead of the file while WeChat's copy is coming or failed.
    let note = move || match state {
        MediaState::Stored => None,
        MediaState::Pending => Some(t_string!(i18n, media.fetching).to_owned()),
        MediaState::Failed => Some(
            failure
                .clone()
                .unwrap_or_else(|| t_string!(i18n, media.not_kept).to_owned()),
        ),
    };
    let stored = state == MediaState::Stored;
    let content_type = media
        .content_type
        .clone()
        .unwrap_or_default()
        .to_ascii_lowercase();
    // Browsers cannot play AMR; the server serves it decoded as WAV.
    let amr = kind == "voice" && content_type.contains("amr");
    if stored {
        let variant = if amr { Variant::Wav } else { Variant::Original };
        let content_type = media.content_type.clone();
        spawn_local(async move {
            match api::media::blob_url(auth, message, variant, content_type).await {
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
    let playable = content_type.starts_with("audio/") && !amr;
    let original = StoredValue::new((message, media.content_type.clone()));
    let alt = move || {
        if outbound {
            t_string!(i18n, media.image_sent)
        } else {
            t_string!(i18n, media.image_received)
        }
    };
    move || {
        if let Some(sentence) = note() {
            return view! { <span class="media-note" data-state=state.as_str()>{sentence}</span> }
                .into_any();
        }
        if amr {
            let (message, content_type) = original.get_value();
            return view! { <AmrVoice url=url error=error message=message content_type=content_type /> }
                .into_any();
        }
        if let Some(e) = error.get() {
            return view! { <span class="media-note" data-code=e.code_str()>{e.message().to_owned()}</span> }.into_any();
        }
        let Some(src) = url.get() else {
            return view! { <span class="media-loading" role="status">{t!(i18n, media.loading_file)}</span> }
                .into_any();
        };
        let link = src.clone();
        match kind.as_str() {
            "image" => view! {
                <a class="media-link" href=link target="_blank" rel="noopener">
                    <img class="media-image" src=src alt=alt loading="lazy" />
                </a>
            }
            .into_any(),
            "voice" => view! {
                <span class="media-audio">
                    <audio controls src=src preload="metadata"></audio>
                    {(!playable).then(|| view! {
                        <a class="media-download" href=link download="voice">{t!(i18n, media.download_recording)}</a>
                    })}
                </span>
            }
            .into_any(),
            "video" | "shortvideo" => view! {
                <video class="media-video" controls src=src preload="metadata"></video>
            }
            .into_any(),
            _ => match file_name.clone() {
                Some(name) => {
                    let shown = name.clone();
                    view! {
                        <a class="media-download media-file" href=src download=name>
                            <Icon kind=IconKind::Paperclip />
                            <span>{shown}</span>
                        </a>
                    }
                    .into_any()
                }
                None => view! { <a class="media-download" href=src download="file">{t!(i18n, media.download_file)}</a> }.into_any(),
            },
        }
    }
}

/// An AMR voice note: a player for the WAV copy, and the original AMR to
/// download (fetched only when asked for).
#[component]
fn AmrVoice(
    url: RwSignal<Option<String>>,
    error: RwSignal<Option<ApiError>>,
    message: MessageId,
    content_type: Option<String>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let downloading = RwSignal::new(false);
    let download_error = RwSignal::new(None::<ApiError>);
    let download = move |_| {
        if downloading.get_untracked() {
            return;
        }
        downloading.set(true);
        download_error.set(None);
        let content_type = content_type.clone();
        spawn_local(async move {
            let outcome =
                api::media::blob_url(auth, message, Variant::Original, content_type).await;
            downloading.try_set(false);
            match outcome {
                Ok(blob) => {
                    save_as(&blob, "voice.amr");
                    set_timeout(
                        move || api::media::revoke(&blob),
                        std::time::Duration::from_millis(DOWNLOAD_URL_MS),
                    );
                }
                Err(e) => {
                    download_error.try_set(Some(e));
                }
            }
        });
    };
    let player = move || {
        if error.with(Option::is_some) {
            return view! {
                <span class="media-note" data-code=move || error.get().map(|e| e.code_str())>
                    {t!(i18n, media.not_playable)}
                </span>
            }
            .into_any();
        }
        match url.get() {
            Some(src) => view! { <audio controls src=src preload="metadata"></audio> }.into_any(),
            None => {
                view! { <span class="media-loading" role="status">{t!(i18n, media.loading_recording)}</span> }
                    .into_any()
            }
        }
    };
    view! {
        <span class="media-audio">
            {player}
            <button type="button" class="media-download" disabled=move || downloading.get() on:click=download>
                {move || {
                    if downloading.get() {
                        t_string!(i18n, media.downloading)
                    } else {
                        t_string!(i18n, media.download_recording)
                    }
                }}
            </button>
            {move || download_error.get().map(|e| view! {
                <span class="media-note" role="alert" data-code=e.code_str()>{e.message().to_owned()}</span>
            })}
        </span>
    }
}

/// Makes the browser save `url` as `filename`.
fn save_as(url: &str, filename: &str) {
    let link = document()
        .create_element("a")
        .ok()
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(link) = link {
        let _ = link.set_attribute("href", url);
        let _ = link.set_attribute("download", filename);
        link.click();
    }
}
