//! `cargo xtask bench export [--conversations N] [--messages M] [--client C]`:
//! on a seeded desk (default 100,000 conversations and 1,000,000 messages,
//! with a log of as many events) holding one client with 10,000 messages
//! over two channels and three years, on SQLite and on PostgreSQL:
//!
//! - the time from asking for that client's export (`POST /api/v1/exports`
//!   as compliance) to a finished bundle, as the requester waits for it,
//!   beside a plain read of the same rows (the client's events and
//!   messages) in the same run;
//! - `verify-export` of the bundle (what an outsider runs), beside the same
//!   plain read;
//! - the cost of recording reads: a timeline page and a queue page over
//!   HTTP on a server that records every read, against one that does not,
//!   alternated on the same database.

use crate::inbox::{arg, ms, timing, Timing};
use harbour_server::secrets::SecretBox;
use harbour_server::seed::{seed, SeedOptions};
use harbour_server::store::events::{append, NewEvent};
use harbour_server::store::inbox::{store_inbound_batch, Inbound, Written};
use harbour_server::store::Store;
use harbour_tests::app::{spawn_app_on, TestApp};
use harbour_tests::{Backend, TestDb};
use serde_json::{json, Value};
use shared::api::ExportView;
use shared::Role;
use std::time::{Duration, Instant};

const KEY: [u8; 32] = [23; 32];
const YEAR_MS: i64 = 365 * 24 * 3_600_000;
const EXPORT_RUNS: usize = 3;
const READ_SAMPLES: usize = 200;

pub async fn run(args: &[String]) {
    let options = SeedOptions {
        conversations: arg(args, "--conversations", 100_000),
        messages: arg(args, "--messages", 1_000_000),
        ..Default::default()
    };
    let client_messages = arg(args, "--client", 10_000);
    println!(
        "Data set: {} conversations and {} messages, a log of as many events, and one client with {client_messages} messages over two channels and three years.\n",
        options.conversations, options.messages
    );
    println!("| backend | measurement | p50 | baseline | baseline is | ratio |");
    println!("|---|---|---|---|---|---|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && !harbour_tests::db::postgres_available().await {
            continue;
        }
        one_backend(backend, &options, client_messages).await;
    }
}

fn row(backend: Backend, what: &str, t: Duration, baseline: Duration, baseline_is: &str) {
    println!(
        "| {backend:?} | {what} | {} | {} | {baseline_is} | {:.1} |",
        ms(t),
        ms(baseline),
        t.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
    );
}

