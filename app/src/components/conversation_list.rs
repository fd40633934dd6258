//! The conversation list pane: one queue, sorted and filtered, virtualised
//! (only the rows on screen are in the page) and fetched a page at a time
//! as the agent scrolls. Live events update rows in place; while the
//! pointer is over the list or the agent has scrolled down it, moves (and
//! reloads) wait behind an "N updates" pill so nothing jumps under the
//! cursor or out of view. Rows can be ticked for bulk actions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::api::ConversationSummary;

use crate::api;
use crate::components::bulk_bar::BulkBar;
use crate::components::conversation_row::ConversationRow;
use crate::components::empty_state::EmptyState;
use crate::components::error_state::ErrorState;
use crate::components::icon::IconKind;
use crate::components::list_filters::ListFilters;
use crate::components::queue_nav::{queue_name, QueueSelect};
use crate::components::skeleton_rows::SkeletonRows;
use crate::debounce::Debounce;
use crate::queues::{place, stays_in_place, Filters, Queue};
use crate::remote::LoadStatus;
use crate::shortcuts::{step, Shortcut};
use crate::size_observer::observe_height;
use crate::state::auth::AuthState;
use crate::state::inbox::{on_shortcut, InboxState};
use crate::state::live::LiveState;
use crate::state::message_events::{watch_conversation_events, Touched};
use crate::virtual_window::{scroll_to_show, visible_rows, wants_next_page};

/// Every row is this tall (`--row-height` in inbox.css says the same).
pub const ROW_HEIGHT: f64 = 76.0;
/// Conversations fetched per page.
const PAGE: usize = 200;

/// Changes when anything shown in the row changes, so only that row redraws.
fn row_key(c: &ConversationSummary) -> (String, u64) {
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
    (c.id.clone(), hasher.finish())
}

fn empty_sentence(queue: Queue, filtered: bool) -> &'static str {
    if filtered {
        return "Nothing matches these filters. Clear them to see the whole queue.";
    }
    match queue {
        Queue::Mine => "Nothing is assigned to you. Claim a conversation from Unassigned.",
        Queue::Unassigned => "No conversations waiting. New WeChat messages land here.",
        Queue::Mentions => "No one has mentioned you in a note yet.",
        Queue::Team(_) | Queue::All => {
            "No open conversations here. New WeChat messages land in Unassigned."
        }
    }
}

