//! The hub fans committed events out to live sockets. It reads the log from
//! its own last `seq` whenever this node commits or (on Postgres) another
//! node announces new events with NOTIFY, so every node broadcasts every
//! event exactly once, in `seq` order.

use crate::store::Store;
use shared::api::Event;
use shared::Seq;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// How many events a socket may fall behind before it is cut off. Bounds
/// server memory per slow client; the client reconnects and replays.
pub const BROADCAST_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<Arc<Event>>,
    broadcast_head: Arc<AtomicI64>,
}

impl Hub {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        Hub {
            sender,
            broadcast_head: Arc::new(AtomicI64::new(0)),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    pub fn receiver_count(&self) -> usize {
        self.sender.receiver_count()
    }

    /// The newest `seq` broadcast so far.
    pub fn broadcast_head(&self) -> Seq {
        Seq(self.broadcast_head.load(Ordering::SeqCst))
    }

    /// Starts the task that follows the log. Returns once it has read the head.
    pub async fn start(&self, store: Store) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let head = store.head().await?;
        self.broadcast_head.store(head.0, Ordering::SeqCst);
        let wake = store.appended_signal();
        // Another node committed events: read the log.
        let woken = wake.clone();
        let _ = store.listen(crate::store::notify::EVENTS_CHANNEL, move |_| {
            woken.notify_one()
        });
        let hub = self.clone();
        Ok(tokio::spawn(async move {
            loop {
                // A timeout as a safety net: a lost wake-up delays, never loses, events.
                let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
                if let Err(err) = hub.catch_up(&store).await {
                    tracing::warn!(error = %err, "hub could not read the event log");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }))
    }

    async fn catch_up(&self, store: &Store) -> Result<(), sqlx::Error> {
        loop {
            let after = self.broadcast_head();
            let events = store.events_after(after, 1_000).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(());
            };
            let full_page = events.len() == 1_000;
            for event in events {
                // No receivers is fine: nobody is connected.
                let _ = self.sender.send(Arc::new(event));
            }
            self.broadcast_head.store(last.0, Ordering::SeqCst);
            if !full_page {
                return Ok(());
            }
        }
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

/// Shares this node's presence with the other nodes (NOTIFY), and takes
/// in theirs (see `crate::presence`); nothing without peers.
pub fn spawn_presence_mirror(
    store: Store,
    presence: crate::presence::Presence,
    clock: crate::clock::Clock,
) -> Vec<tokio::task::JoinHandle<()>> {
    const CHANNEL: &str = "harbour_presence";
    if !store.has_peers() {
        return Vec::new();
    }
    let mut shares = presence.subscribe_shares();
    let outgoing = store.clone();
    let announce = tokio::spawn(async move {
        loop {
            let share = match shares.recv().await {
                Ok(share) => share,
                // Missed some: the periodic announcement repeats every room.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let Ok(payload) = serde_json::to_string(&share) else {
                continue;
            };
            if let Err(err) = outgoing.notify(CHANNEL, &payload).await {
                if outgoing.is_closed() {
                    return;
                }
                tracing::warn!(error = %err, "cannot announce presence to other nodes");
            }
        }
    });
    let listen = store.listen(CHANNEL, move |payload| {
        match serde_json::from_str(payload) {
            Ok(share) => presence.apply_remote(share, clock.now()),
            Err(err) => tracing::warn!(error = %err, "ignoring a malformed presence notice"),
        }
    });
    std::iter::once(announce).chain(listen).collect()
}
