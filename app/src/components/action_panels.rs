//! The small panels under a conversation's header for actions that need a
//! choice: assign (colleague picker), transfer (team, optional person,
//! note), snooze (presets in Hong Kong time or a custom time) and labels.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Colleague, ConversationAction, Team};
use shared::{TeamId, UserId};

use crate::api;
use crate::clock::now_ms;
use crate::components::form_field::FormField;
use crate::format::hk_date_time;
use crate::i18n::{t, t_string, use_i18n};
use crate::snooze::{in_one_hour, next_monday_morning, parse_hk_local, tomorrow_morning};
use crate::state::auth::AuthState;

#[component]
pub fn AssignPanel(
    colleagues: Signal<Vec<Colleague>>,
    current: Signal<Option<UserId>>,
    on_action: Callback<ConversationAction>,
) -> impl IntoView {
    let i18n = use_i18n();
    let filter = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let shown = move || {
        let needle = filter.get().to_lowercase();
        colleagues
            .get()
            .into_iter()
            .filter(|c| needle.is_empty() || c.name.to_lowercase().contains(&needle))
            .collect::<Vec<_>>()
    };
    view! {
        <div class="action-panel" role="dialog" aria-label=move || t_string!(i18n, assign_panel.title)>
            <FormField control="assign-filter" label=move || t_string!(i18n, assign_panel.find) label_hidden=true bare=true>
                <input
                    type="text"
                    id="assign-filter"
                    class="assign-filter"
                    placeholder=move || t_string!(i18n, assign_panel.find)
                    autofocus
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
            </FormField>
            <ul class="picker-list" aria-label=move || t_string!(i18n, assign_panel.colleagues)>
                <For
                    each=shown
                    key=|c| c.id
                    children=move |c| {
                        let id = c.id;
                        let is_current = move || current.get() == Some(id);
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="picker-option"
                                    data-user=id.to_string()
                                    aria-current=move || is_current().then_some("true")
                                    on:click=move |_| {
                                        let note = note.get_untracked().trim().to_owned();
                                        on_action.run(ConversationAction::Assign {
                                            user: id,
                                            note: (!note.is_empty()).then_some(note),
                                        });
                                    }
                                >
                                    <span>{c.name.clone()}</span>
                                    <span class="picker-meta">{crate::language::role_label(c.role)}</span>
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <FormField control="assign-note" label=move || t_string!(i18n, assign_panel.note) label_hidden=true bare=true>
                <input
                    type="text"
                    id="assign-note"
                    placeholder=move || t_string!(i18n, assign_panel.note_placeholder)
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))
                />
            </FormField>
        </div>
    }
}

#[component]
pub fn TransferPanel(
    colleagues: Signal<Vec<Colleague>>,
    current_team: Signal<Option<TeamId>>,
    on_action: Callback<ConversationAction>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let teams = RwSignal::new(Vec::<Team>::new());
    let team = RwSignal::new(None::<TeamId>);
    let person = RwSignal::new(None::<UserId>);
    let note = RwSignal::new(String::new());
    spawn_local(async move {
        if let Ok(list) = api::teams::list(auth).await {
            teams.try_set(list);
        }
    });
    // Colleagues are known for the conversation's own team only.
    let people_known = move || team.get().is_some() && team.get() == current_team.get();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(team) = team.get_untracked() else {
            return;
        };
        let note = note.get_untracked().trim().to_owned();
        on_action.run(ConversationAction::Transfer {
            team,
            user: person.get_untracked(),
            note: (!note.is_empty()).then_some(note),
        });
    };
    view! {
        <form class="action-panel transfer-form" aria-label=move || t_string!(i18n, transfer_panel.title) on:submit=submit>
            <FormField control="transfer-team" label=move || t_string!(i18n, transfer_panel.team)>
                <select
                    id="transfer-team"
                    name="team"
                    on:change=move |ev| {
                        team.set(event_target_value(&ev).parse().ok());
                        person.set(None);
                    }
                >
                    <option value="">{t!(i18n, transfer_panel.choose_team)}</option>
                    {move || {
                        teams
                            .get()
                            .into_iter()
                            .map(|t| view! { <option value=t.id.to_string()>{t.name}</option> })
                            .collect_view()
                    }}
                </select>
            </FormField>
            <FormField control="transfer-person" label=move || t_string!(i18n, transfer_panel.person) optional=true>
                <select
                    id="transfer-person"
                    name="user"
                    disabled=move || !people_known()
                    on:change=move |ev| person.set(event_target_value(&ev).parse().ok())
                >
                    <option value="">{t!(i18n, transfer_panel.anyone)}</option>
                    {move || {
                        people_known()
                            .then(|| {
                                colleagues
                                    .get()
                                    .into_iter()
                                    .map(|c| view! { <option value=c.id.to_string()>{c.name}</option> })
                                    .collect_view()
                            })
                    }}
                </select>
            </FormField>
            <FormField control="transfer-note" label=move || t_string!(i18n, transfer_panel.note) optional=true class="field-wide">
                <input
                    type="text"
                    id="transfer-note"
                    name="note"
                    placeholder=move || t_string!(i18n, transfer_panel.note_placeholder)
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))
                />
            </FormField>
            <button type="submit" class="button button-primary button-small" disabled=move || team.get().is_none()>
                {t!(i18n, conversation.transfer)}
            </button>
        </form>
    }
}

