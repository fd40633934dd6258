//! The job worker: claims due jobs with a lease (renewed while the handler
//! works), runs the handler registered for each kind, and records success,
//! retry with backoff (WeChat's own when it said how long), or dead-letter,
//! when the kind's `on_dead` hook records the give-up where people see it.

use crate::clock::Clock;
use crate::store::jobs::Job;
use crate::store::Store;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The longest a job may run: past it the handler is stopped (its lease is
/// no longer renewed) and the job retried. Every call it makes to WeChat
/// times out long before; this is the backstop for a hung handler, which
/// would otherwise hold the node's only worker.
pub const JOB_TIME_LIMIT: Duration = Duration::from_secs(300);

/// Why a job did not finish, and when to try again: `after_ms` when the
/// other side said (WeChat's rate limits), else the worker's backoff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    pub reason: String,
    pub after_ms: Option<i64>,
}

impl Retry {
    pub fn after(reason: impl Into<String>, after: Duration) -> Self {
        Retry {
            reason: reason.into(),
            after_ms: Some(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

impl From<String> for Retry {
    fn from(reason: String) -> Self {
        Retry {
            reason,
            after_ms: None,
        }
    }
}

impl From<&str> for Retry {
    fn from(reason: &str) -> Self {
        reason.to_owned().into()
    }
}

/// A job handler: `Ok` completes the job, `Err` schedules a retry.
pub type Handler = Arc<dyn Fn(Job) -> BoxFuture<'static, Result<(), Retry>> + Send + Sync>;
/// Runs when a job of its kind ran out of attempts, with the last reason.
pub type DeadHandler =
    Arc<dyn Fn(Job, String) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: HashMap<String, Handler>,
    on_dead: HashMap<String, DeadHandler>,
}

impl Handlers {
    pub fn register<F, Fut, E>(&mut self, kind: &str, handler: F)
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: Into<Retry> + 'static,
    {
        self.by_kind.insert(
            kind.to_owned(),
            Arc::new(move |job| {
                let run = handler(job);
                Box::pin(async move { run.await.map_err(Into::into) })
            }),
        );
    }

    /// What to do when a job of `kind` gives up, so nothing it was doing
    /// stays "in progress" for ever.
    pub fn on_dead<F, Fut>(&mut self, kind: &str, handler: F)
    where
        F: Fn(Job, String) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        self.on_dead.insert(
            kind.to_owned(),
            Arc::new(move |job, reason| Box::pin(handler(job, reason))),
        );
    }
}

#[derive(Clone)]
pub struct Worker {
    pub store: Store,
    pub clock: Clock,
    pub handlers: Handlers,
    pub lease_ms: i64,
    pub batch: i64,
    /// Once begun, no job is started: claimed ones go back to the queue.
    pub shutdown: crate::shutdown::Shutdown,
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
            shutdown: Default::default(),
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
            if self.shutdown.is_begun() {
                // Stopping: hand it back untouched for the next start (or node).
                self.store.release_job(&job, self.clock.now()).await?;
                continue;
            }
            let span =
                tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
            let _enter = span.enter();
            // Claimed with the batch: still ours now, before it starts?
            if !self
                .store
                .extend_lease(&job, self.clock.now() + self.lease_ms)
                .await?
            {
                report.lost_lease += 1;
                continue;
            }
            let outcome = match self.handlers.by_kind.get(&job.kind) {
                Some(handler) => {
                    let renewing = self.renew_lease(&job);
                    tokio::pin!(renewing);
                    let run = tokio::time::timeout(JOB_TIME_LIMIT, handler(job.clone()));
                    tokio::select! {
                        outcome = run => outcome.unwrap_or_else(|_| Err(format!(
                            "the job ran past its {} minutes and was stopped",
                            JOB_TIME_LIMIT.as_secs() / 60
                        ).into())),
                        never = &mut renewing => match never {},
                    }
                }
                None => Err(format!("no handler for job kind `{}`", job.kind).into()),
            };
            let now = self.clock.now();
            let kept = match &outcome {
                Ok(()) => self.store.complete_job(&job, now).await?,
                Err(retry) => {
                    tracing::warn!(error = %retry.reason, "job failed");
                    let run_at = retry.after_ms.map(|after| now + after);
                    let kept = self
                        .store
                        .fail_job(&job, now, &retry.reason, run_at, rand::random::<f64>())
                        .await?;
                    if kept && job.is_last_attempt() {
                        self.gave_up(&job, &retry.reason).await;
                    }
                    kept
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

    /// Extends the job's lease every third of it while the handler works, so
    /// no other worker takes over a job that is merely slow. Never returns;
    /// once the lease is lost it stops renewing (the handler finishes, and
    /// its result is refused by the lease token).
    async fn renew_lease(&self, job: &Job) -> std::convert::Infallible {
        let every =
            Duration::from_millis(u64::try_from(self.lease_ms / 3).unwrap_or(1_000).max(100));
        loop {
            tokio::time::sleep(every).await;
            match self
                .store
                .extend_lease(job, self.clock.now() + self.lease_ms)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!("lost the job's lease; its result will not be recorded");
                    return std::future::pending().await;
                }
                Err(err) => tracing::warn!(error = %err, "could not renew the job's lease"),
            }
        }
    }

    /// The job ran out of attempts: its kind records that where people see it.
    async fn gave_up(&self, job: &Job, reason: &str) {
        tracing::error!(reason, "job gave up after its last attempt");
        if let Some(hook) = self.handlers.on_dead.get(&job.kind) {
            if let Err(err) = hook(job.clone(), reason.to_owned()).await {
                tracing::error!(error = %err, "could not record a job that gave up");
            }
        }
    }

    /// Runs until the shutdown begins, polling every `idle` when there is
    /// nothing to do; a job in hand is finished first.
    pub async fn run(self, idle: Duration) {
        while !self.shutdown.is_begun() {
            match self.run_once().await {
                Ok(report) if report != PassReport::default() => continue,
                Ok(_) => {}
                Err(err) => tracing::error!(error = format!("{err:#}"), "job worker pass failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(idle) => {}
                () = self.shutdown.begun() => {}
            }
        }
        tracing::info!("the job worker stopped");
    }
}
