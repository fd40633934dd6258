//! The inbox's queues: Mine, Unassigned, one per team, All (for those who
//! see beyond their own work) and Mentions, with counts. A list in the
//! side navigation on desktops; a select above the list on tablets and phones.

use leptos::prelude::*;
use shared::api::User;
use shared::Role;

use crate::i18n::{t, td_string, use_i18n};
use crate::language::current_locale;
use crate::queues::Queue;
use crate::state::auth::AuthState;
use crate::state::inbox::InboxState;

/// A queue's name in the user's language (a team's own name follows it).
fn generic_name(queue: Queue) -> &'static str {
    let locale = current_locale();
    match queue {
        Queue::Mine => td_string!(locale, queue.mine),
        Queue::Unassigned => td_string!(locale, queue.unassigned),
        Queue::Team(_) => td_string!(locale, queue.team),
        Queue::All => td_string!(locale, queue.all),
        Queue::Mentions => td_string!(locale, queue.mentions),
    }
}

/// The queues this person has, with their names.
pub fn queues_for(user: &User) -> Vec<(Queue, String)> {
    let named = |queue: Queue| (queue, generic_name(queue).to_owned());
    let mut queues = vec![named(Queue::Mine), named(Queue::Unassigned)];
    for team in &user.teams {
        let queue = Queue::Team(team.id);
        queues.push((queue, format!("{} · {}", generic_name(queue), team.name)));
    }
    if user.role != Role::Agent || user.teams.is_empty() {
        queues.push(named(Queue::All));
    }
    queues.push(named(Queue::Mentions));
    queues
}

/// The name of a queue for headings.
pub fn queue_name(queue: Queue, user: Option<&User>) -> String {
    user.and_then(|u| {
        queues_for(u)
            .into_iter()
            .find(|(q, _)| *q == queue)
            .map(|(_, name)| name)
    })
    .unwrap_or_else(|| generic_name(queue).to_owned())
}

#[component]
pub fn QueueNav() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let inbox = expect_context::<InboxState>();
    let queues = move || auth.user().map(|u| queues_for(&u)).unwrap_or_default();
    view! {
        <div class="queue-nav">
            <p class="nav-section" id="nav-queues-heading">{t!(i18n, queue.heading)}</p>
            <ul class="nav-list" aria-labelledby="nav-queues-heading">
                <For
                    each=queues
                    key=|(queue, name)| (queue.key(), name.clone())
                    children=move |(queue, name)| {
                        let current = move || inbox.queue.get() == queue;
                        let count = move || inbox.count(queue).and_then(|c| c.label());
                        let unread = move || inbox.count(queue).is_some_and(|c| c.unread > 0);
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="queue-link"
                                    data-queue=queue.key()
                                    aria-current=move || current().then_some("true")
                                    on:click=move |_| inbox.choose_queue(queue)
                                >
                                    <span class="queue-name">{name}</span>
                                    {move || count().map(|n| view! {
                                        <span class="queue-count" class:has-unread=unread>{n}</span>
                                    })}
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </div>
    }
}

/// The same queues as a select, for narrow screens.
#[component]
pub fn QueueSelect() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let inbox = expect_context::<InboxState>();
    let options = move || {
        auth.user()
            .map(|u| queues_for(&u))
            .unwrap_or_default()
            .into_iter()
            .map(|(queue, name)| {
                let count = inbox.count(queue).and_then(|c| c.label());
                let text = match count {
                    Some(n) => format!("{name} ({n})"),
                    None => name,
                };
                let key = queue.key();
                let selected = inbox.queue.get() == queue;
                view! { <option value=key selected=selected>{text}</option> }
            })
            .collect_view()
    };
    view! {
        <div class="queue-select">
            <label class="visually-hidden" for="queue-select">{t!(i18n, queue.label)}</label>
            <select
                id="queue-select"
                on:change=move |ev| {
                    if let Some(queue) = Queue::from_key(&event_target_value(&ev)) {
                        inbox.choose_queue(queue);
                    }
                }
            >
                {options}
            </select>
        </div>
    }
}
