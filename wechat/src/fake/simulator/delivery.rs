//! Posting pushes the way WeChat does: a deadline per attempt, up to three
//! attempts of the identical request, forced duplicates for exactly-once
//! tests, and a paced live stream for the demo.

use std::time::{Duration, Instant};

use futures::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use tokio::task::JoinSet;

use super::{Push, Simulator};
use crate::message::{DedupeKey, MsgId};

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Harbour answered in time.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The response body (`success`, empty, or a passive reply).
        body: String,
    },
    /// No complete answer within the deadline.
    TimedOut,
    /// The connection failed (refused, reset, …).
    Failed(String),
}

/// One POST of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// From sending to the answer (or giving up).
    pub latency: Duration,
}

impl Attempt {
    /// The HTTP status, if Harbour answered.
    pub fn status(&self) -> Option<u16> {
        match self.outcome {
            AttemptOutcome::Answered { status, .. } => Some(status),
            _ => None,
        }
    }
}

/// Everything that happened to one delivery of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The key Harbour should store the push under.
    pub dedupe_key: DedupeKey,
    /// `MsgId`, for ordinary messages.
    pub msg_id: Option<MsgId>,
    /// Every attempt, in order; at least one.
    pub attempts: Vec<Attempt>,
    /// From the first attempt to the last answer or give-up.
    pub latency: Duration,
}

impl DeliveryReport {
    /// The last attempt's HTTP status, if it was answered.
    pub fn final_status(&self) -> Option<u16> {
        self.attempts.last().and_then(Attempt::status)
    }

    /// Whether Harbour finally answered 200.
    pub fn delivered(&self) -> bool {
        self.final_status() == Some(StatusCode::OK.as_u16())
    }

    /// The last answer's body, if any.
    pub fn final_body(&self) -> Option<&str> {
        match &self.attempts.last()?.outcome {
            AttemptOutcome::Answered { body, .. } => Some(body),
            _ => None,
        }
    }
}

/// Totals of a [`Simulator::run_live`] session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveSummary {
    /// Pushes sent.
    pub pushes: usize,
    /// Pushes finally answered 200.
    pub delivered: usize,
    /// Pushes that needed more than one attempt.
    pub retried: usize,
    /// Activity that could not become a push (e.g. media the fake refused).
    pub build_errors: usize,
    /// The slowest delivery.
    pub max_latency: Duration,
    /// The sum of delivery latencies, for the mean.
    pub total_latency: Duration,
}

impl LiveSummary {
    /// Pushes that were never answered 200.
    pub fn failed(&self) -> usize {
        self.pushes - self.delivered
    }

    /// The mean delivery latency.
    pub fn mean_latency(&self) -> Duration {
        u32::try_from(self.pushes)
            .ok()
            .filter(|&n| n > 0)
            .map_or(Duration::ZERO, |n| self.total_latency / n)
    }

    fn add(&mut self, report: &DeliveryReport) {
        self.pushes += 1;
        self.delivered += usize::from(report.delivered());
        self.retried += usize::from(report.attempts.len() > 1);
        self.max_latency = self.max_latency.max(report.latency);
        self.total_latency += report.latency;
    }
}

impl Simulator {
    /// Posts `push` as WeChat does: each attempt gets the configured deadline
    /// (5 s), and anything but a 200 in time is retried with the identical
    /// request, up to the configured number of attempts (3) in total.
    pub async fn deliver(&self, push: &Push) -> DeliveryReport {
        let config = &self.inner.config;
        let separator = if config.target_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!("{}{separator}{}", config.target_url, push.query);
        let started = Instant::now();
        let mut attempts = Vec::new();
        for _ in 0..config.max_attempts.max(1) {
            let sent = Instant::now();
            let outcome = self.post(&url, &push.body).await;
            let answered_ok = matches!(outcome, AttemptOutcome::Answered { status: 200, .. });
            attempts.push(Attempt {
                outcome,
                latency: sent.elapsed(),
            });
            if answered_ok {
                break;
            }
        }
        let report = DeliveryReport {
            dedupe_key: push.dedupe_key(),
            msg_id: push.msg_id,
            attempts,
            latency: started.elapsed(),
        };
        tracing::debug!(
            dedupe_key = %report.dedupe_key,
            attempts = report.attempts.len(),
            status = ?report.final_status(),
            latency_ms = report.latency.as_millis(),
            "push delivered"
        );
        report
    }

