//! `cargo xtask bench automation`: signed, encrypted, durable callbacks per
//! second while the rules engine follows the log, with 50 active rules
//! beside the same run with none (target: ratio at least 0.8), and how long
//! after the last callback was acknowledged the engine had acted on all of
//! them. Every message is judged by all 50 "a client writes" rules (their
//! facts are read and every condition checked); each rule's keyword is one
//! message's number, so each acts once (adds a label). `--every`: the worst
//! case instead, five of the rules act on every message. Then
//! auto-assignment: how long until an agent who comes online holds the
//! waiting conversations, and until they all go to a colleague when her
//! socket closes (`--assignment`: only that).

use crate::ingest::{bare_axum, load, pushes, Outcome, AES_KEY, APP_ID, CALLBACKS, TOKEN};
use harbour_server::automator::Automator;
use harbour_tests::app::spawn_app_on;
use harbour_tests::{Backend, TestDb};
use serde_json::json;
use std::time::{Duration, Instant};

const RULES: usize = 50;

pub async fn run(every: bool, assignment_only: bool) {
    if !assignment_only {
        rules(every).await;
    }
    assignment().await;
}

async fn rules(every: bool) {
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

async fn assignment() {
    println!();
    println!(
        "| auto-assignment, {HANDED} waiting conversations | an agent comes online: all given to her | she goes offline: all back and given to a colleague | per conversation | ratio offline to online |"
    );
    println!("|---|---|---|---|---|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && !harbour_tests::db::postgres_available().await {
            continue;
        }
        let (online, offline) = reassignment(backend).await;
        println!(
            "| Harbour on {backend:?} | {:.0} ms | {:.0} ms | {:.2} ms | {:.2} |",
            online.as_secs_f64() * 1000.0,
            offline.as_secs_f64() * 1000.0,
            offline.as_secs_f64() * 1000.0 / HANDED as f64,
            offline.as_secs_f64() / online.as_secs_f64(),
        );
    }
}

/// Conversations an agent holds when she goes offline (her capacity).
const HANDED: usize = 100;

/// How long auto-assignment takes, on a node running as in production
/// (its own dispatcher, woken by sockets and events), to give `HANDED`
/// waiting conversations to an agent whose socket opens, and then, when
/// her socket closes (no grace), to hand them all to the colleague who is
/// online: from the socket's open or close to the last assignment.
async fn reassignment(backend: Backend) -> (Duration, Duration) {
    let db = TestDb::new(backend).await;
    let app = spawn_app_on(db, |config| config.offline_grace_ms = 0).await;
    let admin = app.admin_token().await;
    let team = harbour_tests::desk::create_team(&app, &admin, "Desk")
        .await
        .id;
    let (code, body) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/teams/{team}/assignment"),
            &admin,
            &json!({ "assignment": "round_robin" }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let channel = app.connect_official_account(&admin, &json!({ "name": "Bench", "app_id": APP_ID, "app_secret": "s", "token": TOKEN, "mode": "plain", "team": team })).await;
    let mut agents = Vec::new();
    for _ in 0..2 {
        let (user, token) = app
            .user_with_role(&admin, shared::Role::Agent, &[team])
            .await;
        let (code, body) = app
            .send_json(
                reqwest::Method::PATCH,
                &format!("/api/v1/users/{}", user.id),
                &admin,
                &json!({ "capacity": HANDED }),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        agents.push((user.id, token));
    }
    for n in 0..HANDED {
        let from = format!("oBenchAssign{n:016}");
        app.push_plain_text(&channel.callback_path, TOKEN, &from, n as u64 + 1, "你好")
            .await;
    }
    let load = |who: shared::UserId| {
        let store = app.store.clone();
        let now = app.clock.now();
        async move {
            store
                .agents(now)
                .await
                .expect("agents")
                .into_iter()
                .find(|a| a.id == who)
                .map_or(0, |a| a.load)
        }
    };
    let until = |who: shared::UserId, connected: bool| {
        let store = app.store.clone();
        let now = app.clock.now();
        async move {
            for _ in 0..2000 {
                let agents = store.agents(now).await.expect("agents");
                if agents
                    .iter()
                    .any(|a| a.id == who && a.connected == connected)
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            panic!("the roster never showed the socket");
        }
    };
    let (amy, amy_token) = agents[0].clone();
    let (ken, ken_token) = agents[1].clone();
    let started = Instant::now();
    let (amy_socket, _, _) = harbour_tests::socket::hello(&app, &amy_token, shared::Seq(0)).await;
    while load(amy).await < HANDED as i64 {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "never given out"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let online = started.elapsed();
    let (_ken_socket, _, _) = harbour_tests::socket::hello(&app, &ken_token, shared::Seq(0)).await;
    until(ken, true).await;
    let started = Instant::now();
    drop(amy_socket);
    while load(ken).await < HANDED as i64 {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "never reassigned"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let offline = started.elapsed();
    assert_eq!(load(amy).await, 0);
    (online, offline)
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
