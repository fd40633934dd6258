//! The menu under the composer's text: canned responses after `/`,
//! colleagues after `@` in a note; arrows move, Enter or Tab choose,
//! Escape closes it until the next keystroke.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use shared::api::{CannedResponse, Colleague};

use super::draft::Draft;
use super::suggestions::{suggestions, Suggestion};
use crate::canned::CannedContext;

#[derive(Clone, Copy)]
pub struct Menu {
    pub items: Memo<Vec<Suggestion>>,
    pub index: RwSignal<usize>,
    dismissed: RwSignal<bool>,
    draft: Draft,
}

impl Menu {
    pub fn new(
        draft: Draft,
        canned: RwSignal<Vec<CannedResponse>>,
        colleagues: Signal<Vec<Colleague>>,
        canned_context: Signal<CannedContext>,
    ) -> Self {
        let dismissed = RwSignal::new(false);
        let items = Memo::new(move |_| {
            if dismissed.get() {
                return Vec::new();
            }
            draft.text.with(|t| {
                canned.with(|c| {
                    colleagues.with(|people| {
                        canned_context.with(|ctx| {
                            suggestions(t, draft.caret.get(), draft.mode.get(), c, people, ctx)
                        })
                    })
                })
            })
        });
        Menu {
            items,
            index: RwSignal::new(0),
            dismissed,
            draft,
        }
    }

    pub fn is_open(&self) -> bool {
        !self.items.with(Vec::is_empty)
    }

    /// The text changed: offer suggestions again, from the top.
    pub fn reset(self) {
        self.dismissed.set(false);
        self.index.set(0);
    }

    pub fn choose(self, suggestion: Suggestion) {
        self.draft
            .replace(suggestion.start, suggestion.end, &suggestion.insert);
        self.index.set(0);
    }

    /// Handles a key meant for the open menu; `false` when it was not.
    pub fn keydown(self, ev: &KeyboardEvent) -> bool {
        let items = self.items.get_untracked();
        if items.is_empty() {
            return false;
        }
        match ev.key().as_str() {
            "ArrowDown" => self.index.update(|i| *i = (*i + 1) % items.len()),
            "ArrowUp" => self
                .index
                .update(|i| *i = (*i + items.len() - 1) % items.len()),
            "Enter" | "Tab" if !(ev.ctrl_key() || ev.meta_key()) => {
                let index = self.index.get_untracked().min(items.len() - 1);
                self.choose(items[index].clone());
            }
            "Escape" => {
                ev.stop_propagation();
                self.dismissed.set(true);
            }
            _ => return false,
        }
        ev.prevent_default();
        true
    }
}

#[component]
pub fn SuggestionMenu(menu: Menu) -> impl IntoView {
    view! {
        <Show when=move || menu.is_open()>
            <ul class="suggestion-menu" id="composer-suggestions" role="listbox" aria-label="Suggestions">
                {move || {
                    menu.items
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(index, suggestion)| {
                            let active = move || menu.index.get() == index;
                            let chosen = suggestion.clone();
                            view! {
                                <li
                                    role="option"
                                    class="suggestion"
                                    class:is-active=active
                                    aria-selected=move || active().to_string()
                                    on:mousedown=move |ev| {
                                        ev.prevent_default();
                                        menu.choose(chosen.clone());
                                    }
                                >
                                    <span class="suggestion-label">{suggestion.label}</span>
                                    <span class="suggestion-detail">{suggestion.detail}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </Show>
    }
}
