//! The SLA policies on the Automation page: targets for first reply, next
//! reply and resolution in business minutes, for every conversation, a
//! team, or a label (a label's policy wins over its team's, a team's over
//! the one for all), with how long before a breach the warning comes. The
//! server decides who may change what: admins any, supervisors their own
//! teams'.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Team;
use shared::sla::{SaveSlaPolicy, SlaPolicy};

use crate::api::{self, ApiError};
use crate::components::confirm_button::ConfirmButton;
use crate::components::form_banner::FormBanner;
use crate::i18n::{t, t_string, use_i18n};
use crate::pages::automation::TeamSelect;
use crate::remote::RemoteList;
use crate::state::auth::AuthState;

/// Minutes as a cell: "30", or a dash for no target.
fn minutes(value: Option<i64>) -> String {
    value.map_or_else(|| "—".to_owned(), |m| m.to_string())
}

#[component]
pub fn SlaPolicies(teams: RemoteList<Team>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let policies = RemoteList::<SlaPolicy>::new();
    let load = move || policies.load(api::sla::policies(auth));
    load();
    let editing = RwSignal::new(None::<SlaPolicy>);
    let form_key = RwSignal::new(0u32);
    let edit = move |policy: Option<SlaPolicy>| {
        editing.set(policy);
        form_key.update(|k| *k += 1);
    };
    let armed = RwSignal::new(None::<String>);
    let removing = RwSignal::new(None::<ApiError>);
    let remove = move |id: String| {
        removing.set(None);
        spawn_local(async move {
            match api::sla::delete(auth, &id).await {
                Ok(_) => load(),
                Err(e) => {
                    removing.try_set(Some(e));
                }
            }
        });
    };
    let scope = move |policy: &SlaPolicy| {
        let team = policy.team_name.clone();
        match (&policy.label, team) {
            (Some(label), Some(team)) => format!("{team} · {label}"),
            (Some(label), None) => label.clone(),
            (None, Some(team)) => team,
            (None, None) => t_string!(i18n, rules.all_teams).to_owned(),
        }
    };
    view! {
        <FormBanner error=removing />
        <Show
            when=move || policies.items.with(|p| !p.is_empty())
            fallback=move || view! { <p class="sla-empty">{t!(i18n, sla.empty)}</p> }
        >
            <div class="table-scroll">
                <table class="data-table sla-table">
                    <caption class="visually-hidden">{t!(i18n, sla.title)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, rules.name)}</th>
                            <th scope="col">{t!(i18n, sla.applies_to)}</th>
                            <th scope="col" class="cell-number">{t!(i18n, sla.first_response)}</th>
                            <th scope="col" class="cell-number">{t!(i18n, sla.next_response)}</th>
                            <th scope="col" class="cell-number">{t!(i18n, sla.resolution)}</th>
                            <th scope="col" class="cell-number">{t!(i18n, sla.warn)}</th>
                            <th scope="col"><span class="visually-hidden">{t!(i18n, rules.actions)}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || policies.items.get()
                            key=|p| (p.id.clone(), p.updated_at)
                            children=move |policy| {
                                let (to_edit, id) = (policy.clone(), policy.id.clone());
                                view! {
                                    <tr data-policy-id=policy.id.clone()>
                                        <th scope="row" class="cell-name">{policy.name.clone()}</th>
                                        <td>{scope(&policy)}</td>
                                        <td class="cell-number">{minutes(policy.first_response_minutes)}</td>
                                        <td class="cell-number">{minutes(policy.next_response_minutes)}</td>
                                        <td class="cell-number">{minutes(policy.resolution_minutes)}</td>
                                        <td class="cell-number">{policy.warn_minutes}</td>
                                        <td class="cell-actions">
                                            <button type="button" class="button button-small" on:click=move |_| edit(Some(to_edit.clone()))>
                                                {t!(i18n, rules.edit)}
                                            </button>
                                            <ConfirmButton
                                                id=id
                                                armed=armed
                                                text=Signal::derive(move || t_string!(i18n, rules.delete).to_owned())
                                                on_confirm=Callback::new(remove)
                                            />
                                        </td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
            </div>
        </Show>
        {move || {
            form_key.track();
            let policy = editing.get_untracked();
            view! {
                <SlaPolicyForm
                    policy=policy
                    teams=teams
                    on_done=Callback::new(move |saved: bool| {
                        if saved {
                            load();
                        }
                        edit(None);
                    })
                />
            }
        }}
    }
}

#[component]
fn SlaPolicyForm(
    policy: Option<SlaPolicy>,
    teams: RemoteList<Team>,
    /// Saved (`true`) or cancelled.
    on_done: Callback<bool>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let id = policy.as_ref().map(|p| p.id.clone());
    let editing = id.is_some();
    let text = |v: Option<i64>| v.map(|m| m.to_string()).unwrap_or_default();
    let name = RwSignal::new(policy.as_ref().map(|p| p.name.clone()).unwrap_or_default());
    let team = RwSignal::new(
        policy
            .as_ref()
            .and_then(|p| p.team)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    );
    let label = RwSignal::new(
        policy
            .as_ref()
            .and_then(|p| p.label.clone())
            .unwrap_or_default(),
    );
    let first = RwSignal::new(text(policy.as_ref().and_then(|p| p.first_response_minutes)));
    let next = RwSignal::new(text(policy.as_ref().and_then(|p| p.next_response_minutes)));
    let resolution = RwSignal::new(text(policy.as_ref().and_then(|p| p.resolution_minutes)));
    let warn = RwSignal::new(
        policy
            .as_ref()
            .map(|p| p.warn_minutes.to_string())
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<i64>().ok();
        let request = SaveSlaPolicy {
            name: name.get_untracked(),
            team: team.get_untracked().parse().ok(),
            label: Some(label.get_untracked()).filter(|l| !l.trim().is_empty()),
            first_response_minutes: number(first),
            next_response_minutes: number(next),
            resolution_minutes: number(resolution),
            warn_minutes: number(warn),
        };
        let id = id.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::sla::save(auth, id.as_deref(), &request).await {
                Ok(_) => on_done.run(true),
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let number_field = move |field_id: &'static str, label: String, value: RwSignal<String>| {
        view! {
            <div class="field">
                <label for=field_id>{label}</label>
                <input id=field_id type="number" inputmode="numeric" min="1" step="1" bind:value=value />
            </div>
        }
    };
    view! {
        <form class="form-grid sla-form" novalidate on:submit=submit>
            <h3 class="form-title field-wide">
                {move || if editing { t_string!(i18n, sla.edit_title) } else { t_string!(i18n, sla.create_title) }}
            </h3>
            <div class="field field-span-2">
                <label for="sla-name">{t!(i18n, rules.name)}</label>
                <input id="sla-name" type="text" maxlength="80" required bind:value=name />
            </div>
            <div class="field">
                <label for="sla-team">{t!(i18n, rules.team)}</label>
                <TeamSelect id="sla-team" value=team teams=teams />
            </div>
            <div class="field">
                <label for="sla-label">{t!(i18n, sla.label)}</label>
                <input id="sla-label" type="text" maxlength="32" bind:value=label />
            </div>
            {number_field("sla-first", t_string!(i18n, sla.first_minutes).to_owned(), first)}
            {number_field("sla-next", t_string!(i18n, sla.next_minutes).to_owned(), next)}
            {number_field("sla-resolution", t_string!(i18n, sla.resolution_minutes).to_owned(), resolution)}
            {number_field("sla-warn", t_string!(i18n, sla.warn_minutes).to_owned(), warn)}
            <p class="field-hint field-wide">{t!(i18n, sla.hint)}</p>
            <div class="inline-form-actions field-wide">
                <button type="submit" class="button" disabled=move || busy.get()>
                    {t!(i18n, sla.save)}
                </button>
                {editing.then(|| view! {
                    <button type="button" class="button button-ghost" on:click=move |_| on_done.run(false)>
                        {t!(i18n, sla.cancel)}
                    </button>
                })}
            </div>
            <FormBanner error=error class="field-wide" />
        </form>
    }
}
