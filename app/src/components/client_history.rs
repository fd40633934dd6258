//! One client's complete history on every channel, newest first: their
//! messages (with delivery states as they stand), notes, assignments and
//! other changes, exports and every read of their records, narrowed to a
//! date range (Hong Kong dates) and paged back.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ClientContactView, HistoryEntry};
use shared::ContactId;

use crate::api::compliance::HistoryQuery;
use crate::api::{self, ApiError};
use crate::components::message_item::MessageItem;
use crate::format::{hk_clock_or_date, hk_date_time, hk_day_end, hk_day_start};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::state::auth::AuthState;

/// The event kinds that are a message, note or activity line of the timeline.
const MESSAGE_KINDS: [&str; 4] = [
    "message.received",
    "message.queued",
    "note.added",
    "conversation.updated",
];

#[component]
pub fn ClientHistoryView(
    contact: ContactId,
    /// The date range shown (and exported), Unix ms.
    range: RwSignal<(Option<i64>, Option<i64>)>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let now = crate::clock::use_now(std::time::Duration::from_secs(30));
    let contacts = RwSignal::new(Vec::<ClientContactView>::new());
    let entries = RwSignal::new(Vec::<HistoryEntry>::new());
    let before = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    let from_text = RwSignal::new(String::new());
    let to_text = RwSignal::new(String::new());

    // Only the newest request's answer is used: a late page of an older
    // range never lands in the new one.
    let generation = StoredValue::new(0_u64);
    let load = move |older: bool| {
        let (from, to) = range.get_untracked();
        let query = HistoryQuery {
            from,
            to,
            before: if older { before.get_untracked() } else { None },
        };
        let number = generation.try_update_value(|n| {
            *n += 1;
            *n
        });
        loading.set(true);
        error.set(None);
        spawn_local(async move {
            let answer = api::compliance::history(auth, contact, query).await;
            if generation.try_get_value() != number {
                return;
            }
            match answer {
                Ok(page) => {
                    contacts.try_set(page.contacts);
                    if older {
                        entries.try_update(|all| all.extend(page.entries));
                    } else {
                        entries.try_set(page.entries);
                    }
                    before.try_set(page.before);
                }
                Err(failed) => {
                    if !older {
                        entries.try_set(Vec::new());
                        before.try_set(None);
                    }
                    error.try_set(Some(failed));
                }
            }
            loading.try_set(false);
        });
    };
    load(false);

    let filter = move |ev: SubmitEvent| {
        ev.prevent_default();
        let from = hk_day_start(&from_text.get_untracked());
        let to = hk_day_end(&to_text.get_untracked());
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                error.set(Some(ApiError::validation(t_string!(
                    i18n,
                    compliance.range_backwards
                ))));
                return;
            }
        }
        range.set((from, to));
        load(false);
    };

    let name = move || {
        contacts.with(|all| {
            all.iter()
                .find_map(|c| c.name.clone())
                .or_else(|| all.first().map(|c| c.open_id.clone()))
                .unwrap_or_default()
        })
    };
    let timeline = move || {
        entries
            .get()
            .into_iter()
            .filter_map(|entry| entry_view(entry, now))
            .collect_view()
    };
    view! {
        <section class="card card-flush client-record" aria-labelledby="client-record-title">
            <header class="card-header client-record-header">
                <h2 id="client-record-title" class="card-title">{name}</h2>
                <ul class="client-contacts">
                    {move || {
                        contacts
                            .get()
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <li class="client-contact">
                                        <span class="client-contact-channel">{c.channel_name}</span>
                                        " · "
                                        <span class="mono">{c.open_id}</span>
                                        {c.union_id.map(|u| view! { " · unionid " <span class="mono">{u}</span> })}
                                        {c.phone.map(|p| view! { " · " {p} })}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </header>
            <form class="history-filter" on:submit=filter>
                <label class="history-filter-field">
                    <span class="field-label">{t!(i18n, compliance.from)}</span>
                    <input type="date" bind:value=from_text />
                </label>
                <label class="history-filter-field">
                    <span class="field-label">{t!(i18n, compliance.to)}</span>
                    <input type="date" bind:value=to_text />
                </label>
                <button type="submit" class="button">{t!(i18n, compliance.apply)}</button>
            </form>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.message()}</p> })}
            <ol class="message-list history-list" aria-label=move || t_string!(i18n, compliance.history)>
                {timeline}
            </ol>
            {move || {
                (!loading.get() && error.with(Option::is_none) && entries.with(Vec::is_empty))
                    .then(|| view! { <p class="history-empty" role="status">{t!(i18n, compliance.empty)}</p> })
            }}
            <div class="history-more">
                <p class="visually-hidden" role="status">
                    {move || loading.get().then(|| t_string!(i18n, compliance.loading))}
                </p>
                // The button stays (disabled while a page loads), so focus stays on it.
                {move || {
                    before.get().map(|_| {
                        view! {
                            <button
                                type="button"
                                class="button history-older"
                                disabled=move || loading.get()
                                on:click=move |_| load(true)
                            >
                                {t!(i18n, compliance.older)}
                            </button>
                        }
                    })
                }}
            </div>
        </section>
    }
}

/// One entry: a message, note or activity line as the inbox shows it, or
/// a quiet line for a read, an export or a failed delivery; `None` for
/// what the messages already say (a sent delivery, a kept file).
fn entry_view(entry: HistoryEntry, now: Signal<i64>) -> Option<AnyView> {
    if MESSAGE_KINDS.contains(&entry.kind.as_str()) {
        let message = entry.message?;
        let delivery = (message.status, message.error.clone());
        return Some(
            view! {
                <MessageItem
                    message=message
                    delivery=Signal::stored(delivery)
                    now=now
                    names=Signal::stored(Vec::new())
                />
            }
            .into_any(),
        );
    }
    let text = line_text(&entry)?;
    let at = entry.at;
    Some(
        view! {
            <li class="message activity history-line" data-kind=entry.kind.clone()>
                <span class="activity-text">{text}</span>
                <span aria-hidden="true">" · "</span>
                <time class="message-time" title=hk_date_time(at)>{move || hk_clock_or_date(at, now.get())}</time>
            </li>
        }
        .into_any(),
    )
}

/// What a non-message entry says, in the user's language.
fn line_text(entry: &HistoryEntry) -> Option<String> {
    let locale = crate::language::current_locale();
    let who = entry.actor_name.clone().unwrap_or_default();
    let detail = |key: &str| {
        entry
            .detail
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let text = match entry.kind.as_str() {
        kind if kind.starts_with("access.") => {
            let role = detail("role")
                .parse()
                .map(|role| format!(" ({})", crate::language::role_label(role)))
                .unwrap_or_default();
            format!(
                "{who}{role} {} · {}",
                crate::components::access_history::what(kind),
                detail("address")
            )
        }
        "conversation.viewed" => format!("{who} {}", td_string!(locale, access.conversation)),
        "contact.updated" => format!("{who} {}", td_string!(locale, compliance.contact_edited)),
        "export.finished" => td_string!(locale, compliance.export_ready_line).to_owned(),
        "export.failed" => td_string!(locale, compliance.export_failed_line).to_owned(),
        "message.status" => match detail("status").as_str() {
            "failed" => format!(
                "{} {}",
                td_string!(locale, compliance.delivery_failed),
                detail("error")
            ),
            "unknown" => td_string!(locale, compliance.delivery_unknown).to_owned(),
            _ => return None,
        },
        _ => return None,
    };
    Some(text.trim().to_owned())
}