#[component]
pub fn SnoozePanel(on_action: Callback<ConversationAction>) -> impl IntoView {
    let i18n = use_i18n();
    let custom = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);
    let now = now_ms();
    let presets = [
        in_one_hour(now),
        tomorrow_morning(now),
        next_monday_morning(now),
    ];
    view! {
        <div class="action-panel snooze-panel" role="dialog" aria-label=move || t_string!(i18n, snooze_panel.title)>
            <ul class="picker-list">
                {presets
                    .into_iter()
                    .enumerate()
                    .map(|(index, until)| {
                        let label = move || match index {
                            0 => t_string!(i18n, snooze_panel.in_one_hour),
                            1 => t_string!(i18n, snooze_panel.tomorrow),
                            _ => t_string!(i18n, snooze_panel.next_monday),
                        };
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="picker-option"
                                    on:click=move |_| on_action.run(ConversationAction::Snooze { until })
                                >
                                    <span>{label}</span>
                                    <span class="picker-meta">{hk_date_time(until)}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <form
                class="snooze-custom"
                on:submit=move |ev| {
                    ev.prevent_default();
                    match parse_hk_local(&custom.get_untracked()) {
                        Some(until) => on_action.run(ConversationAction::Snooze { until }),
                        None => invalid.set(true),
                    }
                }
            >
                <FormField
                    control="snooze-custom"
                    label=move || t_string!(i18n, snooze_panel.custom)
                    bare=true
                    error=Signal::derive(move || {
                        invalid.get().then(|| t_string!(i18n, snooze_panel.pick_date_time).to_owned())
                    })
                    unlinked_error=true
                >
                    <input
                        type="datetime-local"
                        id="snooze-custom"
                        aria-invalid=move || invalid.get().then_some("true")
                        prop:value=move || custom.get()
                        on:input=move |ev| {
                            invalid.set(false);
                            custom.set(event_target_value(&ev));
                        }
                    />
                    <button type="submit" class="button button-small">{t!(i18n, conversation.snooze)}</button>
                </FormField>
            </form>
        </div>
    }
}

#[component]
pub fn LabelsPanel(
    labels: Signal<Vec<String>>,
    on_action: Callback<ConversationAction>,
) -> impl IntoView {
    let i18n = use_i18n();
    let draft = RwSignal::new(String::new());
    view! {
        <div class="action-panel labels-panel" role="dialog" aria-label=move || t_string!(i18n, conversation.labels)>
            <ul class="label-list">
                {move || {
                    labels
                        .get()
                        .into_iter()
                        .map(|label| {
                            let name = label.clone();
                            let name_shown = label.clone();
                            let remove_label = move || {
                                format!(
                                    "{}{name_shown}{}",
                                    t_string!(i18n, labels_panel.remove_before),
                                    t_string!(i18n, labels_panel.remove_after)
                                )
                            };
                            view! {
                                <li class="label-chip label-removable">
                                    <span>{label.clone()}</span>
                                    <button
                                        type="button"
                                        class="label-remove"
                                        aria-label=remove_label
                                        on:click=move |_| on_action.run(ConversationAction::Labels { add: vec![], remove: vec![name.clone()] })
                                    >
                                        "×"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <form
                class="inline-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    let label = draft.get_untracked().trim().to_owned();
                    if !label.is_empty() {
                        on_action.run(ConversationAction::Labels { add: vec![label], remove: vec![] });
                        draft.set(String::new());
                    }
                }
            >
                <FormField control="label-add" label=move || t_string!(i18n, labels_panel.add_label) label_hidden=true bare=true>
                    <input
                        type="text"
                        id="label-add"
                        placeholder=move || t_string!(i18n, labels_panel.add_label)
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                    />
                </FormField>
                <button type="submit" class="button button-small">{t!(i18n, labels_panel.add)}</button>
            </form>
        </div>
    }
}
