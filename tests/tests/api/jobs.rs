//! The durable job queue: leases, crash recovery, exclusivity, scheduling,
//! backoff and dead-letter, with a manual clock (no sleeping).

use harbour_server::clock::Clock;
use harbour_server::jobs::{Handlers, Retry, Worker};
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
    a_slow_job_keeps_its_lease_while_it_works,
    a_retry_waits_as_long_as_the_other_side_asked,
    a_job_that_gives_up_tells_its_kind,
    a_stopping_worker_hands_back_what_it_has_not_started,
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

async fn a_slow_job_keeps_its_lease_while_it_works(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let clock = Clock::manual(T0);
    store
        .enqueue_job(T0, &NewJob::now("test.slow", json!({}), T0))
        .await
        .expect("enqueue");
    let runs = Arc::new(AtomicUsize::new(0));
    let handlers = |runs: Arc<AtomicUsize>| {
        let mut handlers = Handlers::default();
        handlers.register("test.slow", move |_job| {
            let runs = runs.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
                Ok::<(), String>(())
            }
        });
        handlers
    };
    let mut slow = Worker::new(store.clone(), clock.clone(), handlers(runs.clone()));
    slow.lease_ms = 300;
    let working = tokio::spawn(async move { slow.run_once().await });
    // The clock passes the first lease while the handler still works...
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    clock.advance(400);
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    // ...but the lease was renewed: another worker finds nothing to take over.
    let mut other = Worker::new(store.clone(), clock.clone(), handlers(runs.clone()));
    other.lease_ms = 300;
    assert_eq!(other.run_once().await.expect("run").completed, 0);
    let report = working.await.expect("join").expect("run");
    assert_eq!((report.completed, runs.load(Ordering::SeqCst)), (1, 1));
}

async fn a_retry_waits_as_long_as_the_other_side_asked(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let clock = Clock::manual(T0);
    let id = store
        .enqueue_job(T0, &NewJob::now("test.limited", json!({}), T0))
        .await
        .expect("enqueue");
    let mut handlers = Handlers::default();
    handlers.register("test.limited", |_job| async {
        Err::<(), Retry>(Retry::after(
            "WeChat's per-minute limit (45011)",
            std::time::Duration::from_secs(60),
        ))
    });
    Worker::new(store.clone(), clock.clone(), handlers)
        .run_once()
        .await
        .expect("run");
    let job = store.job(id).await.expect("job").expect("exists");
    assert_eq!((job.status.as_str(), job.run_at), ("queued", T0 + 60_000));
}

async fn a_job_that_gives_up_tells_its_kind(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let clock = Clock::manual(T0);
    let job = NewJob {
        max_attempts: 2,
        ..NewJob::now("test.count", json!({}), T0)
    };
    store.enqueue_job(T0, &job).await.expect("enqueue");
    let runs = Arc::new(AtomicUsize::new(0));
    let mut worker = counting_worker(&store, &clock, runs.clone(), true);
    let told = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut handlers = worker.handlers.clone();
    let heard = told.clone();
    handlers.on_dead("test.count", move |job, reason| {
        let heard = heard.clone();
        async move {
            heard.lock().expect("told").push((job.attempts, reason));
            Ok(())
        }
    });
    worker.handlers = handlers;
    worker.run_once().await.expect("run");
    assert!(
        told.lock().expect("told").is_empty(),
        "not after the first try"
    );
    clock.advance(2_000);
    worker.run_once().await.expect("run");
    assert_eq!(
        *told.lock().expect("told"),
        vec![(2, "WeChat said no".to_owned())]
    );
}

async fn a_stopping_worker_hands_back_what_it_has_not_started(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let clock = Clock::manual(T0);
    let id = store
        .enqueue_job(T0, &NewJob::now("test.count", json!({}), T0))
        .await
        .expect("enqueue");
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = counting_worker(&store, &clock, runs.clone(), false);
    worker.shutdown.begin();
    worker.run_once().await.expect("run");
    let job = store.job(id).await.expect("job").expect("exists");
    assert_eq!(
        (
            job.status.as_str(),
            job.attempts,
            runs.load(Ordering::SeqCst)
        ),
        ("queued", 0, 0),
        "untouched, for the next start"
    );
}
