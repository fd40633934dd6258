//! `cargo xtask bench automation`: signed, encrypted, durable callbacks per
//! second while the rules engine follows the log, with 50 active rules
//! beside the same run with none (target: ratio at least 0.8), and how long
//! after the last callback was acknowledged the engine had acted on all of
//! them. Every message is judged by all 50 "a client writes" rules (their
//! facts are read and every condition checked); each rule's keyword is one
//! message's number, so each acts once (adds a label). `--every`: the worst
//! case instead, five of the rules act on every message.

use crate::ingest::{bare_axum, load, pushes, Outcome, AES_KEY, APP_ID, CALLBACKS, TOKEN};
use harbour_server::automator::Automator;
use harbour_tests::app::spawn_app_on;
use harbour_tests::{Backend, TestDb};
use serde_json::json;
use std::time::{Duration, Instant};

const RULES: usize = 50;

pub async fn run(every: bool) {
    let baseline = bare_axum().await;
    println!(
        "| target | callbacks/s | p50 | p99 | ratio to bare axum | ratio to no rules | rules done after the last callback |"
    );
    println!("|---|---|---|---|---|---|---|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && !harbour_tests::db::postgres_available().await {
            continue;
        }
        let (none, none_lag) = harbour(backend, 0, every).await;
        let (fifty, fifty_lag) = harbour(backend, RULES, every).await;
        for (label, outcome, lag) in [
            (format!("Harbour on {backend:?}, no rules"), &none, none_lag),
            (
                if every {
                    format!("Harbour on {backend:?}, {RULES} rules, 5 act on every message")
                } else {
                    format!(
                        "Harbour on {backend:?}, {RULES} rules judge every message, each acts once"
                    )
                },
                &fifty,
                fifty_lag,
            ),
        ] {
            println!(
                "| {label} | {:.0} | {:.1} ms | {:.1} ms | {:.3} | {:.3} | {:.0} ms |",
                outcome.per_second,
                outcome.p50.as_secs_f64() * 1000.0,
                outcome.p99.as_secs_f64() * 1000.0,
                outcome.per_second / baseline.per_second,
                outcome.per_second / none.per_second,
                lag.as_secs_f64() * 1000.0,
            );
        }
    }
}

/// One run: `rules` rules, the engine running, `CALLBACKS` callbacks.
async fn harbour(backend: Backend, rules: usize, every: bool) -> (Outcome, Duration) {
    let db = TestDb::new(backend).await;
    let app = spawn_app_on(db, |config| config.run_workers = false).await;
    let admin = app.admin_token().await;
    let channel = app.connect_official_account(&admin, &json!({ "name": "Bench", "app_id": APP_ID, "app_secret": "s", "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe" })).await;
    for i in 0..rules {
        // The pushes say "你好，我想問還款日期 {n}" for n = 0, 1, …: a
        // number matches one message as a whole word; 还款 matches them all.
        let keyword = if every && i % 10 == 0 {
            "还款".to_owned()
        } else {
            format!("{}", i * (CALLBACKS / RULES) + 7)
        };
        let (code, body) = app
            .send_json(
                reqwest::Method::POST,
                "/api/v1/rules",
                &admin,
                &json!({
                    "name": format!("Rule {i}"),
                    "trigger": { "kind": "message_received" },
                    "conditions": { "keywords": [keyword] },
                    "actions": [{ "kind": "label", "label": format!("bench-{i}") }]
                }),
            )
            .await;
        assert_eq!(code, 201, "{body}");
    }
    let stop = harbour_server::shutdown::Shutdown::default();
    let engine =
        tokio::spawn(Automator::new(app.store.clone(), app.clock.clone()).run(stop.clone()));
    let target = app.url(&channel.callback_path);
    let outcome = load(&target, pushes(&target, app.wechat_clock())).await;
    let acknowledged = Instant::now();
    loop {
        let head = app.store.head().await.expect("head").0;
        let cursor = app.store.automation_cursor().await.expect("cursor");
        if cursor >= head {
            break;
        }
        assert!(
            acknowledged.elapsed() < Duration::from_secs(600),
            "the rules engine fell behind for ten minutes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let lag = acknowledged.elapsed();
    stop.begin();
    let _ = engine.await;
    let stored = app
        .store
        .inbound_message_count(channel.id)
        .await
        .expect("count");
    assert_eq!(
        stored, CALLBACKS as i64,
        "every acknowledged callback is stored"
    );
    (outcome, lag)
}
