//! A WeCom Customer Service estate's accounts on the Channels page: fetched
//! from WeCom on request (or known since a customer first wrote), each with
//! the team its new conversations go to (changed on the spot) and its
//! welcome and closing messages.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Channel, KfAccountView, MapKfAccount, Team};
use shared::TeamId;

use crate::api;
use crate::components::error_state::ErrorState;
use crate::i18n::{t, t_string, use_i18n};
use crate::remote::{LoadStatus, RemoteList};
use crate::state::auth::AuthState;

#[component]
pub fn KfAccounts(channel: Channel, teams: RemoteList<Team>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let id = channel.id;
    let accounts = RemoteList::<KfAccountView>::new();
    let load = move || accounts.load(api::channels::kf_accounts(auth, id));
    load();
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<api::ApiError>);
    let saved = RwSignal::new(None::<String>);
    let refresh = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            match api::channels::refresh_kf_accounts(auth, id).await {
                Ok(listed) => accounts.items.set(listed),
                Err(error) => problem.set(Some(error)),
            }
            busy.try_set(false);
        });
    };
    let map = move |open_kfid: String, mapping: MapKfAccount| {
        problem.set(None);
        saved.set(None);
        spawn_local(async move {
            match api::channels::map_kf_account(auth, id, &open_kfid, &mapping).await {
                Ok(listed) => {
                    accounts.items.set(listed);
                    saved.set(Some(open_kfid));
                }
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    let title_id = format!("kf-accounts-{id}");
    let labelled_by = title_id.clone();

    view! {
        <section class="card card-flush kf-accounts" aria-labelledby=labelled_by data-channel=id.to_string()>
            <header class="card-header">
                <h2 id=title_id class="card-title">
                    {t!(i18n, channels.kf_accounts_title)} " · " {channel.name.clone()}
                </h2>
                <button type="button" class="button kf-refresh" disabled=move || busy.get() on:click=refresh>
                    {move || {
                        if busy.get() {
                            t_string!(i18n, channels.kf_refreshing)
                        } else {
                            t_string!(i18n, channels.kf_refresh)
                        }
                    }}
                </button>
            </header>
            <p class="card-lede kf-lede">{t!(i18n, channels.kf_accounts_lede)}</p>
            {move || problem.get().map(|error| view! { <ErrorState error=error /> })}
            {move || match accounts.status.get() {
                LoadStatus::Failed(error) => {
                    view! { <ErrorState error=error on_retry=Callback::new(move |()| load()) /> }.into_any()
                }
                LoadStatus::Loading => view! { <p class="card-meta kf-lede">"…"</p> }.into_any(),
                LoadStatus::Ready if accounts.items.with(Vec::is_empty) => {
                    view! { <p class="card-meta kf-none kf-lede">{t!(i18n, channels.kf_none)}</p> }.into_any()
                }
                LoadStatus::Ready => {
                    view! {
                        <ul class="kf-account-list">
                            <For
                                each=move || accounts.items.get()
                                key=|a| (a.open_kfid.clone(), a.team, a.name.clone())
                                children=move |account| {
                                    let open_kfid = account.open_kfid.clone();
                                    let control = format!("kf-team-{}", account.open_kfid);
                                    let current = account.team;
                                    let team = RwSignal::new(account.team);
                                    let welcome = RwSignal::new(account.welcome_text.clone().unwrap_or_default());
                                    let closing = RwSignal::new(account.closing_text.clone().unwrap_or_default());
                                    let mapping = move || MapKfAccount {
                                        team: team.get_untracked(),
                                        welcome_text: Some(welcome.get_untracked()),
                                        closing_text: Some(closing.get_untracked()),
                                    };
                                    let save_texts = {
                                        let open_kfid = open_kfid.clone();
                                        move |ev: leptos::ev::SubmitEvent| {
                                            ev.prevent_default();
                                            map(open_kfid.clone(), mapping());
                                        }
                                    };
                                    let welcome_id = format!("kf-welcome-{}", account.open_kfid);
                                    let closing_id = format!("kf-closing-{}", account.open_kfid);
                                    let shown_saved = {
                                        let open_kfid = open_kfid.clone();
                                        move || saved.get().as_deref() == Some(open_kfid.as_str())
                                    };
                                    view! {
                                        <li class="kf-account" data-open-kfid=account.open_kfid.clone()>
                                            <label for=control.clone() class="kf-account-name">
                                                <span>{account.name.clone()}</span>
                                                <code>{account.open_kfid.clone()}</code>
                                            </label>
                                            <select
                                                id=control
                                                on:change={
                                                    let open_kfid = open_kfid.clone();
                                                    move |ev| {
                                                        team.set(event_target_value(&ev).parse::<TeamId>().ok());
                                                        map(open_kfid.clone(), mapping());
                                                    }
                                                }
                                            >
                                                <option value="" prop:selected=current.is_none()>
                                                    {t!(i18n, channels.kf_channel_team)}
                                                </option>
                                                <For
                                                    each=move || teams.items.get()
                                                    key=|t| t.id
                                                    children=move |team| {
                                                        let selected = current == Some(team.id);
                                                        view! {
                                                            <option value=team.id.to_string() prop:selected=selected>
                                                                {team.name}
                                                            </option>
                                                        }
                                                    }
                                                />
                                            </select>
                                            <Show when=shown_saved.clone()>
                                                <span class="kf-saved" role="status">{t!(i18n, channels.kf_saved)}</span>
                                            </Show>
                                            <details class="kf-messages">
                                                <summary>{t!(i18n, channels.kf_messages)}</summary>
                                                <form class="kf-messages-form" on:submit=save_texts>
                                                    <p class="field-hint">{t!(i18n, channels.kf_messages_hint)}</p>
                                                    <label for=welcome_id.clone()>{t!(i18n, channels.kf_welcome)}</label>
                                                    <textarea id=welcome_id name="welcome_text" rows="2" bind:value=welcome></textarea>
                                                    <label for=closing_id.clone()>{t!(i18n, channels.kf_closing)}</label>
                                                    <textarea id=closing_id name="closing_text" rows="2" bind:value=closing></textarea>
                                                    <button type="submit" class="button">{t!(i18n, channels.kf_save_messages)}</button>
                                                </form>
                                            </details>
                                        </li>
                                    }
                                }
                            />
                        </ul>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
