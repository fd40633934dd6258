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
use crate::snooze::{in_one_hour, next_monday_morning, parse_hk_local, tomorrow_morning};
use crate::state::auth::AuthState;

#[component]
pub fn AssignPanel(
    colleagues: Signal<Vec<Colleague>>,
    current: Signal<Option<UserId>>,
    on_action: Callback<ConversationAction>,
) -> impl IntoView {
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
        <div class="action-panel" role="dialog" aria-label="Assign to a colleague">
            <FormField control="assign-filter" label="Find a colleague" label_hidden=true bare=true>
                <input
                    type="text"
                    id="assign-filter"
                    class="assign-filter"
                    placeholder="Find a colleague"
                    autofocus
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
            </FormField>
            <ul class="picker-list" aria-label="Colleagues">
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
                                    <span class="picker-meta">{c.role.label()}</span>
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <FormField control="assign-note" label="Handover note" label_hidden=true bare=true>
                <input
                    type="text"
                    id="assign-note"
                    placeholder="Handover note (optional)"
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
        <form class="action-panel transfer-form" aria-label="Transfer to a team" on:submit=submit>
            <FormField control="transfer-team" label="Team">
                <select
                    id="transfer-team"
                    name="team"
                    on:change=move |ev| {
                        team.set(event_target_value(&ev).parse().ok());
                        person.set(None);
                    }
                >
                    <option value="">"Choose a team"</option>
                    {move || {
                        teams
                            .get()
                            .into_iter()
                            .map(|t| view! { <option value=t.id.to_string()>{t.name}</option> })
                            .collect_view()
                    }}
                </select>
            </FormField>
            <FormField control="transfer-person" label="Person " optional=true>
                <select
                    id="transfer-person"
                    name="user"
                    disabled=move || !people_known()
                    on:change=move |ev| person.set(event_target_value(&ev).parse().ok())
                >
                    <option value="">"Anyone in the team"</option>
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
            <FormField control="transfer-note" label="Note " optional=true class="field-wide">
                <input
                    type="text"
                    id="transfer-note"
                    name="note"
                    placeholder="Why it goes to them"
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))
                />
            </FormField>
            <button type="submit" class="button button-primary button-small" disabled=move || team.get().is_none()>
                "Transfer"
            </button>
        </form>
    }
}

#[component]
pub fn SnoozePanel(on_action: Callback<ConversationAction>) -> impl IntoView {
    let custom = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);
    let now = now_ms();
    let presets = [
        ("In 1 hour", in_one_hour(now)),
        ("Tomorrow 09:00", tomorrow_morning(now)),
        ("Next Monday 09:00", next_monday_morning(now)),
    ];
    view! {
        <div class="action-panel snooze-panel" role="dialog" aria-label="Snooze until">
            <ul class="picker-list">
                {presets
                    .into_iter()
                    .map(|(label, until)| {
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
                    label="Custom time (Hong Kong)"
                    bare=true
                    error=Signal::derive(move || invalid.get().then(|| "Pick a date and a time.".to_owned()))
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
                    <button type="submit" class="button button-small">"Snooze"</button>
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
    let draft = RwSignal::new(String::new());
    view! {
        <div class="action-panel labels-panel" role="dialog" aria-label="Labels">
            <ul class="label-list">
                {move || {
                    labels
                        .get()
                        .into_iter()
                        .map(|label| {
                            let name = label.clone();
                            view! {
                                <li class="label-chip label-removable">
                                    <span>{label.clone()}</span>
                                    <button
                                        type="button"
                                        class="label-remove"
                                        aria-label=format!("Remove the label {label}")
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
                <FormField control="label-add" label="Add a label" label_hidden=true bare=true>
                    <input
                        type="text"
                        id="label-add"
                        placeholder="Add a label"
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                    />
                </FormField>
                <button type="submit" class="button button-small">"Add"</button>
            </form>
        </div>
    }
}
