//! The Teams page's "WeCom welcome and closing" form: pick a team, write
//! the message a client gets when they open a WeCom Customer Service chat
//! with one of the team's accounts and the one sent when a conversation is
//! resolved. An account with its own text (Channels page) keeps it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Team, TeamMessages};
use shared::TeamId;

use crate::api::{self, ApiError};
use crate::components::form_banner::FormBanner;
use crate::i18n::{t, t_string, use_i18n};
use crate::remote::RemoteList;
use crate::state::auth::AuthState;

#[component]
pub fn TeamMessagesForm(teams: RemoteList<Team>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let chosen = RwSignal::new(None::<TeamId>);
    let welcome = RwSignal::new(String::new());
    let closing = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // The first team is chosen once the list arrives; a choice fills the texts.
    let choose = move |id: Option<TeamId>| {
        chosen.set(id);
        let team = teams
            .items
            .with_untracked(|items| items.iter().find(|t| Some(t.id) == id).cloned());
        welcome.set(
            team.as_ref()
                .and_then(|t| t.welcome_text.clone())
                .unwrap_or_default(),
        );
        closing.set(team.and_then(|t| t.closing_text).unwrap_or_default());
        error.set(None);
        saved.set(None);
    };
    Effect::new(move |_| {
        let first = teams.items.with(|items| items.first().map(|t| t.id));
        if chosen.get_untracked().is_none() && first.is_some() {
            choose(first);
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(id) = chosen.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        saved.set(None);
        let request = TeamMessages {
            welcome_text: Some(welcome.get_untracked()),
            closing_text: Some(closing.get_untracked()),
        };
        spawn_local(async move {
            match api::teams::set_messages(auth, id, &request).await {
                Ok(team) => {
                    saved.try_set(Some(format!(
                        "{}{}",
                        team.name,
                        t_string!(i18n, teams.messages_saved_after)
                    )));
                    teams.replace(team, move |t| t.id == id);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <form id="team-messages-form" class="team-messages-form" novalidate on:submit=submit>
            <p class="field-hint">{t!(i18n, teams.messages_hint)}</p>
            <label for="team-messages-team">{t!(i18n, teams.team)}</label>
            <select
                id="team-messages-team"
                name="team"
                on:change=move |ev| choose(event_target_value(&ev).parse().ok())
            >
                <For
                    each=move || teams.items.get()
                    key=|team| team.id
                    children=move |team| {
                        let id = team.id;
                        view! {
                            <option value=id.to_string() prop:selected=move || chosen.get() == Some(id)>
                                {team.name}
                            </option>
                        }
                    }
                />
            </select>
            <label for="team-welcome">{t!(i18n, channels.kf_welcome)}</label>
            <textarea id="team-welcome" name="welcome_text" rows="2" bind:value=welcome></textarea>
            <label for="team-closing">{t!(i18n, channels.kf_closing)}</label>
            <textarea id="team-closing" name="closing_text" rows="2" bind:value=closing></textarea>
            <div class="inline-form-actions">
                <button type="submit" class="button button-primary" disabled=move || busy.get() || chosen.get().is_none()>
                    {t!(i18n, channels.kf_save_messages)}
                </button>
            </div>
            <FormBanner error=error success=saved />
        </form>
    }
}
