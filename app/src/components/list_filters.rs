//! Above the conversation list: the sort (longest waiting or latest
//! activity) and the filters (status, label, channel).

use leptos::prelude::*;
use shared::api::Status;
use shared::ChannelId;

use crate::components::form_field::{FieldSet, FormField};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::queues::Sort;
use crate::state::inbox::InboxState;

fn status_label(status: Status) -> &'static str {
    let locale = crate::language::current_locale();
    match status {
        Status::Open => td_string!(locale, status.open),
        Status::Pending => td_string!(locale, status.pending),
        Status::Snoozed => td_string!(locale, status.snoozed),
        Status::Resolved => td_string!(locale, status.resolved),
    }
}

#[component]
pub fn ListFilters(
    /// Channels seen so far, as (id, name), to filter by.
    channels: Signal<Vec<(ChannelId, String)>>,
) -> impl IntoView {
    let inbox = expect_context::<InboxState>();
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let label_draft = RwSignal::new(String::new());
    let active = move || {
        inbox.filters.with(|f| {
            let default = crate::queues::Filters::default();
            usize::from(f.statuses != default.statuses)
                + usize::from(f.label.is_some())
                + usize::from(f.channel.is_some())
        })
    };
    let toggle_status = move |status: &'static str, on: bool| {
        inbox.filters.update(|f| {
            f.statuses.retain(|s| s != status);
            if on {
                f.statuses.push(status.to_owned());
            }
            if f.statuses.is_empty() {
                f.statuses = crate::queues::Filters::default().statuses;
            }
        });
    };
    let apply_label = move || {
        let label = label_draft.get_untracked().trim().to_owned();
        inbox
            .filters
            .update(|f| f.label = (!label.is_empty()).then_some(label));
    };

    view! {
        <div class="list-filters">
            <div class="list-filters-bar">
                <FormField control="list-sort" label=move || t_string!(i18n, filters.sort) label_hidden=true bare=true>
                    <select
                        id="list-sort"
                        class="select-compact"
                        on:change=move |ev| {
                            inbox.choose_sort(if event_target_value(&ev) == "waiting" { Sort::Waiting } else { Sort::Activity });
                        }
                    >
                        <option value="waiting" selected=move || inbox.sort.get() == Sort::Waiting>{t!(i18n, filters.longest_waiting)}</option>
                        <option value="activity" selected=move || inbox.sort.get() == Sort::Activity>{t!(i18n, filters.latest_activity)}</option>
                    </select>
                </FormField>
                <button
                    type="button"
                    class="button button-ghost button-small filter-toggle"
                    aria-expanded=move || open.get().to_string()
                    aria-controls="list-filter-panel"
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {t!(i18n, filters.filter)}
                    {move || (active() > 0).then(|| view! { <span class="filter-count">{active()}</span> })}
                </button>
            </div>
            <Show when=move || open.get()>
                <div class="list-filter-panel" id="list-filter-panel">
                    <FieldSet class="filter-group" legend=move || t_string!(i18n, filters.status)>
                        {Status::ALL
                            .iter()
                            .map(|&status| {
                                let word = status.as_str();
                                let checked = move || inbox.filters.with(|f| f.statuses.iter().any(|s| s == word));
                                view! {
                                    <label class="checkbox">
                                        <input
                                            type="checkbox"
                                            name="status"
                                            value=word
                                            prop:checked=checked
                                            on:change=move |ev| toggle_status(word, event_target_checked(&ev))
                                        />
                                        <span>{move || status_label(status)}</span>
                                    </label>
                                }
                            })
                            .collect_view()}
                    </FieldSet>
                    <form
                        class="filter-group filter-label"
                        on:submit=move |ev| {
                            ev.prevent_default();
                            apply_label();
                        }
                    >
                        <FormField control="filter-label" label=move || t_string!(i18n, filters.label) bare=true>
                            <input
                                type="text"
                                id="filter-label"
                                placeholder=move || t_string!(i18n, filters.label_example)
                                prop:value=move || label_draft.get()
                                on:input=move |ev| label_draft.set(event_target_value(&ev))
                                on:change=move |_| apply_label()
                            />
                        </FormField>
                    </form>
                    <div class="filter-group">
                        <FormField control="filter-channel" label=move || t_string!(i18n, filters.channel) bare=true>
                            <select
                                id="filter-channel"
                                on:change=move |ev| {
                                    // "Every channel" has no id.
                                    let channel = event_target_value(&ev).parse::<ChannelId>().ok();
                                    inbox.filters.update(|f| f.channel = channel);
                                }
                            >
                                <option value="">{t!(i18n, filters.every_channel)}</option>
                                {move || {
                                    let chosen = inbox.filters.with(|f| f.channel);
                                    channels
                                        .get()
                                        .into_iter()
                                        .map(|(id, name)| {
                                            let selected = chosen == Some(id);
                                            view! { <option value=id.to_string() selected=selected>{name}</option> }
                                        })
                                        .collect_view()
                                }}
                            </select>
                        </FormField>
                    </div>
                    <button
                        type="button"
                        class="button button-link"
                        on:click=move |_| {
                            label_draft.set(String::new());
                            inbox.filters.set(crate::queues::Filters::default());
                        }
                    >
                        {t!(i18n, filters.clear)}
                    </button>
                </div>
            </Show>
        </div>
    }
}
