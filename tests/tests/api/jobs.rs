//! The durable job queue: leases, crash recovery, exclusivity, scheduling,
//! backoff and dead-letter, with a manual clock (no sleeping).

use harbour_server::clock::Clock;
use harbour_server::jobs::{Handlers, Worker};
use harbour_server::store::jobs::NewJob;
use harbour_server::store::Store;
use harbour_tests::{on_both_backends, Backend, TestDb};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

on_both_backends!(
    a_job_whose_worker_died_runs_again_after_the_lease_expires,
    two_workers_never_hold_one_job_at_once,
    a_job_scheduled_for_later_runs_then_and_not_before,
    a_failing_job_backs_off_and_ends_dead,
);

const T0: i64 = 1_000_000_000;

fn counting_worker(store: &Store, clock: &Clock, counter: Arc<AtomicUsize>, fail: bool) -> Worker {
    let mut handlers = Handlers::default();
    handlers.register("test.count", move |_job| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            if fail {
                Err("WeChat said no".to_string())
            } else {
                Ok(())
            }
        }
    });
    Worker::new(store.clone(), clock.clone(), handlers)
}

async fn a_job_whose_worker_died_runs_again_after_the_lease_expires(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let clock = Clock::manual(T0);
    let id = store
        .enqueue_job(T0, &NewJob::now("test.count", json!({}), T0))
        .await
        .expect("enqueue");
    // Worker A claims and then "dies": it never completes.
    let claimed = store
        .claim_jobs(clock.now(), 60_000, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    // While A's lease holds, nobody else gets the job.
    clock.advance(59_000);
    assert!(store
        .claim_jobs(clock.now(), 60_000, 10)
        .await
        .expect("claim")
        .is_empty());
    // After the lease, worker B runs it.
    clock.advance(2_000);
    let runs = Arc::new(AtomicUsize::new(0));
    let report = counting_worker(&store, &clock, runs.clone(), false)
        .run_once()
        .await
        .expect("run");
    assert_eq!((report.completed, runs.load(Ordering::SeqCst)), (1, 1));
    // A wakes up late: its lease token no longer fences the job.
    assert!(!store
        .complete_job(&claimed[0], clock.now())
        .await
        .expect("complete"));
    let job = store.job(id).await.expect("job").expect("exists");
    assert_eq!((job.status.as_str(), job.attempts), ("done", 2));
}

async fn two_workers_never_hold_one_job_at_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let stores = [db.store().await, db.store().await];
    for i in 0..50 {
        stores[0]
            .enqueue_job(T0, &NewJob::now("test.count", json!({ "i": i }), T0))
            .await
            .expect("enqueue");
    }
    let mut claims = Vec::new();
    for worker in 0..8 {
        let store = stores[worker % 2].clone();
        claims.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let jobs = store.claim_jobs(T0, 60_000, 3).await.expect("claim");
                if jobs.is_empty() {
                    return mine;
                }
                mine.extend(jobs.into_iter().map(|j| j.id));
            }
        }));
    }
    let mut all = Vec::new();
    for claim in claims {
        all.extend(claim.await.expect("worker"));
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        (total, all.len()),
        (50, 50),
        "every job claimed exactly once"
    );
}

async fn a_job_scheduled_for_later_runs_then_and_not_before(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let clock = Clock::manual(T0);
    let later = T0 + 48 * 3_600_000;
    let job = NewJob {
        run_at: later,
        ..NewJob::now("test.count", json!({}), T0)
    };
    store.enqueue_job(T0, &job).await.expect("enqueue");
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = counting_worker(&store, &clock, runs.clone(), false);
    worker.run_once().await.expect("run");
    clock.advance(48 * 3_600_000 - 1);
    worker.run_once().await.expect("run");
    assert_eq!(runs.load(Ordering::SeqCst), 0, "not before its time");
    clock.advance(1);
    worker.run_once().await.expect("run");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "at its time");
}

async fn a_failing_job_backs_off_and_ends_dead(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let clock = Clock::manual(T0);
    let job = NewJob {
        max_attempts: 3,
        ..NewJob::now("test.count", json!({}), T0)
    };
    let id = store.enqueue_job(T0, &job).await.expect("enqueue");
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = counting_worker(&store, &clock, runs.clone(), true);
    worker.run_once().await.expect("run");
    let after_first = store.job(id).await.expect("job").expect("exists");
    assert_eq!(after_first.status, "queued");
    let delay = after_first.run_at - clock.now();
    assert!(
        (1_000..=1_500).contains(&delay),
        "first retry after ~1 s, got {delay}"
    );
    assert_eq!(after_first.last_error.as_deref(), Some("WeChat said no"));
    // Retrying too early does nothing.
    worker.run_once().await.expect("run");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    clock.advance(1_600);
    worker.run_once().await.expect("run");
    let after_second = store.job(id).await.expect("job").expect("exists");
    let delay = after_second.run_at - clock.now();
    assert!(
        (2_000..=3_000).contains(&delay),
        "second retry after ~2 s, got {delay}"
    );
    clock.advance(3_100);
    worker.run_once().await.expect("run");
    let dead = store.job(id).await.expect("job").expect("exists");
    assert_eq!(
        (
            dead.status.as_str(),
            dead.attempts,
            runs.load(Ordering::SeqCst)
        ),
        ("dead", 3, 3)
    );
    clock.advance(10 * 3_600_000);
    worker.run_once().await.expect("run");
    assert_eq!(runs.load(Ordering::SeqCst), 3, "dead jobs stay dead");
    assert_eq!(store.job_queue_depth().await.expect("depth"), 0);
}
