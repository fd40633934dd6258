//! `cargo xtask bench store`: event appends per second (hash chain, head
//! lock, one transaction per event) against a plain insert of the same rows
//! without the chain, measured in the same run on SQLite and PostgreSQL;
//! `cargo xtask bench ingest`: signed, encrypted WeChat callbacks per second;
//! `cargo xtask bench automation`: callbacks per second with 50 active rules beside none;
//! `cargo xtask bench inbox`: queues, timeline, search and live fan-out on a seeded desk;
//! `cargo xtask bench export`: one client's evidence bundle, built and verified.

use harbour_server::store::events::{append, NewEvent};
use harbour_server::store::Store;
use harbour_tests::{Backend, TestDb};
use serde_json::json;
use std::time::Instant;

const EVENTS: usize = 4_000;

mod automation;
mod export;
mod inbox;
mod ingest;

#[tokio::main]
async fn main() {
    // RUST_LOG=harbour_server=debug shows where the server's time goes
    // (e.g. each WeCom page's fetch and store) on standard error.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let which = std::env::args().nth(1).unwrap_or_default();
    match which.as_str() {
        "store" => {}
        "ingest" => {
            let kf_only = std::env::args().skip(2).any(|a| a == "--kf");
            return ingest::run(kf_only).await;
        }
        "automation" => {
            let every = std::env::args().skip(2).any(|a| a == "--every");
            let assignment_only = std::env::args().skip(2).any(|a| a == "--assignment");
            return automation::run(every, assignment_only).await;
        }
        "inbox" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            return inbox::run(&args).await;
        }
        "export" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            return export::run(&args).await;
        }
        _ => {
            eprintln!(
                "usage: harbour-bench store|ingest [--kf]|automation [--every|--assignment]|inbox|export [--conversations N] [--messages M]"
            );
            std::process::exit(2);
        }
    }
    println!("| backend | writers | chained appends/s | plain inserts/s | ratio chained/plain |");
    println!("|---|---|---|---|---|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && !harbour_tests::db::postgres_available().await {
            continue;
        }
        for writers in [1, 8] {
            let db = TestDb::new(backend).await;
            let store = db.store().await;
            create_plain_table(&store).await;
            // Alternate the two kinds of work so drift in machine load hits both.
            let (mut chained, mut plain) = (0.0, 0.0);
            for _ in 0..2 {
                plain += run(&store, writers, false).await;
                chained += run(&store, writers, true).await;
            }
            println!(
                "| {backend:?} | {writers} | {:.0} | {:.0} | {:.2} |",
                chained / 2.0,
                plain / 2.0,
                chained / plain
            );
            assert!(store.verify_chain().await.expect("verify").fault.is_none());
            store.close().await;
        }
    }
}

async fn create_plain_table(store: &Store) {
    store
        .create_plain_events()
        .await
        .expect("create plain table");
}

/// Writes `EVENTS` rows with `writers` concurrent tasks; returns rows per second.
async fn run(store: &Store, writers: usize, chained: bool) -> f64 {
    static NEXT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..EVENTS / writers {
                let payload = json!({ "writer": writer, "i": i, "text": "你好，我想問還款 hello" });
                if chained {
                    let mut tx = store.begin().await.expect("begin");
                    append(&mut tx, 1, &[NewEvent::new("bench.event", None, payload)])
                        .await
                        .expect("append");
                    store.commit(tx).await.expect("commit");
                } else {
                    let seq = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    plain_insert(&store, seq, &payload.to_string()).await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer");
    }
    EVENTS as f64 / started.elapsed().as_secs_f64()
}

async fn plain_insert(store: &Store, seq: i64, payload: &str) {
    store
        .insert_plain_event(seq, payload)
        .await
        .expect("insert");
}
