//! The hub fans committed events out to live sockets. It reads the log from
//! its own last `seq` whenever this node commits or (on Postgres) another
//! node announces new events with NOTIFY, so every node broadcasts every
//! event exactly once, in `seq` order.

use crate::store::{Db, Store};
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
        if let Db::Postgres(pool) = &store.db {
            spawn_pg_listener(pool.clone(), wake.clone());
        }
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

/// Wakes the hub when another node commits events.
fn spawn_pg_listener(pool: sqlx::PgPool, wake: Arc<tokio::sync::Notify>) {
    spawn_listener(pool, "harbour_events", move |_| wake.notify_one());
}

/// Calls `on_notice` with the payload of each NOTIFY on `channel`, and
/// listens again (once a second) whenever the connection is lost, until the
/// pool is closed.
fn spawn_listener(
    pool: sqlx::PgPool,
    channel: &'static str,
    on_notice: impl Fn(&str) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut listener) => {
                    if let Err(err) = listener.listen(channel).await {
                        tracing::warn!(error = %err, channel, "LISTEN failed");
                    } else {
                        while let Ok(notification) = listener.recv().await {
                            on_notice(notification.payload());
                        }
                    }
                }
                Err(err) => tracing::warn!(error = %err, "cannot open a LISTEN connection"),
            }
            if pool.is_closed() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// Shares this node's presence with the other nodes through PostgreSQL's
/// NOTIFY, and takes in theirs (see `crate::presence`).
pub fn spawn_presence_mirror(
    pool: sqlx::PgPool,
    presence: crate::presence::Presence,
    clock: crate::clock::Clock,
) -> Vec<tokio::task::JoinHandle<()>> {
    const CHANNEL: &str = "harbour_presence";
    let mut shares = presence.subscribe_shares();
    let outgoing = pool.clone();
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
            if let Err(err) = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&outgoing)
                .await
            {
                if outgoing.is_closed() {
                    return;
                }
                tracing::warn!(error = %err, "cannot announce presence to other nodes");
            }
        }
    });
    let listen = spawn_listener(pool, CHANNEL, move |payload| {
        match serde_json::from_str(payload) {
            Ok(share) => presence.apply_remote(share, clock.now()),
            Err(err) => tracing::warn!(error = %err, "ignoring a malformed presence notice"),
        }
    });
    vec![announce, listen]
}
