//! A small built-in emoji picker for the composer: a button that opens a
//! grid; a pick is inserted at the caret.

use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};

const EMOJI: [&str; 40] = [
    "😀", "😊", "🙂", "😉", "😂", "🥰", "😍", "🤔", "😅", "😢", "😮", "🙏", "👍", "👌", "👏", "🙌",
    "💪", "🤝", "👋", "✅", "❌", "⚠️", "❗", "❓", "💡", "📌", "📎", "📞", "📅", "⏰", "💰", "🏦",
    "🧾", "📄", "✉️", "🎉", "❤️", "⭐", "🔥", "🌟",
];

#[component]
pub fn EmojiPicker(
    open: RwSignal<bool>,
    disabled: Signal<bool>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="emoji-picker">
            <button
                type="button"
                class="button button-ghost button-small emoji-toggle"
                aria-label=move || t_string!(i18n, emoji.insert)
                aria-expanded=move || open.get().to_string()
                aria-controls="emoji-grid"
                disabled=disabled
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "🙂"
            </button>
            <Show when=move || open.get()>
                <div
                    class="emoji-grid"
                    id="emoji-grid"
                    role="group"
                    aria-label=move || t_string!(i18n, emoji.grid)
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            ev.stop_propagation();
                            open.set(false);
                        }
                    }
                >
                    {EMOJI
                        .into_iter()
                        .map(|emoji| {
                            view! {
                                <button
                                    type="button"
                                    class="emoji"
                                    aria-label=emoji
                                    on:click=move |_| {
                                        open.set(false);
                                        on_pick.run(emoji.to_owned());
                                    }
                                >
                                    {emoji}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
            </Show>
        </div>
    }
}
