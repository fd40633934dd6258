//! The latest events received over the live connection, newest first, so
//! people can see the socket is alive before the inbox itself exists.

use leptos::prelude::*;
use shared::api::Event;
use shared::{ErrorBody, ErrorCode};

use crate::api::ApiError;
use crate::components::error_state::ErrorState;
use crate::components::icon::{Icon, IconKind};
use crate::components::skeleton_rows::SkeletonRows;
use crate::format::{hk_date_time, hk_time};
use crate::state::live::{LiveState, LiveStatus};

/// A few words for the event kinds people will see most; others show as is.
fn describe(kind: &str) -> &'static str {
    match kind {
        "auth.login" => "Signed in",
        "auth.logout" => "Signed out",
        "auth.login_failed" => "Sign-in failed",
        "user.created" => "User added",
        "user.updated" => "User changed",
        "user.password_reset" => "Password reset",
        "team.created" => "Team created",
        "message.received" => "Message received",
        "message.sent" => "Message sent",
        _ => "Activity",
    }
}

fn offline_error(status: LiveStatus) -> ApiError {
    let message = if status == LiveStatus::Offline {
        "You are offline, so new activity can't reach you."
    } else {
        "The live connection dropped. Activity will continue once it reconnects."
    };
    ApiError {
        status: 0,
        body: ErrorBody::new(ErrorCode::Unavailable, message),
    }
}

#[component]
fn ActivityItem(event: Event) -> impl IntoView {
    view! {
        <li class="activity-item">
            <span class="activity-dot" aria-hidden="true"></span>
            <span class="activity-text">
                <span class="activity-label">{describe(&event.kind)}</span>
                <code class="activity-kind">{event.kind.clone()}</code>
            </span>
            <span class="activity-time" title=hk_date_time(event.at)>
                {hk_time(event.at)}
            </span>
        </li>
    }
}

#[component]
pub fn ActivityFeed() -> impl IntoView {
    let live = expect_context::<LiveState>();
    let is_empty = move || live.recent.with(|recent| recent.is_empty());
    let disconnected = move || {
        let status = live.status.get();
        matches!(status, LiveStatus::Reconnecting | LiveStatus::Offline).then_some(status)
    };

    view! {
        <section class="panel activity-feed" aria-labelledby="activity-title">
            <header class="panel-header">
                <h2 id="activity-title" class="panel-title">
                    <Icon kind=IconKind::Activity />
                    "Live activity"
                </h2>
                <span class="panel-meta">"Hong Kong time"</span>
            </header>
            {move || {
                disconnected()
                    .map(|status| {
                        view! {
                            <ErrorState
                                error=offline_error(status)
                                on_retry=Callback::new(move |()| live.wake())
                            />
                        }
                    })
            }}
            <Show when=move || is_empty() && live.status.get() == LiveStatus::Connecting>
                <SkeletonRows rows=3 label="Connecting to live updates…" />
            </Show>
            <Show when=move || is_empty() && live.status.get() == LiveStatus::Connected>
                <p class="panel-empty">
                    "Nothing yet. Sign-ins, new users and messages appear here as they happen."
                </p>
            </Show>
            <ol class="activity-list" aria-live="polite" aria-label="Latest events" tabindex="0">
                <For
                    each=move || live.recent.get()
                    key=|event| event.seq
                    children=|event| view! { <ActivityItem event=event /> }
                />
            </ol>
        </section>
    }
}
