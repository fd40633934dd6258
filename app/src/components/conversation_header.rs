//! The top of an open conversation: who the contact is, the channel, team,
//! status, assignee and reply window; then the actions: claim, assign,
//! transfer, unassign, resolve or reopen, snooze, priority, labels, and the
//! contact panel toggle. `e` resolves and `a` opens the assign picker.
//! Where the header is too narrow for one row, the less-used actions
//! (transfer, snooze, priority, labels) sit behind a "More" menu.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{
    Colleague, ConversationAction, ConversationSummary, Priority, ReplyWindow, Status,
};
use shared::ConversationId;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::components::action_panels::{AssignPanel, LabelsPanel, SnoozePanel, TransferPanel};
use crate::components::conversation_row::status_word;
use crate::components::icon::{Icon, IconKind};
use crate::components::reply_window_summary::ReplyWindowSummary;
use crate::components::sla_badge::SlaBadge;
use crate::format::hk_date_time;
use crate::i18n::{t, t_string, use_i18n};
use crate::remote::RemoteValue;
use crate::shortcuts::Shortcut;
use crate::state::auth::AuthState;
use crate::state::inbox::{on_shortcut, InboxState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Panel {
    None,
    Assign,
    Transfer,
    Snooze,
    Labels,
}

#[component]
pub fn ConversationHeader(
    id: ConversationId,
    summary: RwSignal<Option<ConversationSummary>>,
    /// The contact's display name.
    contact: Signal<String>,
    window: RemoteValue<ReplyWindow>,
    colleagues: RwSignal<Vec<Colleague>>,
    read_only: Signal<bool>,
    now: Signal<i64>,
    /// Called with a sentence when an action took the conversation out of sight.
    on_gone: Callback<String>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let inbox = expect_context::<InboxState>();
    let i18n = use_i18n();
    let panel = RwSignal::new(Panel::None);
    let more_open = RwSignal::new(false);
    let more_button = NodeRef::<html::Button>::new();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    let field = move |f: fn(&ConversationSummary) -> String| summary.with(|s| s.as_ref().map(f));
    let assignee = move || summary.with(|s| s.as_ref().and_then(|s| s.assignee));
    let assignee_name = move || summary.with(|s| s.as_ref().and_then(|s| s.assignee_name.clone()));
    let status = move || {
        summary
            .with(|s| s.as_ref().map(|s| s.status))
            .unwrap_or(Status::Open)
    };
    let is_resolved = move || status() == Status::Resolved;
    let mine = move || {
        let me = auth.user().map(|u| u.id);
        me.is_some() && assignee() == me
    };

    let act = move |action: ConversationAction| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let transfer = matches!(action, ConversationAction::Transfer { .. });
        spawn_local(async move {
            let result = api::conversations::act(auth, id, action).await;
            busy.try_set(false);
            match result {
                Ok(Some(fresh)) => {
                    summary.try_set(Some(fresh));
                    panel.try_set(Panel::None);
                }
                Ok(None) => {
                    panel.try_set(Panel::None);
                    let sentence = if transfer {
                        t_string!(i18n, conversation.transferred_away)
                    } else {
                        t_string!(i18n, conversation.gone)
                    };
                    on_gone.run(sentence.to_owned());
                }
                Err(failure) => {
                    error.try_set(Some(failure));
                }
            }
        });
    };
    let on_action = Callback::new(act);
    let toggle = move |which: Panel| {
        more_open.set(false);
        panel.update(|p| *p = if *p == which { Panel::None } else { which });
    };
    // The menu closes when focus leaves it (a click elsewhere, Tab away).
    let on_more_focusout = move |ev: web_sys::FocusEvent| {
        let inside = match (
            ev.current_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok()),
            ev.related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok()),
        ) {
            (Some(menu), Some(to)) => menu.contains(Some(&to)),
            _ => false,
        };
        if !inside {
            more_open.set(false);
        }
    };
    // A click elsewhere closes it too (some browsers do not focus buttons on click).
    let outside = window_event_listener(leptos::ev::pointerdown, move |ev| {
        if !more_open.get_untracked() {
            return;
        }
        let in_menu = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest(".actions-more").ok().flatten())
            .is_some();
        if !in_menu {
            more_open.set(false);
        }
    });
    on_cleanup(move || outside.remove());

    on_shortcut(inbox, move |shortcut| {
        if read_only.get_untracked() {
            return;
        }
        match shortcut {
            Shortcut::Resolve if !is_resolved() => act(ConversationAction::Resolve),
            Shortcut::Assign => panel.set(Panel::Assign),
            Shortcut::Dismiss => {
                panel.set(Panel::None);
                if more_open.get_untracked() {
                    more_open.set(false);
                    if let Some(button) = more_button.get_untracked() {
                        let _ = button.focus();
                    }
                }
            }
            _ => {}
        }
    });

    let channel = move || field(|s| s.channel_name.clone());
    let team = move || summary.with(|s| s.as_ref().and_then(|s| s.team_name.clone()));
    let priority = move || {
        summary
            .with(|s| s.as_ref().map(|s| s.priority))
            .unwrap_or_default()
    };
    let snoozed_until = move || summary.with(|s| s.as_ref().and_then(|s| s.snoozed_until));
    let labels = Signal::derive(move || {
        summary.with(|s| s.as_ref().map(|s| s.labels.clone()).unwrap_or_default())
    });
    let current_team = Signal::derive(move || summary.with(|s| s.as_ref().and_then(|s| s.team)));
    let pressed = move |which: Panel| move || (panel.get() == which).to_string();

    view! {
        <header class="conversation-header">
            <div class="conversation-header-top">
                <a class="button button-ghost conversation-back" href="/inbox" aria-label=move || t_string!(i18n, conversation.back)>
                    <Icon kind=IconKind::Back />
                </a>
                <div class="conversation-heading">
                    <h2 id="conversation-title" class="conversation-title">
                        <span class="conversation-title-name">{move || contact.get()}</span>
                        {move || channel().map(|name| view! {
                            <span class="channel-badge"><span class="channel-badge-name">{name}</span></span>
                        })}
                    </h2>
                    <p class="conversation-facts">
                        {move || team().map(|t| view! { <span class="fact">{t}</span> })}
                        <span class="fact fact-assignee" data-assignee=move || assignee().map(|a| a.to_string())>
                            {move || match assignee_name() {
                                Some(name) => {
                                    view! { {t!(i18n, conversation.assigned_to, name = move || name.clone())} }
                                        .into_any()
                                }
                                None => view! { {t!(i18n, queue.unassigned)} }.into_any(),
                            }}
                        </span>
                        {move || status_word(status()).map(|word| {
                            let until = snoozed_until()
                                .map(|at| format!(" {} {}", t_string!(i18n, conversation.until), hk_date_time(at)))
                                .unwrap_or_default();
                            view! { <span class="status-chip" data-status=status().as_str()>{format!("{word}{until}")}</span> }
                        })}
                        {move || {
                            summary
                                .with(|s| s.as_ref().and_then(|s| s.sla.clone()))
                                .map(|sla| view! { <SlaBadge sla=sla now=now /> })
                        }}
                        // Those who can reply see the window above the composer.
                        <Show when=move || read_only.get()>
                            <ReplyWindowSummary window=window now=now />
                        </Show>
                    </p>
                </div>
                <button
                    type="button"
                    class="button button-ghost contact-toggle"
                    aria-pressed=move || inbox.contact_shown().to_string()
                    aria-controls="contact-panel"
                    on:click=move |_| inbox.toggle_contact()
                >
                    <Icon kind=IconKind::Users />
                    <span class="button-label">{t!(i18n, conversation.contact)}</span>
                </button>
            </div>
            <Show when=move || !read_only.get()>
                <div class="conversation-actions" role="toolbar" aria-label=move || t_string!(i18n, conversation.actions)>
                    <Show when=move || assignee().is_none()>
                        <button type="button" class="button button-primary button-small action-claim" disabled=busy on:click=move |_| act(ConversationAction::Claim)>
                            {t!(i18n, conversation.claim)}
                        </button>
                    </Show>
                    <button type="button" class="button button-small action-assign" aria-expanded=pressed(Panel::Assign) on:click=move |_| toggle(Panel::Assign)>
                        {t!(i18n, conversation.assign)}
                        <kbd class="kbd">"a"</kbd>
                    </button>
                    <Show when=move || assignee().is_some()>
                        <button type="button" class="button button-small action-unassign" disabled=busy on:click=move |_| act(ConversationAction::Unassign)>
                            {move || {
                                if mine() {
                                    t_string!(i18n, conversation.release)
                                } else {
                                    t_string!(i18n, conversation.unassign)
                                }
                            }}
                        </button>
                    </Show>
                    <Show
                        when=move || is_resolved() || status() == Status::Snoozed
                        fallback=move || view! {
                            <button type="button" class="button button-small action-resolve" disabled=busy on:click=move |_| act(ConversationAction::Resolve)>
                                {t!(i18n, conversation.resolve)}
                                <kbd class="kbd">"e"</kbd>
                            </button>
                        }
                    >
                        <button type="button" class="button button-small action-reopen" disabled=busy on:click=move |_| act(ConversationAction::Reopen)>
                            {t!(i18n, conversation.reopen)}
                        </button>
                    </Show>
                    // In the row when there is room (see conversation.css), else a menu.
                    <div class="actions-more" on:focusout=on_more_focusout>
                        <button
                            type="button"
                            class="button button-small more-toggle"
                            node_ref=more_button
                            aria-expanded=move || more_open.get().to_string()
                            aria-controls="more-actions"
                            on:click=move |_| more_open.update(|open| *open = !*open)
                        >
                            {t!(i18n, conversation.more)}
                            <Icon kind=IconKind::Chevron />
                        </button>
                        <div class="actions-secondary" id="more-actions" class:is-open=move || more_open.get()>
                            <button type="button" class="button button-small action-transfer" aria-expanded=pressed(Panel::Transfer) on:click=move |_| toggle(Panel::Transfer)>
                                {t!(i18n, conversation.transfer)}
                            </button>
                            <button type="button" class="button button-small action-snooze" aria-expanded=pressed(Panel::Snooze) on:click=move |_| toggle(Panel::Snooze)>
                                {t!(i18n, conversation.snooze)}
                            </button>
                            <label class="visually-hidden" for="priority-select">{t!(i18n, conversation.priority)}</label>
                            <select
                                id="priority-select"
                                class="select-compact priority-select"
                                data-priority=move || priority().as_str()
                                on:change=move |ev| {
                                    more_open.set(false);
                                    act(ConversationAction::Priority { priority: event_target_value(&ev) });
                                }
                            >
                                {Priority::ALL
                                    .iter()
                                    .map(|&p| {
                                        let label = move || match p {
                                            Priority::Low => t_string!(i18n, priority.low),
                                            Priority::Normal => t_string!(i18n, priority.normal),
                                            Priority::High => t_string!(i18n, priority.high),
                                            Priority::Urgent => t_string!(i18n, priority.urgent),
                                        };
                                        view! { <option value=p.as_str() selected=move || priority() == p>{label}</option> }
                                    })
                                    .collect_view()}
                            </select>
                            <button type="button" class="button button-small action-labels" aria-expanded=pressed(Panel::Labels) on:click=move |_| toggle(Panel::Labels)>
                                {move || match labels.with(Vec::len) {
                                    0 => t_string!(i18n, conversation.labels).to_owned(),
                                    n => format!("{} ({n})", t_string!(i18n, conversation.labels)),
                                }}
                            </button>
                        </div>
                    </div>
                </div>
            </Show>
            {move || match panel.get() {
                Panel::None => ().into_any(),
                Panel::Assign => view! {
                    <AssignPanel colleagues=colleagues.into() current=Signal::derive(assignee) on_action=on_action />
                }.into_any(),
                Panel::Transfer => view! {
                    <TransferPanel colleagues=colleagues.into() current_team=current_team on_action=on_action />
                }.into_any(),
                Panel::Snooze => view! { <SnoozePanel on_action=on_action /> }.into_any(),
                Panel::Labels => view! { <LabelsPanel labels=labels on_action=on_action /> }.into_any(),
            }}
            {move || error.get().map(|e| view! {
                <p class="form-error header-error" role="alert" data-code=e.code_str()>
                    {e.message().to_owned()}
                    <button type="button" class="button-link" on:click=move |_| error.set(None)>{t!(i18n, inbox.dismiss)}</button>
                </p>
            })}
        </header>
    }
}
