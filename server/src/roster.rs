//! Who has a socket open on this node, for auto-assignment's presence
//! (issue 14 §3). The live socket joins and parts; the first socket of a
//! user on this node writes a row in `agent_connections`, the last one
//! deletes it, and [`Roster::run`] touches this node's rows so the other
//! nodes know it is alive. Joins, parts and changes of heart wake the
//! dispatcher, so an agent who comes online gets waiting conversations at
//! once, and are told to the sockets of those who watch the floor (every
//! node's, through NOTIFY on PostgreSQL).

use crate::clock::Clock;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use shared::{TeamId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, Notify};

/// The channel on which nodes tell each other of a [`RosterChange`].
const CHANNEL: &str = "harbour_roster";

/// `user`'s first socket on a node opened or their last one closed (whether
/// they are online may have changed), or their availability or capacity
/// changed. Their teams say who may hear of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterChange {
    pub user: UserId,
    pub teams: Vec<TeamId>,
    /// The node where it happened (a node hears its own notices too).
    node: String,
}

/// How often this node's rows are touched (well inside
/// [`crate::assignment::STALE_MS`]).
const TOUCH_EVERY: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct Roster {
    sockets: Arc<Mutex<HashMap<UserId, usize>>>,
    /// Held while this node writes its rows, each write reading the count
    /// as it is then: a last close and a new open that overlap leave the
    /// row as the sockets are.
    writes: Arc<tokio::sync::Mutex<()>>,
    /// This node, in `agent_connections`.
    pub node: String,
    wake: Arc<Notify>,
    changes: broadcast::Sender<Arc<RosterChange>>,
}

impl Default for Roster {
    fn default() -> Self {
        Roster {
            sockets: Arc::default(),
            writes: Arc::default(),
            node: uuid::Uuid::new_v4().to_string(),
            wake: Arc::default(),
            changes: broadcast::channel(256).0,
        }
    }
}

impl Roster {
    fn sockets(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, usize>> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A socket of `user` opened: the first on this node is written down.
    pub async fn join(&self, store: &Store, user: UserId, now: i64) {
        let first = {
            let mut sockets = self.sockets();
            let count = sockets.entry(user).or_default();
            *count += 1;
            *count == 1
        };
        if first {
            let writing = self.writes.lock().await;
            if self.count(user) > 0 {
                if let Err(e) = store.connected(user, &self.node, now).await {
                    tracing::warn!(error = %e, "could not record a connection");
                }
            }
            drop(writing);
            self.wake();
            self.announce(store, user).await;
        }
    }

    /// A socket of `user` closed: the last on this node is struck out.
    pub async fn part(&self, store: &Store, user: UserId, now: i64) {
        let last = {
            let mut sockets = self.sockets();
            match sockets.get_mut(&user) {
                Some(count) if *count > 1 => {
                    *count -= 1;
                    false
                }
                Some(_) => {
                    sockets.remove(&user);
                    true
                }
                None => false,
            }
        };
        if last {
            let writing = self.writes.lock().await;
            if self.count(user) == 0 {
                if let Err(e) = store.disconnected(user, &self.node, now).await {
                    tracing::warn!(error = %e, "could not record a disconnection");
                }
            }
            drop(writing);
            self.wake();
            self.announce(store, user).await;
        }
    }

    /// Tells this node's sockets, and the other nodes, that `user`'s
    /// standing on the floor changed: they came or went, or changed their
    /// availability or capacity.
    pub async fn announce(&self, store: &Store, user: UserId) {
        let teams = match store.user(user).await {
            Ok(Some(found)) => found.teams.iter().map(|t| t.id).collect(),
            Ok(None) => Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read whose floor a connection shows on");
                return;
            }
        };
        let change = RosterChange {
            user,
            teams,
            node: self.node.clone(),
        };
        if store.has_peers() {
            match serde_json::to_string(&change) {
                Ok(payload) => {
                    if let Err(e) = store.notify(CHANNEL, &payload).await {
                        tracing::warn!(error = %e, "could not tell the other nodes of a connection");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not write a roster notice"),
            }
        }
        // No receivers is fine: nobody watches.
        let _ = self.changes.send(Arc::new(change));
    }

    /// Every roster change heard on this node, its own and the other nodes'.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RosterChange>> {
        self.changes.subscribe()
    }

    /// Hears the other nodes' roster changes (NOTIFY); nothing without peers.
    pub fn listen(&self, store: &Store) -> Option<tokio::task::JoinHandle<()>> {
        let node = self.node.clone();
        let changes = self.changes.clone();
        store.listen(CHANNEL, move |payload| {
            match serde_json::from_str::<RosterChange>(payload) {
                Ok(change) if change.node != node => {
                    let _ = changes.send(Arc::new(change));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "ignoring a malformed roster notice"),
            }
        })
    }

    fn count(&self, user: UserId) -> usize {
        self.sockets().get(&user).copied().unwrap_or(0)
    }

    /// Writes this node's rows as its sockets are now, touched: a write
    /// that failed, or a socket task that ended without a word, is put
    /// right here.
    pub async fn sync(&self, store: &Store, now: i64) -> crate::error::AppResult<()> {
        let _writing = self.writes.lock().await;
        let mut users: Vec<UserId> = self.sockets().keys().copied().collect();
        users.sort();
        store.sync_connections(&self.node, &users, now).await
    }

    /// Asks the dispatcher to look now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves when someone asked the dispatcher to look.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Touches this node's rows until the node stops; at the end, strikes
    /// them out (the people connected here are no longer).
    pub async fn run(self, store: Store, clock: Clock, shutdown: crate::shutdown::Shutdown) {
        loop {
            if let Err(e) = self.sync(&store, clock.now()).await {
                tracing::warn!(error = %e, "could not write this node's connections");
            }
            tokio::select! {
                _ = tokio::time::sleep(TOUCH_EVERY) => {}
                _ = shutdown.begun() => break,
            }
        }
        if let Err(e) = store.drop_connections(&self.node, clock.now()).await {
            tracing::warn!(error = %e, "could not strike out this node's connections");
        }
    }
}
