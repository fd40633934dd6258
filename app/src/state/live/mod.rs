//! What the app knows about the live connection: its status for the
//! indicator, the last event `seq` seen (to resume without gaps) and the
//! latest events, which the inbox watches to know what to refetch. The
//! connection's loop is in `socket` (no browser), its WebSocket in `browser`.

use std::collections::{HashMap, VecDeque};

use futures::channel::mpsc::{unbounded, UnboundedSender};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Event;
use shared::ws::ClientMessage;
use shared::{ConversationId, Seq};

use crate::state::auth::AuthState;
use browser::BrowserConnector;
use socket::{Command, SocketState};
pub use socket::{LiveStatus, Presence};

mod browser;
mod socket;

/// How many recent events are kept.
pub const RECENT_LIMIT: usize = 30;

#[derive(Clone, Copy)]
pub struct LiveState {
    pub status: RwSignal<LiveStatus>,
    /// Newest first.
    pub recent: RwSignal<VecDeque<Event>>,
    /// Presence per conversation id; emptied when the socket drops.
    pub presence: RwSignal<HashMap<ConversationId, Presence>>,
    /// Counts connections that reached live events, so views can catch up
    /// after a reconnect.
    pub connections: RwSignal<u64>,
    /// Counts the times the server could not replay what this tab missed:
    /// lists reload instead.
    pub resyncs: RwSignal<u64>,
    /// Counts agents coming online and going (the floor follows it).
    pub roster: RwSignal<u64>,
    /// The conversation this tab has open, re-announced after a reconnect.
    viewing: StoredValue<Option<ConversationId>>,
    last_seq: StoredValue<Seq>,
    connection: StoredValue<Option<UnboundedSender<Command>>, LocalStorage>,
}

impl LiveState {
    pub fn new() -> Self {
        LiveState {
            status: RwSignal::new(LiveStatus::Connecting),
            recent: RwSignal::new(VecDeque::new()),
            presence: RwSignal::new(HashMap::new()),
            connections: RwSignal::new(0),
            resyncs: RwSignal::new(0),
            roster: RwSignal::new(0),
            viewing: StoredValue::new(None),
            last_seq: StoredValue::new(Seq(0)),
            connection: StoredValue::new_local(None),
        }
    }

    pub fn last_seq(&self) -> Seq {
        self.last_seq.try_get_value().unwrap_or_default()
    }

    /// Records an event once, however often it is replayed.
    pub fn record(&self, event: Event) {
        if event.seq <= self.last_seq() {
            return;
        }
        self.last_seq.set_value(event.seq);
        self.recent.update(|recent| {
            recent.push_front(event);
            recent.truncate(RECENT_LIMIT);
        });
    }

    pub fn set_status(&self, status: LiveStatus) {
        if self.status.try_get_untracked() != Some(status) {
            self.status.try_set(status);
        }
    }

    /// Opens the connection unless it is already open.
    pub fn ensure_started(self, auth: AuthState) {
        if self.connection.with_value(Option::is_some) {
            return;
        }
        self.set_status(LiveStatus::Connecting);
        let (sender, receiver) = unbounded();
        let listeners = NetworkListeners::register(self);
        spawn_local(async move {
            let _listeners = listeners;
            socket::run(BrowserConnector { tokens: auth }, self, receiver).await;
        });
        self.connection.set_value(Some(sender));
    }

    /// Closes the connection and forgets what it saw: the next person to
    /// sign in may see different events.
    pub fn stop(self) {
        // Dropping the sender ends the connection task.
        if self
            .connection
            .try_update_value(Option::take)
            .flatten()
            .is_some()
        {
            self.last_seq.set_value(Seq(0));
            self.recent.set(VecDeque::new());
            self.clear_presence();
            self.set_status(LiveStatus::Connecting);
        }
    }

    pub fn set_presence(&self, conversation: ConversationId, presence: Presence) {
        self.presence.try_update(|all| {
            if presence == Presence::default() {
                all.remove(&conversation);
            } else {
                all.insert(conversation, presence);
            }
        });
    }

    pub fn clear_presence(&self) {
        if self.presence.with_untracked(|p| !p.is_empty()) {
            self.presence.try_set(HashMap::new());
        }
    }

    pub fn note_reconnected(&self) {
        self.connections.try_update(|n| *n += 1);
    }

    pub fn viewing(&self) -> Option<ConversationId> {
        self.viewing.try_get_value().flatten()
    }

    /// Tells the server (and so colleagues) which conversation this tab shows.
    pub fn set_viewing(&self, conversation: Option<ConversationId>) {
        self.viewing.try_set_value(conversation);
        self.send(Command::Send(ClientMessage::Viewing { conversation }));
    }

    /// Sends a presence message: typing, lock, unlock, take over.
    pub fn tell(&self, message: ClientMessage) {
        self.send(Command::Send(message));
    }

    /// Hands the open socket a refreshed token.
    pub fn reauth(&self, token: String) {
        self.send(Command::Reauth(token));
    }

    /// Cuts a backoff wait short, e.g. when the network comes back.
    pub fn wake(&self) {
        self.send(Command::Wake);
    }

    fn send(&self, command: Command) {
        self.connection.with_value(|connection| {
            if let Some(sender) = connection {
                let _ = sender.unbounded_send(command);
            }
        });
    }
}

impl SocketState for LiveState {
    fn last_seq(&self) -> Seq {
        LiveState::last_seq(self)
    }

    fn viewing(&self) -> Option<ConversationId> {
        LiveState::viewing(self)
    }

    fn set_status(&self, status: LiveStatus) {
        LiveState::set_status(self, status);
    }

    fn record(&self, event: Event) {
        LiveState::record(self, event);
    }

    fn set_presence(&self, conversation: ConversationId, presence: Presence) {
        LiveState::set_presence(self, conversation, presence);
    }

    fn clear_presence(&self) {
        LiveState::clear_presence(self);
    }

    fn note_reconnected(&self) {
        LiveState::note_reconnected(self);
    }

    fn server_time(&self, now: i64) {
        crate::clock::learn_server_time(now, crate::clock::Heard::Socket);
    }

    fn resync(&self, head: Seq) {
        if head > self.last_seq() {
            self.last_seq.set_value(head);
        }
        self.resyncs.try_update(|n| *n += 1);
    }

    fn roster_changed(&self) {
        self.roster.try_update(|n| *n += 1);
    }
}

/// Wakes the loop when the network comes back; removed when the loop ends,
/// however it ends.
struct NetworkListeners(Vec<WindowListenerHandle>);

impl NetworkListeners {
    fn register(live: LiveState) -> Self {
        let online = window_event_listener(ev::online, move |_| live.wake());
        let offline = window_event_listener(ev::offline, move |_| {
            live.set_status(LiveStatus::Offline);
            live.wake();
        });
        NetworkListeners(vec![online, offline])
    }
}

impl Drop for NetworkListeners {
    fn drop(&mut self) {
        for handle in self.0.drain(..) {
            handle.remove();
        }
    }
}
