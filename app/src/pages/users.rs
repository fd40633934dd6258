//! The Users admin page at /admin/users: add people, change their role and
//! teams, reset passwords, deactivate accounts.

use leptos::prelude::*;
use shared::api::{Team, User};

use crate::api;
use crate::components::admin_only::AdminOnly;
use crate::components::error_state::ErrorState;
use crate::components::new_user_form::NewUserForm;
use crate::components::page_header::PageHeader;
use crate::components::skeleton_rows::SkeletonRows;
use crate::components::users_table::UsersTable;
use crate::i18n::{t, t_string, use_i18n};
use crate::remote::{LoadStatus, RemoteList};
use crate::state::auth::AuthState;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <AdminOnly>
            <UsersAdmin />
        </AdminOnly>
    }
}

#[component]
fn UsersAdmin() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let users = RemoteList::<User>::new();
    let teams = RemoteList::<Team>::new();
    let load_users = move || users.load(api::users::list(auth));
    let load_teams = move || teams.load(api::teams::list(auth));
    load_users();
    load_teams();
    let me = auth.user_untracked().map(|u| u.id);
    let count = move || match users.items.with(Vec::len) {
        1 => view! { {t!(i18n, users.count_one)} }.into_any(),
        n => view! { {t!(i18n, users.count, n = n)} }.into_any(),
    };

    view! {
        <div class="page">
            <PageHeader
                title=move || t_string!(i18n, nav.users)
                description=move || t_string!(i18n, users.description)
            />
            <section class="card" aria-labelledby="new-user-title">
                <h2 id="new-user-title" class="card-title">
                    {t!(i18n, users.new_user)}
                </h2>
                <NewUserForm
                    teams=teams
                    on_created=Callback::new(move |user| users.push(user))
                    on_retry_teams=Callback::new(move |()| load_teams())
                />
            </section>
            <section class="card card-flush" aria-labelledby="users-title">
                <header class="card-header">
                    <h2 id="users-title" class="card-title">
                        {t!(i18n, users.all)}
                    </h2>
                    <Show when=move || users.status.get() == LoadStatus::Ready>
                        <span class="card-meta">{count}</span>
                    </Show>
                </header>
                {move || match users.status.get() {
                    LoadStatus::Loading => {
                        view! { <SkeletonRows rows=6 label=move || t_string!(i18n, users.loading) /> }.into_any()
                    }
                    LoadStatus::Failed(error) => {
                        view! {
                            <ErrorState error=error on_retry=Callback::new(move |()| load_users()) />
                        }
                            .into_any()
                    }
                    LoadStatus::Ready => {
                        view! { <UsersTable users=users teams=teams me=me /> }.into_any()
                    }
                }}
            </section>
        </div>
    }
}
