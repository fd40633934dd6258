//! The keyboard shortcut overlay (`?`).

use leptos::html;
use leptos::prelude::*;

use crate::focus_trap::{give_focus_back, return_to, trap_focus, ReturnTo};
use crate::i18n::{t, use_i18n};
use crate::shortcuts::help;
use crate::state::inbox::InboxState;

#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let inbox = expect_context::<InboxState>();
    let before = return_to();
    give_focus_back(move || inbox.help_open.get(), before);
    view! {
        <Show when=move || inbox.help_open.get()>
            <div class="dialog-backdrop" on:mousedown=move |ev| {
                if ev.target() == ev.current_target() { inbox.help_open.set(false) }
            }>
                <HelpDialog before=before />
            </div>
        </Show>
    }
}

/// The dialog itself: made when it opens, so it takes focus then and gives
/// it back when it closes.
#[component]
fn HelpDialog(before: ReturnTo) -> impl IntoView {
    let inbox = expect_context::<InboxState>();
    let i18n = use_i18n();
    let dialog = NodeRef::<html::Div>::new();
    let keydown = trap_focus(dialog, before);
    view! {
        <div class="dialog shortcut-help" role="dialog" aria-modal="true" aria-labelledby="shortcut-title" node_ref=dialog on:keydown=keydown>
            <h2 id="shortcut-title" class="dialog-title">{t!(i18n, shortcuts.title)}</h2>
            <dl class="shortcut-list">
                {move || {
                    help(i18n.get_locale())
                        .into_iter()
                        .map(|(key, what)| view! { <dt><kbd class="kbd">{key}</kbd></dt><dd>{what}</dd> })
                        .collect_view()
                }}
            </dl>
            <p class="dialog-message">{t!(i18n, shortcuts.typing)}</p>
            <div class="dialog-actions">
                <button type="button" class="button" on:click=move |_| inbox.help_open.set(false)>{t!(i18n, common.close)}</button>
            </div>
        </div>
    }
}
