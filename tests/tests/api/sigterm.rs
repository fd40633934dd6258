//! The real `harbour` process gets SIGTERM while WeChat pushes 2,000
//! callbacks and 200 replies wait to go out: it answers what is in flight,
//! finishes the send in hand and exits cleanly. Every acknowledged callback
//! is stored, no reply is `unknown`, and after a restart every reply is sent
//! exactly once.

use crate::crash::{process_with_channel, serve, wait_healthy, Process};
use harbour_server::store::{Store, StoreOptions};
use harbour_tests::{on_both_backends, Backend};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wechat::client::paths;
use wechat::fake::simulator::{Activity, Simulator, SimulatorConfig};
use wechat::fake::FakeWeChat;
use wechat::{AppId, Mode, OpenId, OriginalId};

on_both_backends!(sigterm_during_callbacks_and_replies_loses_nothing_and_sends_nothing_twice);

const APP_ID: &str = "wx5e7e5e7e5e7e5e7e";
const SECRET: &str = "sigterm-test-secret";
const TOKEN: &str = "sigtermTokenHarbour1";
const ADMIN: &str = "sigterm-admin@example.com";
const PASSWORD: &str = "a long enough password";
const FOLLOWERS: usize = 200;
const CALLBACKS: usize = 2_000;

/// Statuses of the replies, by status.
async fn reply_statuses(store: &Store) -> Vec<(String, i64)> {
    let mut counts = std::collections::BTreeMap::new();
    let page = store
        .events_after(shared::Seq(0), 100_000)
        .await
        .expect("events");
    let queued: Vec<String> = page
        .iter()
        .filter(|e| e.kind == "message.queued")
        .filter_map(|e| e.payload["message"].as_str().map(str::to_owned))
        .collect();
    for message in queued {
        let status = store
            .message_status(message.parse().expect("id"))
            .await
            .expect("status")
            .map(|s| s.0)
            .unwrap_or_default();
        *counts.entry(status).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

async fn sigterm_during_callbacks_and_replies_loses_nothing_and_sends_nothing_twice(
    backend: Backend,
) {
    let fake = Arc::new(FakeWeChat::start("127.0.0.1:0").await.expect("fake"));
    let Process {
        db,
        mut server,
        base,
        path,
        port,
        token,
    } = process_with_channel(backend, &fake, (APP_ID, SECRET, TOKEN), (ADMIN, PASSWORD)).await;

    let simulator = Simulator::new(
        SimulatorConfig::new(
            format!("{base}{path}"),
            OriginalId::new("gh_sigterm"),
            AppId::new(APP_ID),
            TOKEN,
            "",
            Mode::Plain,
        )
        .fake(fake.clone()),
    )
    .expect("simulator");
    let followers: Vec<OpenId> = (0..FOLLOWERS)
        .map(|n| OpenId::new(format!("oSigterm{n:020}")))
        .collect();
    // Each follower writes first, so each has a conversation with an open window.
    for follower in &followers {
        let report = simulator
            .send(follower, Activity::Text("請問我嘅申請進度".into()))
            .await
            .expect("push");
        assert!(report.delivered());
    }

    // 200 replies, each of which WeChat takes 40 ms to accept: they are
    // still going out when the server is told to stop.
    let client = reqwest::Client::new();
    let page: Value = client
        .get(format!("{base}/api/v1/conversations?limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let conversations: Vec<String> = page["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(conversations.len(), FOLLOWERS);
    for _ in 0..FOLLOWERS {
        fake.delay_next(paths::CUSTOM_SEND, Duration::from_millis(40));
    }
    for conversation in &conversations {
        let queued = client
            .post(format!(
                "{base}/api/v1/conversations/{conversation}/messages"
            ))
            .bearer_auth(&token)
            .json(&json!({ "text": "收到，我哋會盡快處理" }))
            .send()
            .await
            .expect("reply");
        assert_eq!(queued.status(), 202, "queue a reply");
    }

    // 1,800 more callbacks, 32 at a time, with SIGTERM in the middle.
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let pushes = {
        let simulator = simulator.clone();
        let followers = followers.clone();
        let acknowledged = acknowledged.clone();
        tokio::spawn(async move {
            use futures::StreamExt;
            futures::stream::iter(FOLLOWERS..CALLBACKS)
                .map(|n| {
                    let simulator = simulator.clone();
                    let follower = followers[n % FOLLOWERS].clone();
                    let acknowledged = acknowledged.clone();
                    async move {
                        let text = format!("補充資料 #{n}");
                        let push = simulator
                            .push(&follower, Activity::Text(text.clone()))
                            .expect("push");
                        if simulator.deliver(&push).await.delivered() {
                            acknowledged.lock().expect("set").insert(text);
                        }
                    }
                })
                .buffer_unordered(32)
                .collect::<Vec<()>>()
                .await;
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let pid = server.0.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    let exited = tokio::task::spawn_blocking(move || {
        let status = server.0.wait();
        (server, status)
    })
    .await
    .expect("wait");
    let (stopped, status) = exited;
    drop(stopped);
    assert!(
        status.expect("exit status").success(),
        "harbour exits cleanly on SIGTERM"
    );
    pushes.await.expect("pushes");

    let store = Store::connect(&db.url, &StoreOptions { max_connections: 2 })
        .await
        .expect("store");
    let statuses = reply_statuses(&store).await;
    assert!(
        !statuses
            .iter()
            .any(|(s, _)| s == "unknown" || s == "sending"),
        "a clean stop leaves no reply unknown: {statuses:?}"
    );
    let stored: Vec<(String,)> = db
        .query("SELECT body FROM messages WHERE direction = 'in' AND body LIKE '補充資料%'")
        .await;
    let stored: HashSet<String> = stored.into_iter().map(|(body,)| body).collect();
    let acknowledged = acknowledged.lock().expect("set").clone();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert!(
        acknowledged.len() > 100,
        "the stop came while callbacks were arriving ({} acknowledged)",
        acknowledged.len()
    );

    // After a restart the rest go out, each exactly once.
    let _server = serve(&db, port);
    wait_healthy(&base).await;
    for _ in 0..600 {
        let statuses = reply_statuses(&store).await;
        if statuses == [("sent".to_owned(), FOLLOWERS as i64)] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        reply_statuses(&store).await,
        [("sent".to_owned(), FOLLOWERS as i64)]
    );
    for follower in &followers {
        assert_eq!(fake.received(follower).len(), 1, "{follower:?}");
    }
}
