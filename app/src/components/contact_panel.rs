//! The contact beside an open conversation: name, WeChat ids, phone, email,
//! ids in other systems, attributes, tags and their other conversations;
//! an Edit button opens the form. A column on wide screens, a drawer below.

use leptos::prelude::*;
use shared::api::{ContactView, Status};
use shared::ConversationId;

use crate::components::access_history::AccessHistory;
use crate::components::contact_form::ContactForm;
use crate::components::error_state::ErrorState;
use crate::components::skeleton_rows::SkeletonRows;
use crate::format::{hk_date_time, relative_age};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::labels::{contact_label, preview_label};
use crate::remote::RemoteValue;
use crate::state::inbox::InboxState;

fn attribute_text(value: &serde_json::Value) -> String {
    let locale = crate::language::current_locale();
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => td_string!(locale, contact.yes).into(),
        serde_json::Value::Bool(false) => td_string!(locale, contact.no).into(),
        other => other.to_string(),
    }
}

/// A past conversation's status, in lower case as a small chip.
fn history_status(status: Status) -> &'static str {
    let locale = crate::language::current_locale();
    match status {
        Status::Open => td_string!(locale, contact.status_open),
        Status::Pending => td_string!(locale, contact.status_pending),
        Status::Snoozed => td_string!(locale, contact.status_snoozed),
        Status::Resolved => td_string!(locale, contact.status_resolved),
    }
}

#[component]
pub fn ContactPanel(
    contact: RemoteValue<ContactView>,
    /// The conversation open beside the panel, marked in the history.
    conversation: ConversationId,
    read_only: Signal<bool>,
    /// Admins and compliance also see who looked at the client.
    #[prop(into)]
    audits: Signal<bool>,
    now: Signal<i64>,
    on_retry: Callback<()>,
) -> impl IntoView {
    let inbox = expect_context::<InboxState>();
    let i18n = use_i18n();
    let editing = RwSignal::new(false);

    let body = move || {
        let Some(c) = contact.value.get() else {
            return match contact.error.get() {
                Some(error) => view! { <ErrorState error=error on_retry=on_retry /> }.into_any(),
                None => {
                    view! { <SkeletonRows rows=4 label=move || t_string!(i18n, contact.loading) /> }
                        .into_any()
                }
            };
        };
        if editing.get() {
            return view! {
                <ContactForm
                    contact=c
                    on_saved=Callback::new(move |fresh: ContactView| {
                        contact.value.set(Some(fresh));
                        editing.set(false);
                    })
                    on_cancel=Callback::new(move |()| editing.set(false))
                />
            }
            .into_any();
        }
        let name = contact_label(c.name.as_deref().or(c.remark.as_deref()), &c.open_id);
        let history = c.conversations.clone();
        let count = history.len();
        view! {
            <div class="contact-summary">
                <p class="contact-name">{name}</p>
                <p class="contact-sub">
                    {c.channel_name.clone()}
                    {(!c.subscribed).then(|| view! { " · " {t!(i18n, contact.unfollowed)} })}
                </p>
            </div>
            <dl class="contact-facts">
                <dt>{t!(i18n, contact.phone)}</dt>
                <dd>{c.phone.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{t!(i18n, contact.email)}</dt>
                <dd>{c.email.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{if c.channel_kind == "wecom_kf" {
                    t!(i18n, contact.wecom_customer_id).into_any()
                } else {
                    t!(i18n, contact.openid).into_any()
                }}</dt>
                <dd class="mono">{c.open_id.clone()}</dd>
                {c.union_id.clone().map(|u| view! { <dt>{t!(i18n, contact.unionid)}</dt><dd class="mono">{u}</dd> })}
                {c.external_ids
                    .iter()
                    .map(|(system, id)| view! { <dt>{system.to_uppercase()}</dt><dd class="mono">{id.clone()}</dd> })
                    .collect_view()}
                {c.attributes
                    .iter()
                    .map(|(key, value)| view! { <dt>{key.clone()}</dt><dd>{attribute_text(value)}</dd> })
                    .collect_view()}
                <dt>{t!(i18n, contact.since)}</dt>
                <dd>{hk_date_time(c.created_at)}</dd>
            </dl>
            <div class="contact-section">
                <h3 class="contact-heading">{t!(i18n, contact.tags)}</h3>
                {if c.tags.is_empty() {
                    view! { <p class="contact-empty">{t!(i18n, contact.no_tags)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="tag-list">
                            {c.tags.iter().map(|t| view! { <li class="label-chip">{t.clone()}</li> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }}
            </div>
            <div class="contact-section">
                <h3 class="contact-heading">
                    {move || format!("{} ({count})", t_string!(i18n, contact.conversations))}
                </h3>
                <ul class="contact-history">
                    {history
                        .into_iter()
                        .map(|h| {
                            let current = h.id == conversation;
                            let href = format!("/inbox/{}", h.id);
                            let at = h.last_message_at;
                            let status = h.status;
                            view! {
                                <li>
                                    <a class="history-link" href=href aria-current=current.then_some("page")>
                                        <span class="history-line">
                                            <span class="history-channel">{h.channel_name.clone()}</span>
                                            <span class="status-chip" data-status=status.as_str()>{move || history_status(status)}</span>
                                            <time class="history-time" title=hk_date_time(at)>{move || relative_age(at, now.get())}</time>
                                        </span>
                                        <span class="history-preview">{preview_label(h.preview.as_deref())}</span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
            <Show when=move || !read_only.get()>
                <button type="button" class="button button-small contact-edit" on:click=move |_| editing.set(true)>
                    {t!(i18n, contact.edit)}
                </button>
            </Show>
            {move || audits.get().then(|| view! { <AccessHistory contact=c.id now=now /> })}
        }
        .into_any()
    };

    view! {
        <aside
            class="contact-panel"
            id="contact-panel"
            class:is-open=move || inbox.contact_open.get()
            class:is-drawer-open=move || inbox.drawer_open.get()
            aria-labelledby="contact-panel-title"
        >
            <header class="contact-panel-header">
                <h2 id="contact-panel-title" class="contact-panel-title">{t!(i18n, conversation.contact)}</h2>
                <button
                    type="button"
                    class="button button-ghost button-small contact-close"
                    aria-label=move || t_string!(i18n, contact.close)
                    on:click=move |_| inbox.drawer_open.set(false)
                >
                    "×"
                </button>
            </header>
            <div class="contact-panel-body">{body}</div>
        </aside>
    }
}