async fn one_backend(backend: Backend, options: &SeedOptions, client_messages: usize) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let secrets = SecretBox::new(&KEY);
    let now = harbour_tests::app::test_start();
    let seeded = seed(&store, &secrets, now, options).await.expect("seed");
    let started = Instant::now();
    filler_events(&store, now, options.messages).await;
    let (contact, subjects) = client(&db, &store, now, client_messages).await;
    eprintln!(
        "{backend:?}: seeded in {:.1} s, the log and the client written in {:.1} s",
        seeded.seconds,
        started.elapsed().as_secs_f64()
    );

    // The seeded desk has users already, so the test admin is made here.
    let admin = shared::api::CreateUser {
        email: harbour_tests::app::ADMIN_EMAIL.into(),
        name: "Ada Admin".into(),
        role: Role::Admin,
        password: harbour_tests::app::PASSWORD.into(),
        teams: vec![],
    };
    harbour_server::accounts::create_user(&store, now, None, &admin)
        .await
        .expect("admin");
    // The export job runs as soon as it is asked for (the worker's idle
    // poll, up to 500 ms, is not the bundle's cost).
    let app = spawn_app_on(db, |config| {
        config.secret_key = harbour_server::config::Secret::new(KEY);
        config.run_workers = false;
    })
    .await;
    let admin = app.admin_token().await;
    let (_, officer) = app.user_with_role(&admin, Role::Compliance, &[]).await;

    // The plain read of the same rows: the client's events and messages.
    let conversations: Vec<String> = subjects[2..].to_vec();
    let plain = {
        let mut samples = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let head = store.head().await.expect("head").0;
            let events = store.subject_events(&subjects, head).await.expect("events");
            let messages = store
                .messages_of_conversations(&conversations)
                .await
                .expect("messages");
            assert!(events.len() >= client_messages && messages.len() >= client_messages);
            samples.push(started.elapsed());
        }
        timing(samples).p50
    };

    // The first export waits for the checkpointer to read the whole log.
    let started = Instant::now();
    let first = export(&app, &officer, &contact).await;
    eprintln!(
        "{backend:?}: first export (the checkpointer reading the log of {} events first) in {:.1} s",
        store.head().await.expect("head").0,
        started.elapsed().as_secs_f64()
    );
    let mut samples = Vec::new();
    let mut last = first;
    for _ in 0..EXPORT_RUNS {
        let started = Instant::now();
        last = export(&app, &officer, &contact).await;
        samples.push(started.elapsed());
    }
    let counts = last.counts.expect("counts");
    eprintln!(
        "{backend:?}: bundle of {} events and {} messages, {} bytes",
        counts.events,
        counts.messages,
        last.size.unwrap_or_default()
    );
    row(
        backend,
        "export: ask → bundle ready (job, checkpoint, proofs, ZIP, self-check)",
        timing(samples).p50,
        plain,
        "plain read of the client's events and messages",
    );

    let bundle = download(&app, &officer, &last).await;
    let key = app.exports.key.public();
    let mut samples = Vec::new();
    for _ in 0..EXPORT_RUNS {
        let started = Instant::now();
        let report = harbour_server::bundle::verify(&bundle, &key, None);
        samples.push(started.elapsed());
        assert!(report.is_ok(), "{}", report.summary());
    }
    row(
        backend,
        "verify-export of that bundle",
        timing(samples).p50,
        plain,
        "the same plain read",
    );

    reads_with_and_without_recording(backend, &app, &admin, &conversations[0]).await;
    app.shutdown.begin();
}

/// A log as long as the desk: events about the seeded conversations.
async fn filler_events(store: &Store, now: i64, count: usize) {
    let teams: Vec<shared::TeamId> = store
        .list_teams()
        .await
        .expect("teams")
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut conversations = Vec::new();
    for team in teams {
        conversations.extend(
            store
                .team_conversation_ids(team, 1_000)
                .await
                .expect("conversations"),
        );
    }
    let mut written = 0;
    while written < count {
        let events: Vec<NewEvent> = (written..(written + 1_000).min(count))
            .map(|i| {
                let conversation = conversations[i % conversations.len()];
                NewEvent::new(
                    "bench.filler",
                    None,
                    json!({ "conversation": conversation, "n": i }),
                )
            })
            .collect();
        written += events.len();
        let mut tx = store.begin().await.expect("begin");
        append(&mut tx, now - YEAR_MS, &events)
            .await
            .expect("append");
        store.commit(tx).await.expect("commit");
    }
}

/// One client on two channels (one unionid), writing `count` messages
/// spread over the last three years, through the store's ingest path;
/// their contact id, and the subjects (two contacts, two conversations).
async fn client(db: &TestDb, store: &Store, now: i64, count: usize) -> (String, Vec<String>) {
    let channels = store.list_channels().await.expect("channels");
    let start = now - 3 * YEAR_MS;
    let step = 3 * YEAR_MS / count as i64;
    let mut written = 0;
    while written < count {
        let batch: Vec<Inbound> = (written..(written + 10).min(count))
            .map(|i| {
                let channel = &channels[i % 2];
                let body = format!("第 {i} 次查詢：想問合約單據同還款日期 (message {i})");
                Inbound {
                    channel_id: channel.id,
                    team: channel.team,
                    open_id: format!("oBenchExportClient{}", i % 2),
                    dedupe_key: format!("bench-export-{i}"),
                    kind: "text".into(),
                    search_terms: harbour_server::search::index_terms(&body),
                    body: Some(body),
                    fields: json!({}),
                    opens_window: true,
                    subscribed: None,
                    media_id: None,
                }
            })
            .collect();
        let at = start + written as i64 * step;
        let pushes: Vec<&Inbound> = batch.iter().collect();
        let mut tx = store.begin().await.expect("begin");
        let stored = store_inbound_batch(&mut tx, at, &pushes)
            .await
            .expect("store")
            .expect("no copies");
        let events: Vec<NewEvent> = stored
            .into_iter()
            .filter_map(|w| match w {
                Written::New(_, event) => Some(event),
                Written::Seen => None,
            })
            .collect();
        append(&mut tx, at, &events).await.expect("append");
        store.commit(tx).await.expect("commit");
        written += batch.len();
    }
    db.execute(
        "UPDATE contacts SET union_id = 'uBenchExportClient' WHERE open_id LIKE 'oBenchExportClient%'",
    )
    .await;
    let rows: Vec<(String, String)> = db
        .query(
            "SELECT k.id, v.id FROM contacts k JOIN conversations v ON v.contact_id = k.id \
             WHERE k.open_id LIKE 'oBenchExportClient%' ORDER BY k.open_id",
        )
        .await;
    let contact = rows[0].0.clone();
    let subjects = rows
        .iter()
        .map(|r| r.0.clone())
        .chain(rows.iter().map(|r| r.1.clone()))
        .collect();
    (contact, subjects)
}

