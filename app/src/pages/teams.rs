//! The Teams admin page at /admin/teams: every team with its member count,
//! and a form to create one.

use leptos::prelude::*;
use shared::api::Team;

use crate::api;
use crate::components::admin_only::AdminOnly;
use crate::components::empty_state::EmptyState;
use crate::components::error_state::ErrorState;
use crate::components::icon::IconKind;
use crate::components::new_team_form::NewTeamForm;
use crate::components::page_header::PageHeader;
use crate::components::skeleton_rows::SkeletonRows;
use crate::format::{hk_date, hk_date_time};
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

fn members(count: i64) -> String {
    match count {
        0 => "No members".to_owned(),
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    }
}

#[component]
fn TeamsTable(teams: RemoteList<Team>) -> impl IntoView {
    view! {
        <Show
            when=move || teams.items.with(|items| !items.is_empty())
            fallback=|| {
                view! {
                    <EmptyState
                        icon=IconKind::Teams
                        message="No teams yet. Create the first one above, for example “Retail desk”."
                    />
                }
            }
        >
            <div class="table-scroll">
                <table class="data-table teams-table">
                    <caption class="visually-hidden">"Teams"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Team"</th>
                            <th scope="col" class="cell-number">"Members"</th>
                            <th scope="col">"Created"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || teams.items.get()
                            key=|team| (team.id, team.member_count)
                            children=|team| {
                                view! {
                                    <tr data-team-id=team.id.to_string()>
                                        <th scope="row" class="cell-name">{team.name}</th>
                                        <td class="cell-number">{members(team.member_count)}</td>
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
    let teams = RemoteList::<Team>::new();
    let load = move || teams.load(api::teams::list(auth));
    load();

    view! {
        <div class="page">
            <PageHeader
                title="Teams"
                description="Teams decide which conversations agents see. Admin and compliance see every team."
            />
            <section class="card" aria-labelledby="new-team-title">
                <h2 id="new-team-title" class="card-title">
                    "Create a team"
                </h2>
                <NewTeamForm on_created=Callback::new(move |team| teams.push(team)) />
            </section>
            <section class="card card-flush" aria-labelledby="teams-title">
                <header class="card-header">
                    <h2 id="teams-title" class="card-title">
                        "All teams"
                    </h2>
                </header>
                {move || match teams.status.get() {
                    LoadStatus::Loading => {
                        view! { <SkeletonRows rows=4 label="Loading teams…" /> }.into_any()
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
