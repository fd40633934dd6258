//! One conversation in the list: contact, channel, newest message, how long
//! ago, and whether the client is waiting. A link, so it opens with Enter,
//! a click, or in a new tab.

use leptos::prelude::*;
use shared::api::ConversationSummary;

use crate::components::waiting_badge::WaitingBadge;
use crate::format::{hk_date_time, relative_age};
use crate::labels::{contact_label, preview_label};

#[component]
pub fn ConversationRow(
    conversation: ConversationSummary,
    /// The id of the conversation open on the right, if any.
    selected: Signal<Option<String>>,
    now: Signal<i64>,
) -> impl IntoView {
    let ConversationSummary {
        id,
        channel_name,
        contact_name,
        open_id,
        last_message_at,
        preview,
        waiting_since,
        ..
    } = conversation;
    let href = format!("/inbox/{}", String::from(js_sys::encode_uri_component(&id)));
    let channel_title = channel_name.clone();
    let contact = contact_label(contact_name.as_deref(), &open_id);
    let preview = preview_label(preview.as_deref());
    let is_selected = {
        let id = id.clone();
        move || selected.with(|selected| selected.as_deref() == Some(id.as_str()))
    };
    let is_selected_too = is_selected.clone();

    view! {
        <li class="conversation-item">
            <a
                class="conversation-row"
                class:is-selected=is_selected
                class:is-waiting=waiting_since.is_some()
                href=href
                data-id=id
                aria-current=move || is_selected_too().then_some("page")
            >
                <span class="conversation-line">
                    <span class="conversation-contact">{contact}</span>
                    <span class="channel-badge" title=channel_title>
                        <span class="channel-badge-name">{channel_name}</span>
                    </span>
                    <time class="conversation-time" title=hk_date_time(last_message_at)>
                        {move || relative_age(last_message_at, now.get())}
                    </time>
                </span>
                <span class="conversation-line">
                    <span class="conversation-preview">{preview}</span>
                    {waiting_since.map(|since| view! { <WaitingBadge since=since now=now /> })}
                </span>
            </a>
        </li>
    }
}
