//! A modal question with two answers, e.g. "Amy replied moments ago. Send
//! yours as well?". Focus starts on the safe answer, stays inside the
//! dialog, and Escape cancels; the caller puts focus back where it was.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use crate::i18n::{t, use_i18n};

#[component]
pub fn ConfirmDialog(
    /// The question (a closure re-renders it in another language).
    #[prop(into)]
    title: TextProp,
    #[prop(into)] message: TextProp,
    #[prop(into)] confirm_label: TextProp,
    /// The safe answer's words; "Don't send" unless given.
    #[prop(optional, into)]
    cancel_label: Option<TextProp>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let cancel_button = NodeRef::<html::Button>::new();
    let confirm_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel_button.get() {
            let _ = button.focus();
        }
    });
    // Two buttons: Tab and Shift+Tab move between them and never leave.
    let keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            ev.stop_propagation();
            on_cancel.run(());
        }
        "Tab" => {
            ev.prevent_default();
            let active = document().active_element();
            let on_cancel_button = cancel_button
                .get_untracked()
                .is_some_and(|b| active.as_ref() == Some(b.as_ref()));
            let next = if on_cancel_button {
                confirm_button.get_untracked()
            } else {
                cancel_button.get_untracked()
            };
            if let Some(button) = next {
                let _ = button.focus();
            }
        }
        _ => {}
    };
    view! {
        <div class="dialog-backdrop">
            <div
                class="dialog"
                role="alertdialog"
                aria-modal="true"
                aria-labelledby="confirm-title"
                aria-describedby="confirm-message"
                on:keydown=keydown
            >
                <h2 id="confirm-title" class="dialog-title">{move || title.get()}</h2>
                <p id="confirm-message" class="dialog-message">{move || message.get()}</p>
                <div class="dialog-actions">
                    <button type="button" class="button" node_ref=cancel_button on:click=move |_| on_cancel.run(())>
                        {move || match &cancel_label {
                            Some(label) => label.get().to_string().into_any(),
                            None => t!(i18n, confirm.dont_send).into_any(),
                        }}
                    </button>
                    <button type="button" class="button button-primary dialog-confirm" node_ref=confirm_button on:click=move |_| on_confirm.run(())>
                        {move || confirm_label.get()}
                    </button>
                </div>
            </div>
        </div>
    }
}
