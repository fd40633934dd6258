//! The Teams admin page at /admin/teams: every team with its member count,
//! a form to create one, and each team's WeCom welcome and closing messages.

use leptos::prelude::*;
use leptos_i18n::I18nContext;
use shared::api::Team;

use crate::api;
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
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || teams.items.get()
                            key=|team| (team.id, team.member_count)
                            children=move |team| {
                                view! {
                                    <tr data-team-id=team.id.to_string()>
                                        <th scope="row" class="cell-name">{team.name}</th>
                                        <td class="cell-number">{members(i18n, team.member_count)}</td>
                                        <td title=hk_date_time(team.created_at)>{hk_date(team.created_at)}</td>
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
