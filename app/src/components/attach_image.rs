//! The composer's "Attach image" button (a file chooser limited to JPG, PNG
//! and GIF) and, where the channel sends files, "Attach file"; each hands
//! the chosen file on and says "Sending…" while it uploads. Also finds an
//! image in a paste.

use leptos::html;
use leptos::prelude::*;

use crate::components::composer::outgoing_image::ACCEPTED;
use crate::components::icon::{Icon, IconKind};
use crate::i18n::{t_string, use_i18n};

#[component]
pub fn AttachImage(
    sending: Signal<bool>,
    disabled: Signal<bool>,
    on_file: Callback<web_sys::File>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <AttachButton
            id="composer-image"
            accept=ACCEPTED
            icon=IconKind::Image
            title=Signal::derive(move || t_string!(i18n, image.attach_title))
            label=Signal::derive(move || t_string!(i18n, image.attach))
            sending_label=Signal::derive(move || t_string!(i18n, image.sending))
            sending=sending
            disabled=disabled
            on_file=on_file
        />
    }
}

/// "Attach file": any file up to 20 MB, where the channel sends files
/// (WeCom Customer Service).
#[component]
pub fn AttachFile(
    sending: Signal<bool>,
    disabled: Signal<bool>,
    on_file: Callback<web_sys::File>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <AttachButton
            id="composer-file"
            accept=""
            icon=IconKind::Paperclip
            title=Signal::derive(move || t_string!(i18n, file.attach_title))
            label=Signal::derive(move || t_string!(i18n, file.attach))
            sending_label=Signal::derive(move || t_string!(i18n, file.sending))
            sending=sending
            disabled=disabled
            on_file=on_file
        />
    }
}

/// A button that opens a file chooser and hands the chosen file on; its
/// label shows only while sending.
#[component]
fn AttachButton(
    id: &'static str,
    accept: &'static str,
    icon: IconKind,
    title: Signal<&'static str>,
    label: Signal<&'static str>,
    sending_label: Signal<&'static str>,
    sending: Signal<bool>,
    disabled: Signal<bool>,
    on_file: Callback<web_sys::File>,
) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let chosen = move |_| {
        if let Some(element) = input.get_untracked() {
            if let Some(file) = element.files().and_then(|files| files.get(0)) {
                on_file.run(file);
            }
            // Choosing the same file again must fire `change` again.
            element.set_value("");
        }
    };
    view! {
        <span class="attach-image">
            // Reached through the button; the input itself stays out of the tab order.
            <input
                type="file"
                id=id
                name=id
                class="visually-hidden"
                accept=(!accept.is_empty()).then_some(accept)
                tabindex="-1"
                aria-hidden="true"
                node_ref=input
                on:change=chosen
            />
            <button
                type="button"
                class=format!("button button-ghost button-small attach-image-button {id}-button")
                title=move || title.get()
                aria-busy=move || sending.get().to_string()
                disabled=move || disabled.get() || sending.get()
                on:click=move |_| {
                    if let Some(element) = input.get_untracked() {
                        element.click();
                    }
                }
            >
                <Icon kind=icon />
                <span class:visually-hidden=move || !sending.get()>
                    {move || if sending.get() { sending_label.get() } else { label.get() }}
                </span>
            </button>
        </span>
    }
}

/// The image a paste carries, when it carries one and no text (copying from
/// a document can bring a picture of the text along with the text itself).
pub fn pasted_image(ev: &web_sys::ClipboardEvent) -> Option<web_sys::File> {
    let data = ev.clipboard_data()?;
    if data.get_data("text/plain").is_ok_and(|t| !t.is_empty()) {
        return None;
    }
    let files = data.files()?;
    (0..files.length())
        .filter_map(|i| files.get(i))
        .find(|f| f.type_().starts_with("image/"))
}
