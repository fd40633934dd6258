//! Checkboxes for choosing teams, used when adding a user and when changing
//! a user's teams. Shows its own loading and error states.

use leptos::prelude::*;
use shared::api::Team;
use shared::TeamId;

use crate::components::skeleton_rows::SkeletonRows;
use crate::i18n::td_string;
use crate::remote::{LoadStatus, RemoteList};

#[component]
pub fn TeamPicker(
    teams: RemoteList<Team>,
    selected: RwSignal<Vec<TeamId>>,
    /// Makes checkbox ids unique when several pickers are on one page.
    id_prefix: String,
    #[prop(optional)] on_retry: Option<Callback<()>>,
) -> impl IntoView {
    let id_prefix = StoredValue::new(id_prefix);
    let toggle = move |team: TeamId, on: bool| {
        selected.update(|ids| {
            ids.retain(|id| *id != team);
            if on {
                ids.push(team);
            }
        });
    };
    let checkbox = move |team: Team| {
        let id = team.id;
        let input_id = format!("{}-{}", id_prefix.get_value(), id);
        let label_for = input_id.clone();
        view! {
            <li>
                <label class="checkbox" for=label_for>
                    <input
                        type="checkbox"
                        id=input_id
                        name="teams"
                        value=id.to_string()
                        prop:checked=move || selected.with(|ids| ids.contains(&id))
                        on:change=move |ev| toggle(id, event_target_checked(&ev))
                    />
                    <span>{team.name}</span>
                </label>
            </li>
        }
    };

    view! {
        {move || match teams.status.get() {
            LoadStatus::Loading => {
                view! { <SkeletonRows rows=2 label=move || td_string!(crate::language::current_locale(), teams.loading) /> }.into_any()
            }
            LoadStatus::Failed(error) => {
                view! {
                    <p class="field-hint field-hint-error" data-code=error.code_str()>
                        {format!("{}({}). ", td_string!(crate::language::current_locale(), teams.load_failed_before), error.code_str())}
                        {on_retry
                            .map(|retry| {
                                view! {
                                    <button
                                        type="button"
                                        class="button-link"
                                        on:click=move |_| retry.run(())
                                    >
                                        "Retry"
                                    </button>
                                }
                            })}
                    </p>
                }
                    .into_any()
            }
            LoadStatus::Ready if teams.items.with(Vec::is_empty) => {
                view! {
                    <p class="field-hint">"No teams yet. Create one under Admin › Teams."</p>
                }
                    .into_any()
            }
            LoadStatus::Ready => {
                view! {
                    <ul class="checkbox-list">
                        <For each=move || teams.items.get() key=|team| team.id children=checkbox />
                    </ul>
                }
                    .into_any()
            }
        }}
    }
}
