//! Who else is in this conversation: "Ken is viewing", or "Ken is
//! replying…" with a Take over button while Ken holds the reply lock.

use leptos::prelude::*;
use shared::ws::{ClientMessage, Person};
use shared::ConversationId;

use crate::i18n::{t, td_string, use_i18n};
use crate::state::auth::AuthState;
use crate::state::live::LiveState;

/// "Ken", "Ken and Amy", "Ken, Amy and 2 others".
pub fn names_sentence(people: &[String]) -> String {
    let locale = crate::language::current_locale();
    match people {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a}{}{b}", td_string!(locale, presence.and)),
        [a, b, rest @ ..] => format!(
            "{a}{}{b}{}{}{}",
            td_string!(locale, presence.separator),
            td_string!(locale, presence.others_before),
            rest.len(),
            td_string!(locale, presence.others_after)
        ),
    }
}

#[component]
pub fn PresenceLine(conversation: ConversationId, can_write: bool) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let i18n = use_i18n();
    let me = move || auth.user().map(|u| u.id);
    let others = move |people: &[Person]| -> Vec<String> {
        let me = me();
        people
            .iter()
            .filter(|p| Some(p.id) != me)
            .map(|p| p.name.clone())
            .collect()
    };
    let state = move || {
        live.presence
            .with(|all| all.get(&conversation).cloned())
            .unwrap_or_default()
    };
    let holder = move || {
        state()
            .lock
            .filter(|l| Some(l.holder.id) != me())
            .map(|l| l.holder.name)
    };
    let viewers = move || {
        let state = state();
        let holder = holder();
        others(&state.viewers)
            .into_iter()
            .filter(|name| Some(name) != holder.as_ref())
            .collect::<Vec<_>>()
    };
    let take_over = move |_| {
        live.tell(ClientMessage::TakeOver { conversation });
    };
    view! {
        <div class="presence-line" role="status" aria-live="polite">
            {move || holder().map(|name| {
                let holder_name = name.clone();
                view! {
                    <span class="presence-replying" data-holder=name>
                        <span class="presence-dot is-typing" aria-hidden="true"></span>
                        {t!(i18n, presence.replying, name = move || holder_name.clone())}
                    </span>
                    {can_write.then(|| view! {
                        <button type="button" class="button button-small take-over" on:click=take_over>
                            {t!(i18n, presence.take_over)}
                        </button>
                    })}
                }
            })}
            {move || {
                let names = viewers();
                (!names.is_empty()).then(|| {
                    let many = names.len() > 1;
                    let list = names_sentence(&names);
                    let sentence = if many {
                        view! { {t!(i18n, presence.viewing_plural, names = move || list.clone())} }.into_any()
                    } else {
                        view! { {t!(i18n, presence.viewing_single, names = move || list.clone())} }.into_any()
                    };
                    view! {
                        <span class="presence-viewing">
                            <span class="presence-dot" aria-hidden="true"></span>
                            {sentence}
                        </span>
                    }
                })
            }}
        </div>
    }
}
