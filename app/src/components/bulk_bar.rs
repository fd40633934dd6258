//! Shown while conversations are ticked in the list: resolve, assign or
//! label them all at once, with a sentence saying how it went.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{BulkResult, Colleague, ConversationAction};
use shared::ConversationId;

use crate::api::{self, ApiError};
use crate::components::form_field::FormField;
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::state::auth::AuthState;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Panel {
    None,
    Assign,
    Label,
}

/// What was done, as the words before and after "3 conversations".
type Verb = (&'static str, &'static str);

fn outcome_sentence((before, after): Verb, result: &BulkResult) -> String {
    let locale = crate::language::current_locale();
    let done = result.done.len();
    let things = if done == 1 {
        td_string!(locale, bulk.conversation_single)
    } else {
        td_string!(locale, bulk.conversation_plural)
    };
    match result.failed.first() {
        None => format!(
            "{before}{done}{things}{after}{}",
            td_string!(locale, bulk.period)
        ),
        Some(first) => format!(
            "{before}{done}{things}{after}{}{}{}{}",
            td_string!(locale, bulk.failed_before),
            result.failed.len(),
            td_string!(locale, bulk.failed_after),
            first.error
        ),
    }
}

#[component]
pub fn BulkBar(checked: RwSignal<HashSet<ConversationId>>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let panel = RwSignal::new(Panel::None);
    let busy = RwSignal::new(false);
    let said = RwSignal::new(None::<Result<String, ApiError>>);
    let colleagues = RwSignal::new(Vec::<Colleague>::new());
    let label = RwSignal::new(String::new());
    let count = move || checked.with(HashSet::len);

    let run = move |verb: Verb, action: ConversationAction| {
        let ids: Vec<ConversationId> = checked.get_untracked().into_iter().collect();
        if ids.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = api::conversations::bulk(auth, ids, action).await;
            busy.try_set(false);
            panel.try_set(Panel::None);
            match result {
                Ok(result) => {
                    said.try_set(Some(Ok(outcome_sentence(verb, &result))));
                    // Failures name the ids as they were sent: keep those ticked.
                    let failed: HashSet<ConversationId> = result
                        .failed
                        .iter()
                        .filter_map(|f| f.id.parse().ok())
                        .collect();
                    checked.try_update(|c| c.retain(|id| failed.contains(id)));
                }
                Err(error) => {
                    said.try_set(Some(Err(error)));
                }
            }
        });
    };
    let open_assign = move |_| {
        panel.set(Panel::Assign);
        let Some(first) = checked.with_untracked(|c| c.iter().next().copied()) else {
            return;
        };
        spawn_local(async move {
            if let Ok(list) = api::conversations::colleagues(auth, first).await {
                colleagues.try_set(list);
            }
        });
    };

    view! {
        <div class="bulk-bar" role="region" aria-label=move || t_string!(i18n, bulk.actions)>
            <Show
                when=move || { count() > 0 }
                fallback=move || {
                    said.get()
                        .map(|outcome| match outcome {
                            Ok(text) => view! { <p class="bulk-outcome" role="status">{text}</p> }.into_any(),
                            Err(e) => view! { <p class="bulk-outcome form-error" role="alert" data-code=e.code_str()>{e.message().to_owned()}</p> }.into_any(),
                        })
                }
            >
                <div class="bulk-actions">
                    <span class="bulk-count">
                        {move || {
                            format!(
                                "{}{}{}",
                                t_string!(i18n, bulk.selected_before),
                                count(),
                                t_string!(i18n, bulk.selected_after)
                            )
                        }}
                    </span>
                    <button
                        type="button"
                        class="button button-small"
                        disabled=busy
                        on:click=move |_| {
                            let verb = (t_string!(i18n, bulk.resolved_before), t_string!(i18n, bulk.resolved_after));
                            run(verb, ConversationAction::Resolve)
                        }
                    >
                        {t!(i18n, conversation.resolve)}
                    </button>
                    <button type="button" class="button button-small" disabled=busy aria-expanded=move || (panel.get() == Panel::Assign).to_string() on:click=open_assign>
                        {t!(i18n, bulk.assign)}
                    </button>
                    <button type="button" class="button button-small" disabled=busy aria-expanded=move || (panel.get() == Panel::Label).to_string() on:click=move |_| panel.set(Panel::Label)>
                        {t!(i18n, bulk.label)}
                    </button>
                    <button type="button" class="button button-ghost button-small" on:click=move |_| { checked.set(HashSet::new()); panel.set(Panel::None); }>
                        {t!(i18n, bulk.clear)}
                    </button>
                </div>
                {move || match panel.get() {
                    Panel::None => ().into_any(),
                    Panel::Assign => view! {
                        <ul class="picker-list bulk-picker" aria-label=move || t_string!(i18n, bulk.assign_to)>
                            {move || {
                                colleagues
                                    .get()
                                    .into_iter()
                                    .map(|c| {
                                        let id = c.id;
                                        view! {
                                            <li>
                                                <button
                                                    type="button"
                                                    class="picker-option"
                                                    on:click=move |_| {
                                                        let verb = (t_string!(i18n, bulk.assigned_before), t_string!(i18n, bulk.assigned_after));
                                                        run(verb, ConversationAction::Assign { user: id, note: None })
                                                    }
                                                >
                                                    {c.name}
                                                </button>
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </ul>
                    }
                    .into_any(),
                    Panel::Label => view! {
                        <form
                            class="bulk-label-form"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                let text = label.get_untracked().trim().to_owned();
                                if !text.is_empty() {
                                    let verb = (t_string!(i18n, bulk.labelled_before), t_string!(i18n, bulk.labelled_after));
                                    run(verb, ConversationAction::Labels { add: vec![text], remove: vec![] });
                                    label.set(String::new());
                                }
                            }
                        >
                            <FormField control="bulk-label" label=move || t_string!(i18n, bulk.label_to_add) label_hidden=true bare=true>
                                <input type="text" id="bulk-label" placeholder=move || t_string!(i18n, bulk.label_to_add) prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) />
                            </FormField>
                            <button type="submit" class="button button-small button-primary">{t!(i18n, bulk.add_label)}</button>
                        </form>
                    }
                    .into_any(),
                }}
            </Show>
        </div>
    }
}
