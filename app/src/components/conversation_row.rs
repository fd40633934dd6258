//! One conversation in the list: a checkbox for bulk actions, then a link
//! with the contact, unread dot, priority, channel, how long ago, the
//! newest message, the waiting time, the SLA, the assignee and labels. Rows have a
//! fixed height so the list can be virtualised.

use std::collections::HashSet;

use leptos::prelude::*;
use shared::api::{ConversationSummary, Priority, Status};
use shared::ConversationId;

use crate::components::sla_badge::SlaBadge;
use crate::components::waiting_badge::WaitingBadge;
use crate::format::{hk_date_time, relative_age};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::labels::{contact_label, preview_label};

/// "Urgent", "High" for the priorities worth a flag; nothing for the rest.
pub fn priority_flag(priority: Priority) -> Option<&'static str> {
    let locale = crate::language::current_locale();
    match priority {
        Priority::Urgent => Some(td_string!(locale, priority_word.urgent_flag)),
        Priority::High => Some(td_string!(locale, priority_word.high_flag)),
        Priority::Normal | Priority::Low => None,
    }
}

/// The status in words, except for open (the usual case).
pub fn status_word(status: Status) -> Option<&'static str> {
    let locale = crate::language::current_locale();
    match status {
        Status::Pending => Some(td_string!(locale, status.pending)),
        Status::Snoozed => Some(td_string!(locale, status.snoozed)),
        Status::Resolved => Some(td_string!(locale, status.resolved)),
        Status::Open => None,
    }
}

#[component]
pub fn ConversationRow(
    conversation: ConversationSummary,
    /// The id of the conversation open on the right, if any.
    selected: Signal<Option<ConversationId>>,
    /// Conversations ticked for a bulk action.
    checked: RwSignal<HashSet<ConversationId>>,
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
        unread,
        priority,
        labels,
        assignee_name,
        status,
        sla,
        ..
    } = conversation;
    let href = format!("/inbox/{id}");
    let channel_title = channel_name.clone();
    // Unnamed contacts read "WeChat user · 3f9a1c" in the reader's language.
    let contact = move || contact_label(contact_name.as_deref(), &open_id);
    let preview = move || preview_label(preview.as_deref());
    let is_selected = move || selected.with(|s| *s == Some(id));
    let is_checked = move || checked.with(|c| c.contains(&id));
    let toggle = move |on: bool| {
        checked.update(|c| {
            if on {
                c.insert(id);
            } else {
                c.remove(&id);
            }
        })
    };
    let i18n = use_i18n();
    let check_label = {
        let contact = contact.clone();
        move || format!("{}{}", t_string!(i18n, row.select), contact())
    };
    let assignee = move || {
        assignee_name
            .clone()
            .unwrap_or_else(|| t_string!(i18n, queue.unassigned).to_owned())
    };
    let flag = move || priority_flag(priority);
    let status = move || status_word(status);

    view! {
        <li
            class="conversation-item"
            class:is-selected=is_selected
            class:is-unread=unread
            class:is-checked=is_checked
            data-id=id.to_string()
        >
            <label class="row-check">
                <input
                    type="checkbox"
                    aria-label=check_label
                    prop:checked=is_checked
                    on:change=move |ev| toggle(event_target_checked(&ev))
                />
            </label>
            <a
                class="conversation-row"
                class:is-selected=is_selected
                class:is-waiting=waiting_since.is_some()
                href=href
                data-id=id.to_string()
                aria-current=move || is_selected().then_some("page")
            >
                <span class="conversation-line">
                    {unread
                        .then(|| {
                            view! {
                                <span class="unread-dot" title=move || t_string!(i18n, row.unread)>
                                    <span class="visually-hidden">{t!(i18n, row.unread_sentence)}</span>
                                </span>
                            }
                        })}
                    <span class="conversation-contact">{contact}</span>
                    {move || {
                        flag()
                            .map(|f| {
                                view! { <span class=format!("priority-flag priority-{}", priority.as_str())>{f}</span> }
                            })
                    }}
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
                <span class="conversation-line conversation-meta">
                    <span class="conversation-assignee">{assignee}</span>
                    {sla.map(|sla| view! { <SlaBadge sla=sla now=now /> })}
                    {move || status().map(|s| view! { <span class="status-chip">{s}</span> })}
                    {labels
                        .into_iter()
                        .map(|label| view! { <span class="label-chip">{label}</span> })
                        .collect_view()}
                </span>
            </a>
        </li>
    }
}
