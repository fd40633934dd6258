//! The conversation list pane: one queue, sorted and filtered, virtualised
//! (only the rows on screen are in the page) and fetched a page at a time
//! as the agent scrolls. Live events update rows in place; while the
//! pointer is over the list or the agent has scrolled down it, moves (and
//! reloads) wait behind an "N updates" pill so nothing jumps under the
//! cursor or out of view. Rows can be ticked for bulk actions.

mod list_state;
mod live_updates;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::api::ConversationSummary;
use shared::{ChannelId, ConversationId};

use crate::components::bulk_bar::BulkBar;
use crate::components::conversation_row::ConversationRow;
use crate::components::empty_state::EmptyState;
use crate::components::error_state::ErrorState;
use crate::components::icon::IconKind;
use crate::components::list_filters::ListFilters;
use crate::components::queue_nav::{queue_name, QueueSelect};
use crate::components::skeleton_rows::SkeletonRows;
use crate::i18n::td_string;
use crate::queues::{Filters, Queue};
use crate::remote::LoadStatus;
use crate::shortcuts::{step, Shortcut};
use crate::size_observer::observe_height;
use crate::state::auth::AuthState;
use crate::state::inbox::{on_shortcut, InboxState};
use crate::state::live::LiveState;
use crate::virtual_window::{scroll_to_show, visible_rows, wants_next_page};
use list_state::ListState;
use live_updates::follow_live_updates;

/// Every row is this tall (`--row-height` in inbox.css says the same).
pub const ROW_HEIGHT: f64 = 76.0;
/// Changes when anything shown in the row changes, so only that row redraws.
fn row_key(c: &ConversationSummary) -> (ConversationId, u64) {
    let mut hasher = DefaultHasher::new();
    (
        &c.last_message_at,
        &c.preview,
        &c.waiting_since,
        &c.contact_name,
        &c.unread,
        &c.assignee_name,
        &c.priority,
        &c.labels,
        &c.status,
        &c.channel_name,
    )
        .hash(&mut hasher);
    (c.id, hasher.finish())
}

fn empty_sentence(queue: Queue, filtered: bool) -> &'static str {
    let locale = crate::language::current_locale();
    if filtered {
        return td_string!(locale, list.empty_filtered);
    }
    match queue {
        Queue::Mine => td_string!(locale, list.empty_mine),
        Queue::Unassigned => td_string!(locale, list.empty_unassigned),
        Queue::Mentions => td_string!(locale, list.empty_mentions),
        Queue::Team(_) | Queue::All => td_string!(locale, list.empty_team),
    }
}

#[component]
pub fn ConversationList(
    selected: Signal<Option<ConversationId>>,
    now: Signal<i64>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let inbox = expect_context::<InboxState>();
    let navigate = use_navigate();

    let list = ListState::new(auth, inbox);
    let checked = RwSignal::new(HashSet::<ConversationId>::new());
    let channels = RwSignal::new(BTreeMap::<ChannelId, String>::new());
    let viewport = RwSignal::new(720.0_f64);
    observe_height(list.scroller, viewport);
    // A press anywhere else means the pointer has left the list, even where
    // the browser sent no `pointerleave` (WebKitGTK under a WebDriver).
    let pressed_elsewhere = window_event_listener(leptos::ev::pointerdown, move |ev| {
        use wasm_bindgen::JsCast;
        let in_list = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest(".list-scroller").ok().flatten())
            .is_some();
        if !in_list && list.hovering.get_value() {
            list.hovering.set_value(false);
            if !list.holding() {
                list.catch_up();
            }
        }
    });
    on_cleanup(move || pressed_elsewhere.remove());

    // Channels seen so far, to filter by (agents cannot list channels).
    Effect::new(move |_| {
        list.items.with(|items| {
            let unseen: Vec<(ChannelId, String)> = channels.with_untracked(|known| {
                items
                    .iter()
                    .filter(|c| !known.contains_key(&c.channel_id))
                    .map(|c| (c.channel_id, c.channel_name.clone()))
                    .collect()
            });
            if !unseen.is_empty() {
                channels.update(|known| known.extend(unseen));
            }
        });
    });

    Effect::new(move |_| {
        list.query.track();
        checked.set(HashSet::new());
        list.load_first(true);
    });
    let range = Memo::new(move |_| {
        visible_rows(
            list.scroll_top.get(),
            viewport.get(),
            ROW_HEIGHT,
            list.items.with(Vec::len),
        )
    });
    Effect::new(move |_| {
        let drawn = range.get();
        let loaded = list.items.with(Vec::len);
        if list.status.get() == LoadStatus::Ready
            && wants_next_page(&drawn, loaded, list.next.with(Option::is_some))
        {
            list.load_more();
        }
    });
    follow_live_updates(list, auth, live);

    // j / k: open the next or previous conversation, keeping it in view.
    on_shortcut(inbox, move |shortcut| {
        let forward = match shortcut {
            Shortcut::NextConversation => true,
            Shortcut::PreviousConversation => false,
            _ => return,
        };
        let current = selected.get_untracked();
        let (target, index) = list.items.with_untracked(|items| {
            let at = current.and_then(|id| items.iter().position(|c| c.id == id));
            let index = step(at, items.len(), forward);
            (index.map(|i| items[i].id), index)
        });
        if let (Some(id), Some(index)) = (target, index) {
            if let Some(element) = list.scroller.get_untracked() {
                let top = f64::from(element.scroll_top());
                if let Some(to) = scroll_to_show(index, top, viewport.get_untracked(), ROW_HEIGHT) {
                    element.set_scroll_top(to as i32);
                }
            }
            navigate(&format!("/inbox/{id}"), NavigateOptions::default());
        }
    });

    let channel_list = Signal::derive(move || {
        channels.with(|c| c.iter().map(|(id, name)| (*id, name.clone())).collect())
    });

    view! {
        <section class="inbox-pane inbox-list" aria-labelledby="conversations-title">
            <ListHeader list=list />
            <QueueSelect />
            <ListFilters channels=channel_list />
            <BulkBar checked=checked />
            <div
                class="pane-body list-scroller"
                node_ref=list.scroller
                on:scroll=move |_| {
                    if let Some(element) = list.scroller.get_untracked() {
                        let top = f64::from(element.scroll_top());
                        list.scroll_top.set(top);
                        if !list.holding() {
                            list.catch_up();
                        }
                    }
                }
                on:pointerenter=move |_| list.hovering.set_value(true)
                on:pointerleave=move |_| {
                    list.hovering.set_value(false);
                    if !list.holding() {
                        list.catch_up();
                    }
                }
            >
                <ListBody list=list range=range selected=selected checked=checked now=now />
                {move || list.loading_more.get().then(|| view! { <p class="list-more" role="status">{move || td_string!(crate::language::current_locale(), list.loading_more)}</p> })}
            </div>
            <UpdatesPill list=list />
        </section>
    }
}

