//! The inbox's queues: Mine, Unassigned, one per team, All (for those who
//! see beyond their own work) and Mentions, with counts. A list in the
//! side navigation on desktops; a select above the list on tablets and phones.

use leptos::prelude::*;
use shared::api::User;
use shared::Role;

use crate::queues::Queue;
use crate::state::auth::AuthState;
use crate::state::inbox::InboxState;

/// The queues this person has, with their names.
pub fn queues_for(user: &User) -> Vec<(Queue, String)> {
    let mut queues = vec![
        (Queue::Mine, "Mine".to_owned()),
        (Queue::Unassigned, "Unassigned".to_owned()),
    ];
    for team in &user.teams {
        queues.push((Queue::Team(team.id), format!("Team · {}", team.name)));
    }
    if user.role != Role::Agent || user.teams.is_empty() {
        queues.push((Queue::All, "All".to_owned()));
    }
    queues.push((Queue::Mentions, "Mentions".to_owned()));
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
    .unwrap_or_else(|| match queue {
        Queue::Mine => "Mine".into(),
        Queue::Unassigned => "Unassigned".into(),
        Queue::Team(_) => "Team".into(),
        Queue::All => "All".into(),
        Queue::Mentions => "Mentions".into(),
    })
}

#[component]
pub fn QueueNav() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let inbox = expect_context::<InboxState>();
    let queues = move || auth.user().map(|u| queues_for(&u)).unwrap_or_default();
    view! {
        <div class="queue-nav">
            <p class="nav-section" id="nav-queues-heading">"Queues"</p>
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
            <label class="visually-hidden" for="queue-select">"Queue"</label>
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
