//! A two-step button for removing something from a list: the first press
//! arms it (it turns red and asks to confirm), the second acts. It stays
//! one button throughout, so focus stays where the user is; the list shares
//! one `armed` signal, so arming another row disarms this one.

use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};

#[component]
pub fn ConfirmButton(
    /// This row's key in `armed`.
    id: String,
    /// The row armed in this list, if any.
    armed: RwSignal<Option<String>>,
    /// What the button says until it is armed ("Delete", "Remove").
    #[prop(into)]
    text: Signal<String>,
    /// Its accessible name, told whether it is armed (for a button whose
    /// text does not say which row it removes).
    #[prop(optional)]
    label: Option<Callback<bool, String>>,
    /// More classes, for tests and styles.
    #[prop(optional)]
    class: &'static str,
    /// The second press: remove the row with this key.
    on_confirm: Callback<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let is_armed = {
        let id = id.clone();
        Signal::derive(move || armed.get().as_deref() == Some(id.as_str()))
    };
    let click = move |_| {
        if is_armed.get_untracked() {
            // Disarmed first: a double press removes once.
            armed.set(None);
            on_confirm.run(id.clone());
        } else {
            armed.set(Some(id.clone()));
        }
    };
    view! {
        <button
            type="button"
            class=format!("button button-small {class}")
            class:button-danger=is_armed
            aria-label=move || label.map(|label| label.run(is_armed.get()))
            on:click=click
        >
            {move || if is_armed.get() {
                t_string!(i18n, rules.confirm_delete).to_owned()
            } else {
                text.get()
            }}
        </button>
    }
}
