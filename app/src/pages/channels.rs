//! The Channels admin page at /admin/channels: the WeChat accounts connected
//! to Harbour with the callback URL each needs, and a form to connect one.

use leptos::prelude::*;
use shared::api::{Channel, Team};
use shared::ChannelId;

use crate::api;
use crate::components::admin_only::AdminOnly;
use crate::components::channels_table::ChannelsTable;
use crate::components::error_state::ErrorState;
use crate::components::official_account_form::OfficialAccountForm;
use crate::components::page_header::PageHeader;
use crate::components::skeleton_rows::SkeletonRows;
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
    let channels = RemoteList::<Channel>::new();
    let teams = RemoteList::<Team>::new();
    let highlighted = RwSignal::new(None::<ChannelId>);
    let load_channels = move || channels.load(api::channels::list(auth));
    load_channels();
    teams.load(api::teams::list(auth));
    let count = move || match channels.items.with(Vec::len) {
        1 => "1 channel".to_owned(),
        n => format!("{n} channels"),
    };
    let on_connected = Callback::new(move |channel: Channel| {
        highlighted.set(Some(channel.id));
        channels.push(channel);
    });

    view! {
        <div class="page">
            <PageHeader
                title="Channels"
                description="The WeChat accounts connected to Harbour. Their followers' messages arrive in the inbox."
            />
            <section class="card" aria-labelledby="connect-account-title">
                <h2 id="connect-account-title" class="card-title">
                    "Connect an Official Account"
                </h2>
                <p class="card-lede">
                    "Copy these from the WeChat admin console, under Settings and development › Basic configuration (设置与开发 › 基本配置)."
                </p>
                <OfficialAccountForm teams=teams on_connected=on_connected />
            </section>
            <section class="card card-flush" aria-labelledby="channels-title">
                <header class="card-header">
                    <h2 id="channels-title" class="card-title">
                        "All channels"
                    </h2>
                    <Show when=move || channels.status.get() == LoadStatus::Ready>
                        <span class="card-meta">{count}</span>
                    </Show>
                </header>
                {move || match channels.status.get() {
                    LoadStatus::Loading => {
                        view! { <SkeletonRows rows=3 label="Loading channels…" /> }.into_any()
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
        </div>
    }
}
