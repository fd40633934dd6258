//! What the app knows about the live connection: its status for the
//! indicator, the last event `seq` seen (to resume without gaps) and the
//! latest events, which the inbox watches to know what to refetch.

use std::collections::VecDeque;

use futures::channel::mpsc::UnboundedSender;
use leptos::prelude::*;
use shared::api::Event;
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

#[derive(Clone, Copy)]
pub struct LiveState {
    pub status: RwSignal<LiveStatus>,
    /// Newest first.
    pub recent: RwSignal<VecDeque<Event>>,
    last_seq: StoredValue<Seq>,
    connection: StoredValue<Option<UnboundedSender<Command>>, LocalStorage>,
}

impl LiveState {
    pub fn new() -> Self {
        LiveState {
            status: RwSignal::new(LiveStatus::Connecting),
            recent: RwSignal::new(VecDeque::new()),
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
            self.set_status(LiveStatus::Connecting);
        }
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
