//! The table of user accounts on the Users page.

use leptos::prelude::*;
use shared::api::{Team, User};
use shared::UserId;

use crate::components::empty_state::EmptyState;
use crate::components::icon::IconKind;
use crate::components::user_row::UserRow;
use crate::remote::RemoteList;

#[component]
pub fn UsersTable(
    users: RemoteList<User>,
    teams: RemoteList<Team>,
    /// The admin looking at the page, who may not lock themselves out.
    me: Option<UserId>,
) -> impl IntoView {
    let on_change = Callback::new(move |user: User| {
        let id = user.id;
        users.replace(user, |existing| existing.id == id);
    });
    view! {
        <Show
            when=move || users.items.with(|items| !items.is_empty())
            fallback=|| {
                view! {
                    <EmptyState
                        icon=IconKind::Users
                        message="No users yet. Add the first person with the form above."
                    />
                }
            }
        >
            <div class="table-scroll">
                <table class="data-table users-table">
                    <caption class="visually-hidden">"User accounts"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name and email"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Teams"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col" class="cell-actions">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || users.items.get()
                            key=|user| user.id
                            children=move |user| {
                                let is_self = me == Some(user.id);
                                view! { <UserRow user=user teams=teams is_self=is_self on_change=on_change /> }
                            }
                        />
                    </tbody>
                </table>
            </div>
        </Show>
    }
}