#[component]
pub fn ConversationList(selected: Signal<Option<String>>, now: Signal<i64>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let inbox = expect_context::<InboxState>();
    let navigate = use_navigate();

    let items = RwSignal::new(Vec::<ConversationSummary>::new());
    let status = RwSignal::new(LoadStatus::Loading);
    let next = RwSignal::new(None::<String>);
    let loading_more = RwSignal::new(false);
    let generation = StoredValue::new(0_u64);
    let query = Memo::new(move |_| inbox.list_query());
    let checked = RwSignal::new(HashSet::<String>::new());
    let hovering = StoredValue::new(false);
    let pending = RwSignal::new(HashMap::<String, Option<ConversationSummary>>::new());
    // Changes the app cannot place itself (a reload is due) while holding.
    let stale = RwSignal::new(false);
    let channels = RwSignal::new(BTreeMap::<String, String>::new());

    let scroller = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(720.0_f64);
    observe_height(scroller, viewport);

    // Channels seen so far, to filter by (agents cannot list channels).
    Effect::new(move |_| {
        items.with(|list| {
            let unseen: Vec<(String, String)> = channels.with_untracked(|known| {
                list.iter()
                    .filter(|c| !known.contains_key(&c.channel_id))
                    .map(|c| (c.channel_id.clone(), c.channel_name.clone()))
                    .collect()
            });
            if !unseen.is_empty() {
                channels.update(|known| known.extend(unseen));
            }
        });
    });

    let load_first = move |fresh: bool| {
        let number = generation.get_value() + 1;
        generation.set_value(number);
        if fresh {
            status.set(LoadStatus::Loading);
            items.set(Vec::new());
            pending.set(HashMap::new());
            if let Some(element) = scroller.get_untracked() {
                element.set_scroll_top(0);
            }
            scroll_top.set(0.0);
        }
        let q = query.get_untracked();
        spawn_local(async move {
            let result = api::conversations::page(auth, q, PAGE, None).await;
            if generation.try_get_value() != Some(number) {
                return;
            }
            match result {
                Ok(page) => {
                    items.try_set(page.conversations);
                    next.try_set(page.next);
                    pending.try_set(HashMap::new());
                    stale.try_set(false);
                    status.try_set(LoadStatus::Ready);
                }
                Err(error) => {
                    if status.get_untracked() != LoadStatus::Ready {
                        status.try_set(LoadStatus::Failed(error));
                    }
                }
            }
        });
    };
    Effect::new(move |_| {
        query.track();
        checked.set(HashSet::new());
        load_first(true);
    });

    let load_more = move || {
        if loading_more.get_untracked() {
            return;
        }
        let Some(after) = next.get_untracked() else {
            return;
        };
        loading_more.set(true);
        let number = generation.get_value();
        let q = query.get_untracked();
        spawn_local(async move {
            let result = api::conversations::page(auth, q, PAGE, Some(after)).await;
            loading_more.try_set(false);
            if generation.try_get_value() != Some(number) {
                return;
            }
            if let Ok(page) = result {
                items.update(|list| {
                    let known: HashSet<String> = list.iter().map(|c| c.id.clone()).collect();
                    list.extend(
                        page.conversations
                            .into_iter()
                            .filter(|c| !known.contains(&c.id)),
                    );
                });
                next.set(page.next);
            }
        });
    };

    let range = Memo::new(move |_| {
        visible_rows(
            scroll_top.get(),
            viewport.get(),
            ROW_HEIGHT,
            items.with(Vec::len),
        )
    });
    Effect::new(move |_| {
        let drawn = range.get();
        let loaded = items.with(Vec::len);
        if status.get() == LoadStatus::Ready
            && wants_next_page(&drawn, loaded, next.with(Option::is_some))
        {
            load_more();
        }
    });
    let visible = move || {
        let drawn = range.get();
        items.with(|list| {
            list.get(drawn)
                .map(<[ConversationSummary]>::to_vec)
                .unwrap_or_default()
        })
    };

    // Moving rows now would shift what the agent is reading or pointing at.
    let holding = move || hovering.get_value() || scroll_top.get_untracked() > 0.0;
    let reload = Debounce::new(400);
    // A reload brings back the first page only: deep in the list, wait.
    let refresh = move || {
        if holding() {
            stale.set(true);
        } else {
            load_first(false);
        }
    };
    let apply_change = move |id: String, summary: Option<ConversationSummary>| {
        let Some(me) = auth.user_untracked().map(|u| u.id) else {
            return;
        };
        let q = query.get_untracked();
        let index = items.with_untracked(|list| list.iter().position(|c| c.id == id));
        let admitted = match summary {
            Some(s) => match q.admits(&s, me) {
                Some(true) => Some(s),
                Some(false) => None,
                // Only the server knows who is mentioned: ask it again.
                None if index.is_none() => {
                    reload.call(refresh);
                    return;
                }
                None => Some(s),
            },
            None => None,
        };
        let complete = next.with_untracked(Option::is_none);
        if !holding() {
            items.update(|list| {
                place(list, &id, admitted, q.sort, complete);
            });
            return;
        }
        match (index, admitted) {
            (Some(i), Some(s)) => {
                let still = items.with_untracked(|list| stays_in_place(list, i, &s, q.sort));
                items.update(|list| list[i] = s.clone());
                if !still {
                    pending.update(|p| {
                        p.insert(id, Some(s));
                    });
                }
            }
            (Some(_), None) => pending.update(|p| {
                p.insert(id, None);
            }),
            (None, Some(s)) => pending.update(|p| {
                p.insert(id, Some(s));
            }),
            (None, None) => {}
        }
    };
    let apply_pending = move || {
        if pending.try_with_untracked(HashMap::is_empty) != Some(false) {
            return;
        }
        let changes = pending.try_update(std::mem::take).unwrap_or_default();
        let sort = query.get_untracked().sort;
        let complete = next.with_untracked(Option::is_none);
        items.update(|list| {
            for (id, change) in changes {
                place(list, &id, change, sort, complete);
            }
        });
    };
    // Everything held back, now.
    let catch_up = move || {
        apply_pending();
        if stale.get_untracked() {
            load_first(false);
        }
    };

    let touched_ids = StoredValue::new(HashSet::<String>::new());
    let fetch_touched = move || {
        let ids: Vec<String> = touched_ids
            .try_update_value(|ids| ids.drain().collect())
            .unwrap_or_default();
        let number = generation.get_value();
        spawn_local(async move {
            let fetches = ids.into_iter().map(|id| async move {
                let result = api::conversations::one(auth, id.clone()).await;
                (id, result)
            });
            let results = futures::future::join_all(fetches).await;
            if generation.try_get_value() != Some(number) {
                return;
            }
            for (id, result) in results {
                if let Ok(summary) = result {
                    apply_change(id, summary);
                }
            }
        });
    };
    let fetch = Debounce::new(200);
    watch_conversation_events(live, move |touched| match touched {
        Touched::Any => reload.call(refresh),
        Touched::These(ids) => {
            touched_ids.update_value(|known| known.extend(ids));
            fetch.call(fetch_touched);
        }
    });

    // A contact renamed (here or by a colleague) renames their rows.
    let contacts_seen = StoredValue::new(live.last_seq());
    Effect::new(move |_| {
        let contacts: Vec<String> = live.recent.with(|recent| {
            let since = contacts_seen.get_value();
            if let Some(newest) = recent.front().map(|e| e.seq) {
                contacts_seen.set_value(newest);
            }
            recent
                .iter()
                .take_while(|e| e.seq > since)
                .filter(|e| e.kind == "contact.updated")
                .filter_map(|e| e.payload.get("contact")?.as_str().map(str::to_owned))
                .collect()
        });
        if contacts.is_empty() {
            return;
        }
        let ids: Vec<String> = items.with_untracked(|list| {
            list.iter()
                .filter(|c| contacts.contains(&c.contact_id))
                .map(|c| c.id.clone())
                .collect()
        });
        if !ids.is_empty() {
            touched_ids.update_value(|known| known.extend(ids));
            fetch.call(fetch_touched);
        }
    });

    // j / k: open the next or previous conversation, keeping it in view.
    on_shortcut(inbox, move |shortcut| {
        let forward = match shortcut {
            Shortcut::NextConversation => true,
            Shortcut::PreviousConversation => false,
            _ => return,
        };
        let current = selected.get_untracked();
        let (target, index) = items.with_untracked(|list| {
            let at = current
                .as_ref()
                .and_then(|id| list.iter().position(|c| &c.id == id));
            let index = step(at, list.len(), forward);
            (index.map(|i| list[i].id.clone()), index)
        });
        if let (Some(id), Some(index)) = (target, index) {
            if let Some(element) = scroller.get_untracked() {
                let top = f64::from(element.scroll_top());
                if let Some(to) = scroll_to_show(index, top, viewport.get_untracked(), ROW_HEIGHT) {
                    element.set_scroll_top(to as i32);
                }
            }
            let href = format!("/inbox/{}", String::from(js_sys::encode_uri_component(&id)));
            navigate(&href, NavigateOptions::default());
        }
    });

    // The pill: the updates in place, and the top of the list, where they land.
    let show_updates = move || {
        scroll_top.set(0.0);
        if let Some(element) = scroller.get_untracked() {
            element.set_scroll_top(0);
        }
        catch_up();
    };

    let title = move || queue_name(inbox.queue.get(), auth.user().as_ref());
    let count = move || {
        (status.get() == LoadStatus::Ready).then(|| {
            let n = crate::format::count(items.with(Vec::len));
            if next.with(Option::is_some) {
                format!("{n}+")
            } else {
                n
            }
        })
    };
    let waiting = move || {
        let n = items.with(|items| items.iter().filter(|c| c.waiting_since.is_some()).count());
        (n > 0).then(|| format!("{} waiting", crate::format::count(n)))
    };
    let filtered = move || inbox.filters.with(|f| *f != Filters::default());
    let total_height = move || format!("{}px", items.with(Vec::len) as f64 * ROW_HEIGHT);
    let offset = move || format!("translateY({}px)", range.get().start as f64 * ROW_HEIGHT);
    let channel_list = Signal::derive(move || {
        channels.with(|c| {
            c.iter()
                .map(|(id, name)| (id.clone(), name.clone()))
                .collect()
        })
    });

    view! {
        <section class="inbox-pane inbox-list" aria-labelledby="conversations-title">
            <header class="pane-header">
                <h2 id="conversations-title" class="pane-title">
                    <span class="pane-title-text">{title}</span>
                    {move || count().map(|n| view! { <span class="pane-count">{n}</span> })}
                </h2>
                <span class="pane-meta">{waiting}</span>
            </header>
            <QueueSelect />
            <ListFilters channels=channel_list />
            <BulkBar checked=checked />
            <div
                class="pane-body list-scroller"
                node_ref=scroller
                on:scroll=move |_| {
                    if let Some(element) = scroller.get_untracked() {
                        let top = f64::from(element.scroll_top());
                        scroll_top.set(top);
                        if !holding() {
                            catch_up();
                        }
                    }
                }
                on:pointerenter=move |_| hovering.set_value(true)
                on:pointerleave=move |_| {
                    hovering.set_value(false);
                    if !holding() {
                        catch_up();
                    }
                }
            >
                {move || match status.get() {
                    LoadStatus::Loading => {
                        view! { <SkeletonRows rows=8 label="Loading conversations…" /> }.into_any()
                    }
                    LoadStatus::Failed(error) => {
                        view! { <ErrorState error=error on_retry=Callback::new(move |()| load_first(true)) /> }.into_any()
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
                                    <ul class="conversation-list" aria-label="Conversations" style:transform=offset>
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
                }}
                {move || loading_more.get().then(|| view! { <p class="list-more" role="status">"Loading more conversations…"</p> })}
            </div>
            {move || {
                let n = pending.with(HashMap::len);
                let text = match (n, stale.get()) {
                    (0, false) => return None,
                    (0, true) => "New activity".to_owned(),
                    (1, _) => "1 update".to_owned(),
                    (n, _) => format!("{n} updates"),
                };
                Some(view! {
                    <button type="button" class="updates-pill" on:click=move |_| show_updates()>
                        {text}
                        " · Show"
                    </button>
                })
            }}
        </section>
    }
}
