//! A "Copy" button that puts a text on the clipboard and says, for a moment,
//! whether it worked. Where the browser refuses, it says to copy by hand.

use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{t_string, use_i18n};

/// How long "Copied" stays before the button reads "Copy" again.
const FEEDBACK_MS: u32 = 2_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Idle,
    Copied,
    Refused,
}

async fn write_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    // Browsers offer the clipboard only on secure origins (https or localhost).
    let clipboard = window.navigator().clipboard();
    JsFuture::from(clipboard.write_text(text)).await.is_ok()
}

#[component]
pub fn CopyButton(
    text: String,
    /// What is copied, for screen readers: "Copy the callback URL of HK Lending"
    /// (a closure re-renders it in another language).
    #[prop(into)]
    label: TextProp,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = StoredValue::new(text);
    let outcome = RwSignal::new(Outcome::Idle);
    let reset: StoredValue<Option<Timeout>, LocalStorage> = StoredValue::new_local(None);

    let copy = move |_| {
        spawn_local(async move {
            let copied = write_to_clipboard(&text.get_value()).await;
            outcome.try_set(if copied {
                Outcome::Copied
            } else {
                Outcome::Refused
            });
            // Replacing the timer cancels the previous one.
            let timer = Timeout::new(FEEDBACK_MS, move || {
                outcome.try_set(Outcome::Idle);
            });
            reset.try_update_value(|slot| *slot = Some(timer));
        });
    };

    view! {
        <button
            type="button"
            class="button button-small copy-button"
            data-outcome=move || match outcome.get() {
                Outcome::Idle => "idle",
                Outcome::Copied => "copied",
                Outcome::Refused => "refused",
            }
            aria-label=move || label.get()
            on:click=copy
        >
            <span aria-live="polite">
                {move || match outcome.get() {
                    Outcome::Idle => t_string!(i18n, common.copy),
                    Outcome::Copied => t_string!(i18n, common.copied),
                    Outcome::Refused => t_string!(i18n, common.copy_by_hand),
                }}
            </span>
        </button>
    }
}
