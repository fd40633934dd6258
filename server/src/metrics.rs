//! Prometheus metrics in text format: request counts and latencies per
//! route, live sockets, and (read at scrape time) job queue depth.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    pub ws_connections: AtomicI64,
    /// Signed checkpoints and how far their copies outside the database got.
    pub checkpoints: crate::checkpointer::CheckpointStatus,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let h = latency
                .entry((method.to_owned(), route.to_owned()))
                .or_default();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.sum += seconds;
            h.total += 1;
        }
    }

    pub fn render(&self, job_queue_depth: Option<i64>) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP harbour_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE harbour_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), n) in requests.iter() {
                let _ = writeln!(out, "harbour_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP harbour_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE harbour_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for ((method, route), h) in latency.iter() {
                let labels = format!("method=\"{method}\",route=\"{route}\"");
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(out, "harbour_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}", h.counts[i]);
                }
                let _ = writeln!(
                    out,
                    "harbour_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.total
                );
                let _ = writeln!(
                    out,
                    "harbour_http_request_duration_seconds_sum{{{labels}}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "harbour_http_request_duration_seconds_count{{{labels}}} {}",
                    h.total
                );
            }
        }
        out.push_str("# HELP harbour_websocket_connections Open live sockets.\n");
        out.push_str("# TYPE harbour_websocket_connections gauge\n");
        let _ = writeln!(
            out,
            "harbour_websocket_connections {}",
            self.ws_connections.load(Ordering::Relaxed)
        );
        let c = &self.checkpoints;
        for (name, kind, help, value) in [
            (
                "harbour_checkpoint_tree_size",
                "gauge",
                "Events the newest signed checkpoint covers.",
                &c.tree_size,
            ),
            (
                "harbour_checkpoints_signed_total",
                "counter",
                "Checkpoints this node signed.",
                &c.signed,
            ),
            (
                "harbour_checkpoint_witness_pending",
                "gauge",
                "Checkpoints the witness has not acknowledged.",
                &c.witness_pending,
            ),
            (
                "harbour_checkpoint_witness_failures_total",
                "counter",
                "Failed deliveries to the checkpoint witness.",
                &c.witness_failures,
            ),
            (
                "harbour_checkpoint_dir_pending",
                "gauge",
                "Checkpoints not yet written to the checkpoint directory.",
                &c.dir_pending,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        if let Some(depth) = job_queue_depth {
            out.push_str("# HELP harbour_job_queue_depth Jobs queued or running.\n");
            out.push_str("# TYPE harbour_job_queue_depth gauge\n");
            let _ = writeln!(out, "harbour_job_queue_depth {depth}");
        }
        out
    }
}

/// Middleware recording every request under its route template, never its raw path.
pub async fn track(
    State(metrics): State<std::sync::Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    // Only known methods become labels: any other word would be a new series.
    let method = match request.method().as_str() {
        known @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => known,
        _ => "other",
    }
    .to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| {
            if request.uri().path().starts_with("/api/") {
                "/api/unmatched".into()
            } else {
                "static".into()
            }
        });
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
