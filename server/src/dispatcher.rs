//! Runs auto-assignment (issue 14 §3): for every team that assigns
//! automatically, hands the waiting conversations of absent agents back to
//! the team, then gives the team's waiting pool, longest wait first, to
//! online agents under capacity. It looks whenever something may have
//! changed (a socket opened or closed, an availability, any event: a new
//! message, a resolve that frees capacity) and every second regardless.
//! Each change is its own small transaction (see `store::assignment`), so
//! several nodes may run it at once.

use crate::assignment::absence;
use crate::clock::Clock;
use crate::error::AppResult;
use crate::roster::Roster;
use crate::store::assignment::Assigned;
use crate::store::Store;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the dispatcher looks when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);
/// The least time between two looks under a stream of events.
const SETTLE: Duration = Duration::from_millis(50);
/// Conversations looked at per team per look.
const BATCH: i64 = 200;
/// A look touches this node's connections when they are older than this
/// by the clock (the roster touches them every 15 s anyway; a look after
/// a jump of the clock must not take them for a dead node's).
const TOUCH_AFTER_MS: i64 = 5_000;

#[derive(Clone)]
pub struct Dispatcher {
    pub store: Store,
    pub clock: Clock,
    pub roster: Roster,
    /// How long an agent may be disconnected before their waiting
    /// conversations go back to the team.
    pub grace_ms: i64,
    touched: Arc<AtomicI64>,
}

/// What one look did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub released: usize,
    pub assigned: usize,
}

impl Dispatcher {
    pub fn new(store: Store, clock: Clock, roster: Roster, grace_ms: i64) -> Self {
        Dispatcher {
            store,
            clock,
            roster,
            grace_ms,
            touched: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }

    /// Looks until the node stops.
    pub async fn run(self, hub: crate::hub::Hub, shutdown: crate::shutdown::Shutdown) {
        let mut events = hub.subscribe();
        loop {
            if shutdown.is_begun() {
                return;
            }
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "auto-assignment could not look");
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = self.roster.woken() => {}
                _ = events.recv() => {
                    // A burst of events is one look.
                    tokio::time::sleep(SETTLE).await;
                    events = events.resubscribe();
                }
                _ = shutdown.begun() => return,
            }
        }
    }

    /// One look at every team that assigns automatically.
    pub async fn pass(&self) -> AppResult<Pass> {
        let now = self.clock.now();
        let mut done = Pass::default();
        let teams = self.store.auto_teams().await?;
        // Connections matter only to teams that assign automatically: with
        // none, a look writes nothing (the roster keeps its rows anyway).
        if !teams.is_empty()
            && now.saturating_sub(self.touched.load(Ordering::Relaxed)) >= TOUCH_AFTER_MS
        {
            self.roster.sync(&self.store, now).await?;
            self.touched.store(now, Ordering::Relaxed);
        }
        for team in teams {
            for held in self
                .store
                .held_by_absent(team.id, now, self.grace_ms, BATCH)
                .await?
            {
                if absence(&held.standing, now, self.grace_ms).is_none() {
                    continue;
                }
                if self.store.release(&held, now, self.grace_ms).await? {
                    done.released += 1;
                }
            }
            // Nobody can take one: no transaction is tried.
            if !self.store.has_room(team.id, now).await? {
                continue;
            }
            for conversation in self.store.waiting_pool(team.id, BATCH).await? {
                match self.store.auto_assign(conversation, &team, now).await? {
                    Assigned::To(_) => done.assigned += 1,
                    Assigned::NobodyFree => break,
                    Assigned::Moved => {}
                }
            }
        }
        Ok(done)
    }
}
