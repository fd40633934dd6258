//! One user in the Users table, with its actions: change role, change teams,
//! reset password, deactivate or reactivate. Results and errors appear in a
//! detail row right under it.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Team, UpdateUser, User};
use shared::{Role, TeamId};

use crate::api::{self, ApiError};
use crate::components::form_banner::FormBanner;
use crate::components::form_field::FieldSet;
use crate::components::reset_password_form::ResetPasswordForm;
use crate::components::team_picker::TeamPicker;
use crate::i18n::{t, t_string, use_i18n, Locale};
use crate::language::current_locale;
use crate::remote::RemoteList;
use crate::state::auth::AuthState;

/// Columns in the users table, for the detail row's `colspan`.
const COLUMNS: &str = "6";

/// The capacities offered, besides a user's own if it is not among them.
const CAPACITIES: [i64; 26] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 25, 30, 40, 50, 75, 100,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Panel {
    Closed,
    Teams,
    Password,
    Portal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Notice {
    Done(String),
    Failed(ApiError),
}

#[component]
pub fn UserRow(
    user: User,
    teams: RemoteList<Team>,
    is_self: bool,
    on_change: Callback<User>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let id = user.id;
    let current = RwSignal::new(user);
    let panel = RwSignal::new(Panel::Closed);
    let notice = RwSignal::new(None::<Notice>);
    let busy = RwSignal::new(false);
    let chosen_teams = RwSignal::new(Vec::<TeamId>::new());
    let portal_id = RwSignal::new(String::new());
    let role_select = NodeRef::<html::Select>::new();
    let capacity_select = NodeRef::<html::Select>::new();

    let name = move || current.with(|u| u.name.clone());
    let active = move || current.with(|u| u.active);

    // Sends one change; `done` says what happened, in words, on success.
    let apply = move |change: UpdateUser, done: String| {
        busy.set(true);
        notice.set(None);
        spawn_local(async move {
            match api::users::update(auth, id, &change).await {
                Ok(updated) => {
                    current.try_set(updated.clone());
                    panel.try_set(Panel::Closed);
                    notice.try_set(Some(Notice::Done(done)));
                    on_change.run(updated);
                }
                Err(error) => {
                    notice.try_set(Some(Notice::Failed(error)));
                    // Puts the role menu back to what the server holds.
                    if let (Some(select), Some(role)) = (
                        role_select.get_untracked(),
                        current.try_with_untracked(|u| u.role),
                    ) {
                        select.set_value(role.as_str());
                    }
                    if let (Some(select), Some(capacity)) = (
                        capacity_select.get_untracked(),
                        current.try_with_untracked(|u| u.capacity),
                    ) {
                        select.set_value(&capacity.to_string());
                    }
                }
            }
            busy.try_set(false);
        });
    };

    let change_role = move |ev| {
        let Ok(role) = event_target_value(&ev).parse::<Role>() else {
            return;
        };
        if current.with_untracked(|u| u.role) != role {
            let done = format!(
                "{}{}{}{}",
                name(),
                t_string!(i18n, users.role_changed_middle),
                with_article(role),
                t_string!(i18n, users.role_changed_after)
            );
            apply(
                UpdateUser {
                    role: Some(role),
                    ..Default::default()
                },
                done,
            );
        }
    };
    let change_capacity = move |ev| {
        let Ok(capacity) = event_target_value(&ev).parse::<i64>() else {
            return;
        };
        if current.with_untracked(|u| u.capacity) != capacity {
            let done = t_string!(i18n, users.capacity_changed)
                .replace("%c", &capacity.to_string())
                .replace("%n", &name());
            apply(
                UpdateUser {
                    capacity: Some(capacity),
                    ..Default::default()
                },
                done,
            );
        }
    };
    let capacities = move || {
        let own = current.with(|u| u.capacity);
        let mut all = CAPACITIES.to_vec();
        if !all.contains(&own) {
            all.push(own);
            all.sort_unstable();
        }
        all
    };
    let toggle_active = move |_| {
        let activate = !active();
        let done = if activate {
            format!("{}{}", name(), t_string!(i18n, users.reactivated_after))
        } else {
            format!("{}{}", name(), t_string!(i18n, users.deactivated_after))
        };
        apply(
            UpdateUser {
                active: Some(activate),
                ..Default::default()
            },
            done,
        );
    };
    let toggle_panel = move |which: Panel| {
        notice.set(None);
        if which == Panel::Teams {
            chosen_teams.set(current.with(|u| u.teams.iter().map(|t| t.id).collect()));
        }
        if which == Panel::Portal {
            portal_id.set(current.with(|u| u.external_id.clone().unwrap_or_default()));
        }
        panel.update(|open| *open = if *open == which { Panel::Closed } else { which });
    };
    // An empty ID unlinks; the server trims and checks it.
    let save_portal = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = portal_id.get_untracked().trim().to_owned();
        let linked = current.with_untracked(|u| u.external_id.is_some());
        if typed.is_empty() && !linked {
            panel.set(Panel::Closed);
            return;
        }
        let (external_id, done) = if typed.is_empty() {
            (
                None,
                t_string!(i18n, users.portal_unlinked).replace("%n", &name()),
            )
        } else {
            (
                Some(typed),
                t_string!(i18n, users.portal_linked).replace("%n", &name()),
            )
        };
        apply(
            UpdateUser {
                external_id: Some(external_id),
                ..Default::default()
            },
            done,
        );
    };
    let save_teams = move |_| {
        let done = format!(
            "{}{}{}",
            t_string!(i18n, users.teams_updated_before),
            name(),
            t_string!(i18n, users.teams_updated_after)
        );
        apply(
            UpdateUser {
                teams: Some(chosen_teams.get_untracked()),
                ..Default::default()
            },
            done,
        );
    };

    let team_names = move || {
        current.with(|u| {
            if u.teams.is_empty() {
                t_string!(i18n, teams.no_team).to_owned()
            } else {
                u.teams
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        })
    };
    let self_note = move || is_self.then(|| t_string!(i18n, users.self_note));

    view! {
        <tr class="user-row" class:is-inactive=move || !active() data-user-id=id.to_string()>
            <th scope="row" class="cell-person">
                <span class="person-name">
                    {name}
                    {is_self.then(|| view! { <span class="badge badge-neutral">{t!(i18n, users.you)}</span> })}
                </span>
                <span class="person-email">{move || current.with(|u| u.email.clone())}</span>
                // The portal ID they are linked to; a tap edits it.
                <button
                    type="button"
                    class="button-link person-portal user-portal"
                    aria-label=move || t_string!(i18n, users.portal_id_of).replace("%n", &name())
                    aria-expanded=move || (panel.get() == Panel::Portal).to_string()
                    disabled=move || busy.get()
                    on:click=move |_| toggle_panel(Panel::Portal)
                >
                    {move || match current.with(|u| u.external_id.clone()) {
                        Some(linked) => format!("{}: {linked}", t_string!(i18n, users.portal_id)),
                        None => format!("{}…", t_string!(i18n, users.portal_id)),
                    }}
                </button>
            </th>
            <td class="cell-role">
                <select
                    node_ref=role_select
                    class="select-compact"
                    aria-label=move || format!("{}{}", t_string!(i18n, users.role_of_before), name())
                    title=self_note
                    disabled=move || busy.get() || is_self
                    on:change=change_role
                >
                    {Role::ALL
                        .iter()
                        .map(|r| {
                            let r = *r;
                            view! {
                                <option value=r.as_str() prop:selected=move || current.with(|u| u.role == r)>
                                    {move || crate::language::role_label(r)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </td>
            <td class="cell-teams">{team_names}</td>
            <td class="cell-capacity">
                <Show
                    when=move || current.with(|u| u.role == Role::Agent)
                    fallback=move || view! {
                        <span class="muted" title=move || t_string!(i18n, users.capacity_none)>"—"</span>
                    }
                >
                    <select
                        node_ref=capacity_select
                        class="select-compact"
                        aria-label=move || t_string!(i18n, users.capacity_of).replace("%n", &name())
                        disabled=move || busy.get()
                        on:change=change_capacity
                    >
                        {move || capacities()
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <option value=c.to_string() prop:selected=move || current.with(|u| u.capacity == c)>
                                        {c.to_string()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </Show>
            </td>
            <td class="cell-status">
                <span class=move || if active() { "status status-active" } else { "status status-inactive" }>
                    {move || {
                        if active() {
                            t_string!(i18n, common.active)
                        } else {
                            t_string!(i18n, users.deactivated)
                        }
                    }}
                </span>
            </td>
            <td class="cell-actions">
                <div class="row-actions">
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=move || format!("{}{}", t_string!(i18n, users.edit_teams_before), name())
                        aria-expanded=move || (panel.get() == Panel::Teams).to_string()
                        disabled=move || busy.get()
                        on:click=move |_| toggle_panel(Panel::Teams)
                    >
                        {t!(i18n, nav.teams)}
                    </button>
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=move || format!("{}{}", t_string!(i18n, users.reset_password_before), name())
                        aria-expanded=move || (panel.get() == Panel::Password).to_string()
                        disabled=move || busy.get()
                        on:click=move |_| toggle_panel(Panel::Password)
                    >
                        {t!(i18n, users.reset_password)}
                    </button>

                    <button
                        type="button"
                        class=move || {
                            if active() { "button button-small button-danger" } else { "button button-small" }
                        }
                        title=self_note
                        disabled=move || busy.get() || is_self
                        on:click=toggle_active
                    >
                        {move || {
                            if active() {
                                t_string!(i18n, users.deactivate)
                            } else {
                                t_string!(i18n, users.reactivate)
                            }
                        }}
                    </button>
                </div>
            </td>
        </tr>
        <Show when=move || panel.get() != Panel::Closed || notice.with(Option::is_some)>
            <tr class="row-detail">
                <td colspan=COLUMNS>
                    {move || match panel.get() {
                        Panel::Closed => ().into_any(),
                        Panel::Password => {
                            view! {
                                <ResetPasswordForm
                                    user_id=id
                                    user_name=name()
                                    on_done=Callback::new(move |()| {
                                        panel.set(Panel::Closed);
                                        notice.set(Some(Notice::Done(format!(
                                            "{}{}{}",
                                            t_string!(i18n, users.password_changed_before),
                                            name(),
                                            t_string!(i18n, users.password_changed_after)
                                        ))));
                                    })
                                    on_cancel=Callback::new(move |()| panel.set(Panel::Closed))
                                />
                            }
                                .into_any()
                        }
                        Panel::Portal => {
                            let field = format!("user-{id}-portal");
                            view! {
                                <form class="inline-form" on:submit=save_portal>
                                    <div class="field">
                                        <label for=field.clone()>
                                            {move || t_string!(i18n, users.portal_id_of).replace("%n", &name())}
                                        </label>
                                        <input id=field type="text" maxlength="255" autocomplete="off" bind:value=portal_id />
                                        <p class="field-hint">{t!(i18n, users.portal_hint)}</p>
                                    </div>
                                    <div class="inline-form-actions">
                                        <button type="submit" class="button button-primary" disabled=move || busy.get()>
                                            {t!(i18n, users.save_portal)}
                                        </button>
                                        <button
                                            type="button"
                                            class="button button-ghost"
                                            on:click=move |_| panel.set(Panel::Closed)
                                        >
                                            {t!(i18n, common.cancel)}
                                        </button>
                                    </div>
                                </form>
                            }
                                .into_any()
                        }
                        Panel::Teams => {
                            view! {
                                <div class="inline-form">
                                    <FieldSet class="field" legend=move || format!("{}{}", t_string!(i18n, users.teams_for_before), name())>
                                        <TeamPicker
                                            teams=teams
                                            selected=chosen_teams
                                            id_prefix=format!("user-{id}-team")
                                        />
                                    </FieldSet>
                                    <div class="inline-form-actions">
                                        <button
                                            type="button"
                                            class="button button-primary"
                                            disabled=move || busy.get()
                                            on:click=save_teams
                                        >
                                            {t!(i18n, users.save_teams)}
                                        </button>
                                        <button
                                            type="button"
                                            class="button button-ghost"
                                            on:click=move |_| panel.set(Panel::Closed)
                                        >
                                            {t!(i18n, common.cancel)}
                                        </button>
                                    </div>
                                </div>
                            }
                                .into_any()
                        }
                    }}
                    <FormBanner
                        error=Signal::derive(move || match notice.get() {
                            Some(Notice::Failed(error)) => Some(error),
                            _ => None,
                        })
                        success=Signal::derive(move || match notice.get() {
                            Some(Notice::Done(text)) => Some(text),
                            _ => None,
                        })
                    />
                </td>
            </tr>
        </Show>
    }
}

/// "an agent", "a supervisor": for sentences about role changes. Chinese
/// has no articles: the role's name as it is.
fn with_article(role: Role) -> String {
    let label = crate::language::role_label(role);
    if current_locale() != Locale::en {
        return label.to_owned();
    }
    let article = if label.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {}", label.to_lowercase())
}
