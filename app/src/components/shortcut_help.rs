//! The keyboard shortcut overlay (`?`).

use leptos::prelude::*;

use crate::shortcuts::HELP;
use crate::state::inbox::InboxState;

#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let inbox = expect_context::<InboxState>();
    view! {
        <Show when=move || inbox.help_open.get()>
            <div class="dialog-backdrop" on:mousedown=move |ev| {
                if ev.target() == ev.current_target() { inbox.help_open.set(false) }
            }>
                <div class="dialog shortcut-help" role="dialog" aria-modal="true" aria-labelledby="shortcut-title">
                    <h2 id="shortcut-title" class="dialog-title">"Keyboard shortcuts"</h2>
                    <dl class="shortcut-list">
                        {HELP
                            .into_iter()
                            .map(|(key, what)| view! { <dt><kbd class="kbd">{key}</kbd></dt><dd>{what}</dd> })
                            .collect_view()}
                    </dl>
                    <p class="dialog-message">"Shortcuts wait while you type in a box; Ctrl+Enter sends from the composer."</p>
                    <div class="dialog-actions">
                        <button type="button" class="button" autofocus on:click=move |_| inbox.help_open.set(false)>"Close"</button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
