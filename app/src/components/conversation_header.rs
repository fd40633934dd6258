//! The top of an open conversation: a way back to the list on phones, who
//! the contact is, which channel they wrote to, and the reply window.

use leptos::prelude::*;
use shared::api::{ConversationSummary, ReplyWindow};

use crate::components::icon::{Icon, IconKind};
use crate::components::reply_window_summary::ReplyWindowSummary;
use crate::remote::RemoteValue;

#[component]
pub fn ConversationHeader(
    summary: Signal<Option<ConversationSummary>>,
    /// The contact's display name.
    contact: Signal<String>,
    window: RemoteValue<ReplyWindow>,
    now: Signal<i64>,
) -> impl IntoView {
    let channel = move || summary.with(|s| s.as_ref().map(|s| s.channel_name.clone()));
    view! {
        <header class="conversation-header">
            <a class="button button-ghost conversation-back" href="/inbox" aria-label="Back to conversations">
                <Icon kind=IconKind::Back />
            </a>
            <div class="conversation-heading">
                <h2 id="conversation-title" class="conversation-title">
                    <span class="conversation-title-name">{move || contact.get()}</span>
                    {move || channel().map(|name| view! {
                            <span class="channel-badge">
                                <span class="channel-badge-name">{name}</span>
                            </span>
                        })}
                </h2>
                <ReplyWindowSummary window=window now=now />
            </div>
        </header>
    }
}