/// The queue's name, how many conversations it holds and how many wait.
#[component]
fn ListHeader(list: ListState) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let inbox = expect_context::<InboxState>();
    let title = move || queue_name(inbox.queue.get(), auth.user().as_ref());
    let count = move || {
        (list.status.get() == LoadStatus::Ready).then(|| {
            let n = crate::format::count(list.items.with(Vec::len));
            if list.next.with(Option::is_some) {
                format!("{n}+")
            } else {
                n
            }
        })
    };
    let waiting = move || {
        let n = list
            .items
            .with(|items| items.iter().filter(|c| c.waiting_since.is_some()).count());
        (n > 0).then(|| {
            let locale = crate::language::current_locale();
            format!(
                "{}{}{}",
                td_string!(locale, list.waiting_before),
                crate::format::count(n),
                td_string!(locale, list.waiting_after)
            )
        })
    };
    view! {
        <header class="pane-header">
            <h2 id="conversations-title" class="pane-title">
                <span class="pane-title-text">{title}</span>
                {move || count().map(|n| view! { <span class="pane-count">{n}</span> })}
            </h2>
            <span class="pane-meta">{waiting}</span>
        </header>
    }
}

/// Skeleton rows, the error, the empty sentence, or the rows on screen.
#[component]
fn ListBody(
    list: ListState,
    range: Memo<std::ops::Range<usize>>,
    selected: Signal<Option<ConversationId>>,
    checked: RwSignal<HashSet<ConversationId>>,
    now: Signal<i64>,
) -> impl IntoView {
    let inbox = expect_context::<InboxState>();
    let items = list.items;
    let visible = move || {
        let drawn = range.get();
        items.with(|items| {
            items
                .get(drawn)
                .map(<[ConversationSummary]>::to_vec)
                .unwrap_or_default()
        })
    };
    let filtered = move || inbox.filters.with(|f| *f != Filters::default());
    let total_height = move || format!("{}px", items.with(Vec::len) as f64 * ROW_HEIGHT);
    let offset = move || format!("translateY({}px)", range.get().start as f64 * ROW_HEIGHT);
    move || {
        match list.status.get() {
        LoadStatus::Loading => {
            view! { <SkeletonRows rows=8 label=move || td_string!(crate::language::current_locale(), list.loading) /> }.into_any()
        }
        LoadStatus::Failed(error) => {
            view! { <ErrorState error=error on_retry=Callback::new(move |()| list.load_first(true)) /> }.into_any()
        }
        LoadStatus::Ready => {
            view! {
                <Show
                    when=move || items.with(|items| !items.is_empty())
                    fallback=move || {
                        view! {
                            <EmptyState
                                icon=IconKind::Message
                                message=empty_sentence(inbox.queue.get_untracked(), filtered())
                            />
                        }
                    }
                >
                    // Positioned with inline sizes: only the rows on screen exist.
                    <div class="list-spacer" style:height=total_height>
                        <ul class="conversation-list" aria-label=move || td_string!(crate::language::current_locale(), list.conversations) style:transform=offset>
                            <For
                                each=visible
                                key=row_key
                                children=move |conversation| {
                                    view! {
                                        <ConversationRow
                                            conversation=conversation
                                            selected=selected
                                            checked=checked
                                            now=now
                                        />
                                    }
                                }
                            />
                        </ul>
                    </div>
                </Show>
            }
                .into_any()
        }
    }
    }
}

/// "N updates · Show": what was held back, and the top of the list, where it lands.
#[component]
fn UpdatesPill(list: ListState) -> impl IntoView {
    let show_updates = move || {
        list.scroll_top.set(0.0);
        if let Some(element) = list.scroller.get_untracked() {
            element.set_scroll_top(0);
        }
        list.catch_up();
    };
    move || {
        let n = list.pending.with(HashMap::len);
        let locale = crate::language::current_locale();
        let text = match (n, list.stale.get()) {
            (0, false) => return None,
            (0, true) => td_string!(locale, list.new_activity).to_owned(),
            (1, _) => td_string!(locale, list.one_update).to_owned(),
            (n, _) => format!("{n}{}", td_string!(locale, list.updates_suffix)),
        };
        Some(view! {
            <button type="button" class="updates-pill" on:click=move |_| show_updates()>
                {text}
                {td_string!(locale, list.show)}
            </button>
        })
    }
}
