//! The table of user accounts on the Users page.

use leptos::prelude::*;
use shared::api::{Team, User};
use shared::UserId;

use crate::components::empty_state::EmptyState;
use crate::components::icon::IconKind;
use crate::components::user_row::UserRow;
use crate::i18n::td_string;
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
                        message=move || td_string!(crate::language::current_locale(), users.empty)
                    />
                }
            }
        >
            <div class="table-scroll">
                <table class="data-table users-table">
                    <caption class="visually-hidden">{move || td_string!(crate::language::current_locale(), users.caption)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{move || td_string!(crate::language::current_locale(), users.name_and_email)}</th>
                            <th scope="col">{move || td_string!(crate::language::current_locale(), users.role)}</th>
                            <th scope="col">{move || td_string!(crate::language::current_locale(), nav.teams)}</th>
                            <th scope="col">{move || td_string!(crate::language::current_locale(), users.capacity)}</th>
                            <th scope="col">{move || td_string!(crate::language::current_locale(), channels.status)}</th>
                            <th scope="col" class="cell-actions">
                                <span class="visually-hidden">{move || td_string!(crate::language::current_locale(), users.actions)}</span>
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