    /// Delivers `push` once and then `extra_deliveries` more times, one after
    /// the other, each with the full retry policy: duplicates as a flaky
    /// network produces them, for "stored exactly once" tests.
    pub async fn deliver_with_retries(
        &self,
        push: &Push,
        extra_deliveries: usize,
    ) -> Vec<DeliveryReport> {
        let mut reports = Vec::with_capacity(extra_deliveries + 1);
        for _ in 0..=extra_deliveries {
            reports.push(self.deliver(push).await);
        }
        reports
    }

    /// Like [`Simulator::deliver_with_retries`], but all `1 + extra_deliveries`
    /// deliveries race each other.
    pub async fn deliver_concurrently(
        &self,
        push: &Push,
        extra_deliveries: usize,
    ) -> Vec<DeliveryReport> {
        join_all((0..=extra_deliveries).map(|_| self.deliver(push))).await
    }

    /// Plays this simulator's [`Traffic`](super::Traffic) at `per_second`
    /// pushes a second (each gap jittered by ±50 %), for `duration` or, with
    /// `None`, forever. Deliveries overlap, so a slow answer does not slow
    /// the stream. Returns once every delivery has finished.
    pub async fn run_live(&self, per_second: f64, duration: Option<Duration>) -> LiveSummary {
        let gap = Duration::from_secs_f64(1.0 / per_second.max(0.001));
        // Pacing has its own seed so the traffic itself stays the same
        // whatever the rate.
        let mut pacing = StdRng::seed_from_u64(self.inner.config.seed ^ 0x9e37_79b9_7f4a_7c15);
        let started = Instant::now();
        let mut summary = LiveSummary::default();
        let mut in_flight = JoinSet::new();
        for (follower, activity) in self.traffic() {
            if duration.is_some_and(|limit| started.elapsed() >= limit) {
                break;
            }
            match self.push(&follower.openid, activity) {
                Ok(push) => {
                    let simulator = self.clone();
                    in_flight.spawn(async move { simulator.deliver(&push).await });
                }
                Err(error) => {
                    tracing::warn!(%error, "the simulator could not build a push");
                    summary.build_errors += 1;
                }
            }
            while let Some(done) = in_flight.try_join_next() {
                collect(&mut summary, done);
            }
            tokio::time::sleep(gap.mul_f64(pacing.gen_range(0.5..1.5))).await;
        }
        while let Some(done) = in_flight.join_next().await {
            collect(&mut summary, done);
        }
        tracing::info!(?summary, "live traffic finished");
        summary
    }

    async fn post(&self, url: &str, body: &str) -> AttemptOutcome {
        let request = self
            .inner
            .http
            .post(url)
            .header(CONTENT_TYPE, "text/xml")
            .timeout(self.inner.config.timeout)
            .body(body.to_owned());
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return failure(error),
        };
        let status = response.status().as_u16();
        match response.text().await {
            Ok(body) => AttemptOutcome::Answered { status, body },
            Err(error) => failure(error),
        }
    }
}

fn collect(summary: &mut LiveSummary, done: Result<DeliveryReport, tokio::task::JoinError>) {
    match done {
        Ok(report) => {
            if !report.delivered() {
                tracing::warn!(
                    dedupe_key = %report.dedupe_key,
                    attempts = report.attempts.len(),
                    status = ?report.final_status(),
                    "a push was not accepted"
                );
            }
            summary.add(&report);
        }
        Err(error) => tracing::error!(%error, "a delivery task failed"),
    }
}

fn failure(error: reqwest::Error) -> AttemptOutcome {
    if error.is_timeout() {
        AttemptOutcome::TimedOut
    } else {
        AttemptOutcome::Failed(error.without_url().to_string())
    }
}
