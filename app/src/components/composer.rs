//! The reply box under an open conversation. Ctrl/⌘+Enter sends. While
//! WeChat's reply window is closed it is disabled and says why; a refusal
//! or a validation error from the server is shown as the server worded it,
//! and the text stays so nothing is lost.

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::ReplyWindow;

use crate::api::{self, ApiError};
use crate::components::icon::{Icon, IconKind};
use crate::labels::{window_summary, WindowTone};
use crate::remote::RemoteValue;
use crate::state::auth::AuthState;

#[component]
pub fn Composer(
    conversation: String,
    window: RemoteValue<ReplyWindow>,
    now: Signal<i64>,
    /// Called after the server queued a reply or refused one: time to refetch.
    on_change: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let conversation = StoredValue::new(conversation);
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    // Why a reply cannot go out now, once the window is known.
    let refusal = move || {
        window.value.with(|w| {
            w.as_ref().and_then(|w| match window_summary(w, now.get()) {
                (WindowTone::Closed, sentence) => Some(sentence),
                _ => None,
            })
        })
    };
    let closed = move || refusal().is_some();
    let text_invalid =
        move || error.with(|e| e.as_ref().is_some_and(|e| e.field() == Some("text")));

    let send = move || {
        if busy.get_untracked() || closed() {
            return;
        }
        busy.set(true);
        error.set(None);
        let body = text.get_untracked();
        let id = conversation.get_value();
        spawn_local(async move {
            match api::conversations::reply(auth, id, body).await {
                Ok(_) => {
                    text.try_set(String::new());
                    on_change.run(());
                }
                Err(failure) => {
                    let refused = failure.status == 409;
                    error.try_set(Some(failure));
                    if refused {
                        on_change.run(());
                    }
                }
            }
            busy.try_set(false);
        });
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        send();
    };
    let keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            send();
        }
    };

    view! {
        <form class="composer" novalidate on:submit=submit aria-label="Reply">
            {move || {
                refusal().map(|sentence| view! { <p class="composer-refusal" role="status">{sentence}</p> })
            }}
            <label class="visually-hidden" for="composer-text">"Reply to the client"</label>
            <textarea
                id="composer-text"
                name="text"
                rows="3"
                placeholder=move || if closed() { "Replies are paused for this conversation." } else { "Write a reply…" }
                aria-invalid=move || text_invalid().then_some("true")
                aria-describedby="composer-hint composer-error"
                disabled=closed
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=keydown
            ></textarea>
            <div class="composer-footer">
                <p class="composer-hint" id="composer-hint" hidden=closed>
                    "Ctrl+Enter or ⌘+Enter to send"
                </p>
                <button
                    type="submit"
                    class="button button-primary composer-send"
                    disabled=move || busy.get() || closed()
                >
                    <Icon kind=IconKind::Send />
                    <span>{move || if busy.get() { "Sending…" } else { "Send" }}</span>
                </button>
            </div>
            <div id="composer-error">
                {move || {
                    error
                        .get()
                        .map(|e| {
                            view! {
                                <p class="form-error composer-error" role="alert" data-code=e.code()>
                                    {e.message().to_owned()}
                                </p>
                            }
                        })
                }}
            </div>
        </form>
    }
}
