//! The table of connected channels on the Channels page. Each channel is its
//! own `<tbody>`: one row of facts and one with the callback URL to paste
//! into WeChat. The channel just connected is highlighted and scrolled to.

use leptos::prelude::*;
use shared::api::{Channel, Team};
use shared::{ChannelId, TeamId};

use crate::channel_rules::{callback_url, kind_label, mode_label};
use crate::components::copy_button::CopyButton;
use crate::components::empty_state::EmptyState;
use crate::components::icon::IconKind;
use crate::format::{hk_date, hk_date_time};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::language::current_locale;
use crate::remote::{LoadStatus, RemoteList};

/// Columns in the table, for the callback row's `colspan`.
const COLUMNS: &str = "6";

/// This page's origin, e.g. `https://harbour.example.com`.
fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

fn row_id(channel_id: ChannelId) -> String {
    format!("channel-{channel_id}")
}

/// Brings the new channel into view once it is on the page.
fn scroll_to(channel_id: ChannelId) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(element) = document.get_element_by_id(&row_id(channel_id)) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        element.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

fn team_name(teams: RemoteList<Team>, team: Option<TeamId>) -> String {
    let locale = current_locale();
    let Some(id) = team else {
        return td_string!(locale, teams.no_team).to_owned();
    };
    teams.items.with(|items| {
        items.iter().find(|t| t.id == id).map_or_else(
            || match teams.status.get() {
                LoadStatus::Ready => td_string!(locale, teams.removed_team).to_owned(),
                _ => "…".to_owned(),
            },
            |t| t.name.clone(),
        )
    })
}

#[component]
fn ChannelRows(
    channel: Channel,
    teams: RemoteList<Team>,
    highlighted: RwSignal<Option<ChannelId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = channel.id;
    let is_new = move || highlighted.get() == Some(id);
    let url = callback_url(&origin(), &channel.callback_path);
    let label_id = format!("callback-label-{id}");
    let channel_name = channel.name.clone();
    let copy_label = move || {
        format!(
            "{}{}",
            t_string!(i18n, channels.copy_callback_before),
            channel_name
        )
    };
    let team = channel.team;
    let active = channel.active;
    let status_class = if active {
        "status status-active"
    } else {
        "status status-inactive"
    };
    let status_text = move || {
        if active {
            t_string!(i18n, common.active)
        } else {
            t_string!(i18n, channels.inactive)
        }
    };
    let kind = channel.kind;
    let mode = channel.mode;
    let connected = hk_date(channel.created_at);
    view! {
        <tbody id=row_id(id) class="channel" class:is-new=is_new data-channel-id=id.to_string()>
            <tr class="channel-row">
                <th scope="row" class="cell-name">
                    {channel.name}
                    <span class="channel-created" title=hk_date_time(channel.created_at)>
                        {t!(i18n, channels.connected_on, date = connected)}
                    </span>
                </th>
                <td>
                    <span class="channel-badge">{move || kind_label(&kind)}</span>
                </td>
                <td>{move || mode_label(mode)}</td>
                <td>
                    <code class="app-id">{channel.app_id}</code>
                </td>
                <td class="cell-team">{move || team_name(teams, team)}</td>
                <td>
                    <span class=status_class>{status_text}</span>
                </td>
            </tr>
            <tr class="channel-callback">
                <td colspan=COLUMNS>
                    <div class="callback">
                        <span class="callback-label" id=label_id.clone()>
                            {t!(i18n, channels.callback_url)}
                        </span>
                        <code class="callback-url" aria-labelledby=label_id>
                            {url.clone()}
                        </code>
                        <CopyButton text=url label=copy_label />
                    </div>
                </td>
            </tr>
        </tbody>
    }
}

#[component]
pub fn ChannelsTable(
    channels: RemoteList<Channel>,
    teams: RemoteList<Team>,
    /// The channel connected a moment ago, if any.
    highlighted: RwSignal<Option<ChannelId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    // Runs after the new rows are rendered, so the element exists.
    Effect::new(move |_| {
        if let Some(id) = highlighted.get() {
            request_animation_frame(move || scroll_to(id));
        }
    });
    view! {
        <Show
            when=move || channels.items.with(|items| !items.is_empty())
            fallback=move || {
                view! {
                    <EmptyState
                        icon=IconKind::Channels
                        message=move || t_string!(i18n, channels.empty)
                    />
                }
            }
        >
            <div class="table-scroll">
                <table class="data-table channels-table">
                    <caption class="visually-hidden">{t!(i18n, channels.caption)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, channels.channel)}</th>
                            <th scope="col">{t!(i18n, channels.kind)}</th>
                            <th scope="col">{t!(i18n, channels.encryption)}</th>
                            <th scope="col">"AppID"</th>
                            <th scope="col">{t!(i18n, teams.team)}</th>
                            <th scope="col">{t!(i18n, channels.status)}</th>
                        </tr>
                    </thead>
                    <For
                        each=move || channels.items.get()
                        key=|channel| (channel.id, channel.active)
                        children=move |channel| {
                            view! { <ChannelRows channel=channel teams=teams highlighted=highlighted /> }
                        }
                    />
                </table>
            </div>
        </Show>
    }
}
