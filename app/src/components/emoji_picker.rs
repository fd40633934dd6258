//! A small built-in emoji picker for the composer: a button that opens a
//! grid; a pick is inserted at the caret.

use leptos::prelude::*;

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
    view! {
        <div class="emoji-picker">
            <button
                type="button"
                class="button button-ghost button-small emoji-toggle"
                aria-label="Insert an emoji"
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
                    aria-label="Emoji"
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
