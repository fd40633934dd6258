//! One entry of a conversation's timeline: the client's messages on the
//! left, the team's replies on the right with their delivery state, and
//! WeChat events (follow, unfollow, menu taps) as a small centred line.

use leptos::prelude::*;
use shared::api::MessageView;

use crate::components::delivery_state::DeliveryState;
use crate::components::icon::{Icon, IconKind};
use crate::format::{hk_clock_or_date, hk_date_time};
use crate::labels::{event_label, placeholder};

/// The visible content of a text or media message.
fn content(kind: &str, body: Option<String>) -> AnyView {
    let body = body.filter(|b| !b.trim().is_empty());
    match placeholder(kind) {
        Some(label) => {
            let icon = match kind {
                "voice" => IconKind::Voice,
                "image" | "video" | "shortvideo" => IconKind::Image,
                _ => IconKind::Message,
            };
            // Voice may carry WeChat's transcript; location and link their text.
            let detail = body.map(|text| view! { <span class="message-detail">{text}</span> });
            view! {
                <span class=format!("message-placeholder placeholder-{kind}")>
                    <Icon kind=icon />
                    <span class="message-placeholder-label">{label}</span>
                </span>
                {detail}
            }
            .into_any()
        }
        None => {
            let text = body.unwrap_or_else(|| format!("Unsupported message ({kind})"));
            view! { <span class="message-text">{text}</span> }.into_any()
        }
    }
}

#[component]
pub fn MessageItem(message: MessageView, now: Signal<i64>) -> impl IntoView {
    let MessageView {
        id,
        direction,
        kind,
        body,
        status,
        error,
        created_at,
        ..
    } = message;
    let time = move || hk_clock_or_date(created_at, now.get());
    let title = hk_date_time(created_at);

    if kind == "event" {
        return view! {
            <li class="message event" data-id=id>
                <span class="message-event-text">{event_label(body.as_deref())}</span>
                <time class="message-time" title=title>{time}</time>
            </li>
        }
        .into_any();
    }

    let outbound = direction == "out";
    let direction_class = if outbound { "out" } else { "in" };
    let who = if outbound { "Team reply:" } else { "Client:" };
    view! {
        <li class=format!("message {direction_class}") data-id=id data-kind=kind.clone()>
            <span class="visually-hidden">{who}</span>
            <div class="message-bubble">{content(&kind, body)}</div>
            <div class="message-meta">
                <time class="message-time" title=title>{time}</time>
                {outbound.then(|| view! { <DeliveryState status=status error=error /> })}
            </div>
        </li>
    }
    .into_any()
}
