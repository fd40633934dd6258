//! The Teams admin page at /admin/teams: every team with its member count,
//! a form to create one, and each team's WeCom welcome and closing messages.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_i18n::I18nContext;
use shared::api::Team;
use shared::assignment::{Assignment, SetAssignment};
use shared::TeamId;

use crate::api::{self, ApiError};
use crate::components::admin_only::AdminOnly;
use crate::components::empty_state::EmptyState;
use crate::components::error_state::ErrorState;
use crate::components::icon::IconKind;
use crate::components::new_team_form::NewTeamForm;
use crate::components::page_header::PageHeader;
use crate::components::skeleton_rows::SkeletonRows;
use crate::components::team_messages_form::TeamMessagesForm;
use crate::format::{hk_date, hk_date_time};
use crate::i18n::{t, t_string, use_i18n, Locale};
use crate::remote::{LoadStatus, RemoteList};
use crate::state::auth::AuthState;

#[component]
pub fn TeamsPage() -> impl IntoView {
    view! {
        <AdminOnly>
            <TeamsAdmin />
        </AdminOnly>
    }
}

fn members(i18n: I18nContext<Locale>, count: i64) -> AnyView {
    match count {
        0 => view! { {t!(i18n, teams.no_members)} }.into_any(),
        1 => view! { {t!(i18n, teams.one_member)} }.into_any(),
        n => view! { {t!(i18n, teams.member_count, n = n)} }.into_any(),
    }
}

#[component]
fn TeamsTable(teams: RemoteList<Team>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show
            when=move || teams.items.with(|items| !items.is_empty())
            fallback=move || {
                view! {
                    <EmptyState
                        icon=IconKind::Teams
                        message=move || t_string!(i18n, teams.empty)
                    />
                }
            }
        >
            <div class="table-scroll">
                <table class="data-table teams-table">
                    <caption class="visually-hidden">{t!(i18n, nav.teams)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, teams.team)}</th>
                            <th scope="col" class="cell-number">{t!(i18n, teams.members)}</th>
                            <th scope="col">{t!(i18n, teams.created)}</th>
                            <th scope="col">{t!(i18n, teams.assignment)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || teams.items.get()
                            key=|team| (team.id, team.member_count)
                            children=move |team| {
                                let whole = team.clone();
                                view! {
                                    <tr data-team-id=team.id.to_string()>
                                        <th scope="row" class="cell-name">{team.name}</th>
                                        <td class="cell-number">{members(i18n, team.member_count)}</td>
                                        <td title=hk_date_time(team.created_at)>{hk_date(team.created_at)}</td>
                                        <td class="cell-assignment">
                                            <AssignmentSelect
                                                id=whole.id
                                                name=whole.name.clone()
                                                current=whole.assignment
                                                on_saved=Callback::new(move |updated: Team| teams.replace(updated, |t| t.id == whole.id))
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
    }
}

pub fn method_label(i18n: I18nContext<Locale>, method: Assignment) -> &'static str {
    match method {
        Assignment::Manual => t_string!(i18n, teams.assign_manual),
        Assignment::RoundRobin => t_string!(i18n, teams.assign_round_robin),
        Assignment::LeastLoaded => t_string!(i18n, teams.assign_least_loaded),
    }
}

/// How one team hands out waiting conversations: saved on change, with
/// the outcome said under the menu (and the menu put back on failure).
/// Here for admins and on the floor for a team's supervisors.
#[component]
pub fn AssignmentSelect(
    id: TeamId,
    name: String,
    current: Assignment,
    /// The team as saved.
    #[prop(optional)]
    on_saved: Option<Callback<Team>>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let label = name.clone();
    let saved = RwSignal::new(current);
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<String, ApiError>>);
    let select = NodeRef::<leptos::html::Select>::new();
    let change = move |ev| {
        let Ok(assignment) = event_target_value(&ev).parse::<Assignment>() else {
            return;
        };
        busy.set(true);
        outcome.set(None);
        let name = name.clone();
        spawn_local(async move {
            let request = SetAssignment { assignment };
            match api::teams::set_assignment(auth, id, &request).await {
                Ok(updated) => {
                    saved.try_set(updated.assignment);
                    outcome.try_set(Some(Ok(
                        t_string!(i18n, teams.assignment_saved).replace("%n", &name)
                    )));
                    if let Some(on_saved) = on_saved {
                        on_saved.try_run(updated);
                    }
                }
                Err(error) => {
                    if let (Some(select), Some(was)) = (
                        select.try_get_untracked().flatten(),
                        saved.try_get_untracked(),
                    ) {
                        select.set_value(was.as_str());
                    }
                    outcome.try_set(Some(Err(error)));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <select
            node_ref=select
            class="select-compact"
            aria-label=move || t_string!(i18n, teams.assignment_of).replace("%n", &label)
            disabled=move || busy.get()
            on:change=change
        >
            {Assignment::ALL
                .iter()
                .map(|m| {
                    let m = *m;
                    view! {
                        <option value=m.as_str() prop:selected=move || saved.get() == m>
                            {move || method_label(i18n, m)}
                        </option>
                    }
                })
                .collect_view()}
        </select>
        {move || outcome.get().map(|result| match result {
            Ok(text) => view! { <span class="cell-note" role="status">{text}</span> }.into_any(),
            Err(error) => view! {
                <span class="cell-note field-error" role="alert">{error.message()}</span>
            }.into_any(),
        })}
    }
}

#[component]
fn TeamsAdmin() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let teams = RemoteList::<Team>::new();
    let load = move || teams.load(api::teams::list(auth));
    load();

    view! {
        <div class="page">
            <PageHeader
                title=move || t_string!(i18n, nav.teams)
                description=move || t_string!(i18n, teams.description)
            />
            <section class="card" aria-labelledby="new-team-title">
                <h2 id="new-team-title" class="card-title">
                    {t!(i18n, teams.create_title)}
                </h2>
                <NewTeamForm on_created=Callback::new(move |team| teams.push(team)) />
            </section>
            <section class="card" aria-labelledby="team-messages-title">
                <h2 id="team-messages-title" class="card-title">
                    {t!(i18n, teams.messages_title)}
                </h2>
                <TeamMessagesForm teams=teams />
            </section>
            <section class="card card-flush" aria-labelledby="teams-title">
                <header class="card-header">
                    <h2 id="teams-title" class="card-title">
                        {t!(i18n, teams.all)}
                    </h2>
                </header>
                {move || match teams.status.get() {
                    LoadStatus::Loading => {
                        view! { <SkeletonRows rows=4 label=move || t_string!(i18n, teams.loading) /> }.into_any()
                    }
                    LoadStatus::Failed(error) => {
                        view! { <ErrorState error=error on_retry=Callback::new(move |()| load()) /> }
                            .into_any()
                    }
                    LoadStatus::Ready => view! { <TeamsTable teams=teams /> }.into_any(),
                }}
            </section>
        </div>
    }
}
