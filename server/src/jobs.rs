//! The job worker: claims due jobs with a lease, runs the handler registered
//! for each kind, and records success, retry with backoff, or dead-letter.

use crate::clock::Clock;
use crate::store::jobs::Job;
use crate::store::Store;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A job handler: `Ok` completes the job, `Err` schedules a retry.
pub type Handler = Arc<dyn Fn(Job) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: HashMap<String, Handler>,
}

impl Handlers {
    pub fn register<F, Fut>(&mut self, kind: &str, handler: F)
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        self.by_kind
            .insert(kind.to_owned(), Arc::new(move |job| Box::pin(handler(job))));
    }
}

#[derive(Clone)]
pub struct Worker {
    pub store: Store,
    pub clock: Clock,
    pub handlers: Handlers,
    pub lease_ms: i64,
    pub batch: i64,
}

/// What one pass of the worker did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    pub completed: usize,
    pub retried: usize,
    pub lost_lease: usize,
}

impl Worker {
    pub fn new(store: Store, clock: Clock, handlers: Handlers) -> Self {
        Worker {
            store,
            clock,
            handlers,
            lease_ms: 60_000,
            batch: 16,
        }
    }

    /// Claims and runs what is due now. Tests call this directly with a manual clock.
    pub async fn run_once(&self) -> anyhow::Result<PassReport> {
        let jobs = self
            .store
            .claim_jobs(self.clock.now(), self.lease_ms, self.batch)
            .await?;
        let mut report = PassReport::default();
        for job in jobs {
            let span =
                tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
            let _enter = span.enter();
            let outcome = match self.handlers.by_kind.get(&job.kind) {
                Some(handler) => handler(job.clone()).await,
                None => Err(format!("no handler for job kind `{}`", job.kind)),
            };
            let now = self.clock.now();
            let kept = match &outcome {
                Ok(()) => self.store.complete_job(&job, now).await?,
                Err(error) => {
                    tracing::warn!(error = %error, "job failed");
                    self.store
                        .fail_job(&job, now, error, rand::random::<f64>())
                        .await?
                }
            };
            match (kept, outcome.is_ok()) {
                (false, _) => report.lost_lease += 1,
                (true, true) => report.completed += 1,
                (true, false) => report.retried += 1,
            }
        }
        Ok(report)
    }

    /// Runs forever, polling every `idle` when there is nothing to do.
    pub async fn run(self, idle: Duration) {
        loop {
            match self.run_once().await {
                Ok(report) if report != PassReport::default() => continue,
                Ok(_) => {}
                Err(err) => tracing::error!(error = format!("{err:#}"), "job worker pass failed"),
            }
            tokio::time::sleep(idle).await;
        }
    }
}