/// Asks for the client's export, runs the job at once and waits until the
/// bundle is ready.
async fn export(app: &TestApp, token: &str, contact: &str) -> ExportView {
    let (status, asked) = app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/exports",
            token,
            &json!({ "contact": contact, "reason": { "category": "internal_review", "text": "benchmark" } }),
        )
        .await;
    assert_eq!(status, 202, "{asked}");
    let id = asked["id"].as_str().expect("id").to_owned();
    let worker = app.worker(KEY);
    loop {
        worker.run_once().await.expect("the export job");
        let (_, export) = app.get_json(&format!("/api/v1/exports/{id}"), token).await;
        let export: ExportView = serde_json::from_value(export).expect("export");
        match export.status {
            shared::api::ExportStatus::Ready => return export,
            shared::api::ExportStatus::Failed => panic!("the export failed: {:?}", export.error),
            _ => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

async fn download(app: &TestApp, token: &str, export: &ExportView) -> std::path::PathBuf {
    let bytes = app.export_bundle(token, &export.id.to_string()).await;
    let path = app.db.data_dir().join("bench-bundle.zip");
    std::fs::write(&path, bytes).expect("save");
    path
}

/// A timeline page and a queue page over HTTP, on this server (which
/// records every read) and on a second node on the same database that
/// records none, alternated so load drift hits both.
async fn reads_with_and_without_recording(
    backend: Backend,
    app: &TestApp,
    admin: &str,
    conversation: &str,
) {
    let quiet = app
        .second_node(|config| {
            config.secret_key = harbour_server::config::Secret::new(KEY);
            config.record_reads = false;
        })
        .await;
    let quiet_admin = quiet.admin_token().await;
    for (what, path) in [
        (
            "timeline page of 50 over HTTP",
            format!("/api/v1/conversations/{conversation}/messages?limit=50"),
        ),
        (
            "queue page of 200 over HTTP",
            "/api/v1/conversations?queue=all&limit=200".to_owned(),
        ),
    ] {
        let (mut recorded, mut unrecorded) = (Vec::new(), Vec::new());
        for i in 0..READ_SAMPLES + 20 {
            for (node, token, samples) in [
                (app, admin, &mut recorded),
                (&quiet, quiet_admin.as_str(), &mut unrecorded),
            ] {
                let started = Instant::now();
                let (status, body): (u16, Value) = node.get_json(&path, token).await;
                let took = started.elapsed();
                assert_eq!(status, 200, "{body}");
                if i >= 20 {
                    samples.push(took);
                }
            }
        }
        let (recorded, unrecorded): (Timing, Timing) = (timing(recorded), timing(unrecorded));
        row(
            backend,
            &format!("{what}, reads recorded (p99 {})", ms(recorded.p99)),
            recorded.p50,
            unrecorded.p50,
            &format!("the same, not recorded (p99 {})", ms(unrecorded.p99)),
        );
    }
    quiet.shutdown.begin();
}
