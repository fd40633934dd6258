//! Stopping cleanly, and noticing a part that stopped on its own.
//!
//! On SIGTERM the HTTP server stops accepting and answers what is in
//! flight (callbacks included, whose batch the writer commits), live
//! sockets are closed with "server restarting", and the job worker claims
//! nothing more and finishes the job in hand, up to
//! `HARBOUR_SHUTDOWN_DEADLINE_S`: a clean stop never leaves a send
//! `unknown`. [`Tasks`] names the background tasks, so `/readyz` says
//! which one died.

use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Whether (and since when) the server is stopping; cheap to clone.
#[derive(Clone)]
pub struct Shutdown {
    begun: Arc<watch::Sender<bool>>,
    since: Arc<OnceLock<Instant>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            begun: Arc::new(watch::channel(false).0),
            since: Arc::new(OnceLock::new()),
        }
    }
}

impl Shutdown {
    /// Tells every part to wind down; the first call starts the deadline.
    pub fn begin(&self) {
        self.since.get_or_init(Instant::now);
        self.begun.send_replace(true);
    }

    pub fn is_begun(&self) -> bool {
        *self.begun.borrow()
    }

    /// When the stop began, once it has.
    pub fn since(&self) -> Option<Instant> {
        self.since.get().copied()
    }

    /// Resolves once the stop has begun.
    pub async fn begun(&self) {
        let mut begun = self.begun.subscribe();
        let _ = begun.wait_for(|b| *b).await;
    }

    /// A receiver for code that selects on it (the live sockets).
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.begun.subscribe()
    }
}

/// A background task and its name.
type Named = (&'static str, JoinHandle<()>);

/// The background tasks of a node, by name.
#[derive(Clone, Default)]
pub struct Tasks {
    running: Arc<Mutex<Vec<Named>>>,
}

impl Tasks {
    pub fn add(&self, name: &'static str, task: JoinHandle<()>) {
        self.lock().push((name, task));
    }

    /// Tasks that ended although the server is not stopping (a panic, say).
    pub fn dead(&self) -> Vec<&'static str> {
        let mut dead: Vec<&'static str> = self
            .lock()
            .iter()
            .filter(|(_, task)| task.is_finished())
            .map(|(name, _)| *name)
            .collect();
        dead.dedup();
        dead
    }

    /// Takes the task named `name` out, to wait for it.
    pub fn take(&self, name: &str) -> Option<JoinHandle<()>> {
        let mut running = self.lock();
        let at = running.iter().position(|(n, _)| *n == name)?;
        Some(running.remove(at).1)
    }

    pub fn abort_all(&self) {
        for (_, task) in self.lock().drain(..) {
            task.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Named>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_ended_is_named_dead() {
        let tasks = Tasks::default();
        tasks.add("hub", tokio::spawn(std::future::pending()));
        tasks.add("job worker", tokio::spawn(async {}));
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(tasks.dead(), vec!["job worker"]);
        assert!(tasks.take("job worker").is_some());
        assert!(tasks.dead().is_empty());
        tasks.abort_all();
    }

    #[tokio::test]
    async fn the_stop_is_announced_once_and_remembered() {
        let shutdown = Shutdown::default();
        assert!(!shutdown.is_begun() && shutdown.since().is_none());
        let waiting = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { shutdown.begun().await }
        });
        shutdown.begin();
        waiting.await.expect("woken");
        assert!(shutdown.is_begun() && shutdown.since().is_some());
    }
}
