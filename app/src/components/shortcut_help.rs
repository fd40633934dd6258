//! The keyboard shortcut overlay (`?`).

use leptos::prelude::*;

use crate::i18n::{t, use_i18n};
use crate::shortcuts::help;
use crate::state::inbox::InboxState;

#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let inbox = expect_context::<InboxState>();
    let i18n = use_i18n();
    view! {
        <Show when=move || inbox.help_open.get()>
            <div class="dialog-backdrop" on:mousedown=move |ev| {
                if ev.target() == ev.current_target() { inbox.help_open.set(false) }
            }>
                <div class="dialog shortcut-help" role="dialog" aria-modal="true" aria-labelledby="shortcut-title">
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
                        <button type="button" class="button" autofocus on:click=move |_| inbox.help_open.set(false)>{t!(i18n, common.close)}</button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
