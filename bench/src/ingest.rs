//! `cargo xtask bench ingest`: signed and encrypted text callbacks from a
//! load generator against Harbour on SQLite (fully durable), Harbour on
//! PostgreSQL, and a bare axum handler that answers `success` without
//! crypto or storage, all in the same run; and WeCom Customer Service:
//! messages waiting in the fake WeCom, announced by one callback and
//! pulled with `kf/sync_msg` in pages of 1,000, from the callback to the
//! last one stored.

use futures::StreamExt;
use harbour_tests::app::spawn_app_on;
use harbour_tests::{Backend, TestDb};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wechat::fake::simulator::{Activity, Push, Simulator, SimulatorConfig};
use wechat::{AppId, Mode, OpenId, OriginalId};

pub(crate) const CALLBACKS: usize = 10_000;
const CONCURRENCY: usize = 32;
pub(crate) const APP_ID: &str = "wxbe4c4be4c4be4c4b";
pub(crate) const TOKEN: &str = "benchTokenHarbour1";
pub(crate) const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

pub(crate) struct Outcome {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// `kf_only`: the WeCom rows alone (beside the same baseline).
pub async fn run(kf_only: bool) {
    let baseline = bare_axum().await;
    println!("| target | callbacks/s | p50 | p99 | ratio to bare axum |");
    println!("|---|---|---|---|---|");
    print_row(
        "bare axum `success` (no crypto, no storage)",
        &baseline,
        &baseline,
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && !harbour_tests::db::postgres_available().await {
            continue;
        }
        if !kf_only {
            let outcome = harbour(backend).await;
            print_row(
                &format!("Harbour on {backend:?}, durable"),
                &outcome,
                &baseline,
            );
        }
        let pulled = harbour_kf(backend).await;
        println!(
            "| Harbour on {backend:?}, WeCom KF: {KF_MESSAGES} messages pulled after one callback | {:.0} messages/s | | | {:.3} |",
            pulled,
            pulled / baseline.per_second
        );
    }
}

/// Messages waiting in the fake WeCom for the KF row.
const KF_MESSAGES: usize = 10_000;

/// Messages per second from the callback that announces `KF_MESSAGES`
/// waiting messages to the last of them stored.
async fn harbour_kf(backend: Backend) -> f64 {
    use wechat::client::CorpSecret;
    use wechat::kf::KfCallbackConfig;
    use wechat::message::CorpId;
    const CORP_ID: &str = "wwbe4c4be4c4be4c4b";
    let db = TestDb::new(backend).await;
    let app = spawn_app_on(db, |_| {}).await;
    let fake = app.fake_wechat().await;
    let corp = CorpId::new(CORP_ID);
    fake.register_corp(&corp, &CorpSecret::new("bench-kf-secret"));
    let account = fake.add_kf_account(&corp, "Bench");
    let admin = app.admin_token().await;
    let (status, connected) = app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/channels/wecom-kf",
            &admin,
            &json!({ "name": "Bench KF", "corp_id": CORP_ID, "corp_secret": "bench-kf-secret",
                     "token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": fake.base_url() }),
        )
        .await;
    assert_eq!(status, 201, "{connected}");
    let channel: shared::ChannelId = connected["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a channel id");
    let customers: Vec<_> = (0..500)
        .map(|n| fake.add_kf_customer(&format!("客戶 {n}"), None))
        .collect();
    // Waiting before anyone listens: no callbacks yet.
    for n in 0..KF_MESSAGES {
        fake.kf_customer_says(
            &account,
            &customers[n % customers.len()],
            &format!("你好，我想問還款日期 {n}"),
        );
    }
    let path = connected["callback_path"].as_str().expect("a path");
    let config = KfCallbackConfig::new(TOKEN, AES_KEY, &corp).expect("config");
    fake.set_kf_callback(&corp, app.url(path), config);
    let started = Instant::now();
    fake.kf_customer_says(&account, &customers[0], "one more");
    let wanted = KF_MESSAGES as i64 + 1;
    loop {
        let stored = app
            .store
            .inbound_message_count(channel)
            .await
            .expect("count");
        if stored >= wanted {
            assert_eq!(stored, wanted, "every message stored once");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the pull stalled at {stored}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    wanted as f64 / started.elapsed().as_secs_f64()
}

fn print_row(name: &str, outcome: &Outcome, baseline: &Outcome) {
    println!(
        "| {name} | {:.0} | {:.1} ms | {:.1} ms | {:.3} |",
        outcome.per_second,
        outcome.p50.as_secs_f64() * 1000.0,
        outcome.p99.as_secs_f64() * 1000.0,
        outcome.per_second / baseline.per_second
    );
}

/// Pre-builds distinct pushes, so signing and encrypting is not measured.
/// `clock`: the receiver's, so the pushes are signed inside its timestamp window.
pub(crate) fn pushes(target: &str, clock: Arc<dyn wechat::clock::Clock>) -> Vec<Push> {
    let config = SimulatorConfig::new(
        target,
        OriginalId::new("gh_bench"),
        AppId::new(APP_ID),
        TOKEN,
        AES_KEY,
        Mode::Safe,
    )
    .seed(1)
    .clock(clock);
    let simulator = Simulator::new(config).expect("simulator");
    (0..CALLBACKS)
        .map(|i| {
            let from = OpenId::new(format!("oBenchFollower{:05}", i % 500));
            simulator
                .push(&from, Activity::Text(format!("你好，我想問還款日期 {i}")))
                .expect("push")
        })
        .collect()
}

pub(crate) async fn load(target: &str, pushes: Vec<Push>) -> Outcome {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures::stream::iter(pushes)
        .map(|push| {
            let client = client.clone();
            let url = format!("{target}?{}", push.query);
            async move {
                let t = Instant::now();
                let response = client
                    .post(url)
                    .body(push.body.clone())
                    .send()
                    .await
                    .expect("send");
                let ok = response.status() == 200
                    && response.text().await.unwrap_or_default() == "success";
                assert!(ok, "a callback was not acknowledged");
                t.elapsed()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Outcome {
        per_second: CALLBACKS as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

pub(crate) async fn bare_axum() -> Outcome {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = axum::Router::new().route(
        "/wechat/oa/{id}",
        axum::routing::post(|| async { "success" }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let target = format!("http://127.0.0.1:{port}/wechat/oa/bare");
    load(
        &target,
        pushes(&target, Arc::new(wechat::clock::SystemClock)),
    )
    .await
}

async fn harbour(backend: Backend) -> Outcome {
    let db = TestDb::new(backend).await;
    let app = spawn_app_on(db, |config| config.run_workers = false).await;
    let admin = app.admin_token().await;
    let channel = app.connect_official_account(&admin, &json!({ "name": "Bench", "app_id": APP_ID, "app_secret": "s", "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe" })).await;
    let target = app.url(&channel.callback_path);
    let outcome = load(&target, pushes(&target, app.wechat_clock())).await;
    let stored = app
        .store
        .inbound_message_count(channel.id)
        .await
        .expect("count");
    assert_eq!(
        stored, CALLBACKS as i64,
        "every acknowledged callback is stored"
    );
    outcome
}
