//! The Channels admin page at /admin/channels: the WeChat accounts connected
//! to Harbour with the callback URL each needs, a form to connect one, and
//! each WeCom Customer Service estate's accounts with their teams.

use leptos::prelude::*;
use shared::api::{Channel, Team};
use shared::ChannelId;

use crate::api;
use crate::components::admin_only::AdminOnly;
use crate::components::channels_table::ChannelsTable;
use crate::components::error_state::ErrorState;
use crate::components::kf_accounts::KfAccounts;
use crate::components::official_account_form::OfficialAccountForm;
use crate::components::page_header::PageHeader;
use crate::components::skeleton_rows::SkeletonRows;
use crate::i18n::{t, t_string, use_i18n};
use crate::remote::{LoadStatus, RemoteList};
use crate::state::auth::AuthState;

#[component]
pub fn ChannelsPage() -> impl IntoView {
    view! {
        <AdminOnly>
            <ChannelsAdmin />
        </AdminOnly>
    }
}

#[component]
fn ChannelsAdmin() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let channels = RemoteList::<Channel>::new();
    let teams = RemoteList::<Team>::new();
    let highlighted = RwSignal::new(None::<ChannelId>);
    let load_channels = move || channels.load(api::channels::list(auth));
    load_channels();
    teams.load(api::teams::list(auth));
    let count = move || match channels.items.with(Vec::len) {
        1 => view! { {t!(i18n, channels.count_one)} }.into_any(),
        n => view! { {t!(i18n, channels.count, n = n)} }.into_any(),
    };
    let on_connected = Callback::new(move |channel: Channel| {
        highlighted.set(Some(channel.id));
        channels.push(channel);
    });

    view! {
        <div class="page">
            <PageHeader
                title=move || t_string!(i18n, nav.channels)
                description=move || t_string!(i18n, channels.description)
            />
            <section class="card" aria-labelledby="connect-account-title">
                <h2 id="connect-account-title" class="card-title">
                    {t!(i18n, channels.connect_title)}
                </h2>
                <p class="card-lede">
                    {t!(i18n, channels.lede)}
                </p>
                <OfficialAccountForm teams=teams on_connected=on_connected />
            </section>
            <section class="card card-flush" aria-labelledby="channels-title">
                <header class="card-header">
                    <h2 id="channels-title" class="card-title">
                        {t!(i18n, channels.all)}
                    </h2>
                    <Show when=move || channels.status.get() == LoadStatus::Ready>
                        <span class="card-meta">{count}</span>
                    </Show>
                </header>
                {move || match channels.status.get() {
                    LoadStatus::Loading => {
                        view! { <SkeletonRows rows=3 label=move || t_string!(i18n, channels.loading) /> }.into_any()
                    }
                    LoadStatus::Failed(error) => {
                        view! {
                            <ErrorState error=error on_retry=Callback::new(move |()| load_channels()) />
                        }
                            .into_any()
                    }
                    LoadStatus::Ready => {
                        view! { <ChannelsTable channels=channels teams=teams highlighted=highlighted /> }
                            .into_any()
                    }
                }}
            </section>
            <For
                each=move || {
                    channels
                        .items
                        .get()
                        .into_iter()
                        .filter(|c| c.kind == crate::channel_rules::ChannelKind::WecomKf.value())
                        .collect::<Vec<_>>()
                }
                key=|c| c.id
                children=move |channel| view! { <KfAccounts channel=channel teams=teams /> }
            />
        </div>
    }
}
