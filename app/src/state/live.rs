//! What the app knows about the live connection: its status for the
//! indicator, the last event `seq` seen (to resume without gaps) and the
//! latest events, which the inbox watches to know what to refetch.

use std::collections::{HashMap, VecDeque};

use futures::channel::mpsc::UnboundedSender;
use leptos::prelude::*;
use shared::api::Event;
use shared::ws::{ClientMessage, Person, ReplyLock};
use shared::Seq;

use crate::state::auth::AuthState;
use crate::ws::{self, Command};

/// How many recent events are kept.
pub const RECENT_LIMIT: usize = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveStatus {
    /// First connection after sign-in is being made.
    Connecting,
    Connected,
    /// The connection dropped; the app is trying again with backoff.
    Reconnecting,
    /// The browser reports no network.
    Offline,
}

impl LiveStatus {
    /// State name used as CSS class and `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "connecting",
            LiveStatus::Connected => "connected",
            LiveStatus::Reconnecting => "reconnecting",
            LiveStatus::Offline => "offline",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "Connecting…",
            LiveStatus::Connected => "Live",
            LiveStatus::Reconnecting => "Reconnecting…",
            LiveStatus::Offline => "Offline",
        }
    }
}

/// Who else is in a conversation right now, as the server last said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Presence {
    pub viewers: Vec<Person>,
    pub typing: Vec<Person>,
    pub lock: Option<ReplyLock>,
}

#[derive(Clone, Copy)]
pub struct LiveState {
    pub status: RwSignal<LiveStatus>,
    /// Newest first.
    pub recent: RwSignal<VecDeque<Event>>,
    /// Presence per conversation id; emptied when the socket drops.
    pub presence: RwSignal<HashMap<String, Presence>>,
    /// Counts connections that reached live events, so views can catch up
    /// after a reconnect.
    pub connections: RwSignal<u64>,
    /// The conversation this tab has open, re-announced after a reconnect.
    viewing: StoredValue<Option<String>>,
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
        self.connection.set_value(Some(ws::start(auth, self)));
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

    pub fn set_presence(&self, conversation: String, presence: Presence) {
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

    pub fn viewing(&self) -> Option<String> {
        self.viewing.try_get_value().flatten()
    }

    /// Tells the server (and so colleagues) which conversation this tab shows.
    pub fn set_viewing(&self, conversation: Option<String>) {
        self.viewing.try_set_value(conversation.clone());
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
