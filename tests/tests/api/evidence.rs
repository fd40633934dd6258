//! The record as evidence: the event table refuses changes, servers sign
//! checkpoints and copy them out of the database, and `audit verify` with
//! the outside copy catches what someone with full write access to the
//! database could do to the log.

use super::cli::{harbour, run};
use harbour_server::checkpoints::{self, Checkpoint, CheckpointKey, CHECKPOINT_KIND};
use harbour_server::store::events::{chain_hash, payload_digest, Canonical, GENESIS_HASH};
use harbour_tests::app::spawn_app_on;
use harbour_tests::db::write_test_events;
use harbour_tests::{on_both_backends, Backend, TestDb};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

on_both_backends!(
    the_event_table_refuses_changes_except_a_tombstone,
    a_server_signs_checkpoints_and_copies_them_out,
    audit_verify_with_the_outside_copy_catches_each_tamper,
    a_witness_that_is_down_is_retried_and_never_blocks_the_log,
);

async fn the_event_table_refuses_changes_except_a_tombstone(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    write_test_events(&store, 5).await;
    for sql in [
        "UPDATE events SET kind = 'forged' WHERE seq = 2",
        "UPDATE events SET payload = '{\"i\":99}' WHERE seq = 2",
        "UPDATE events SET payload = '{\"tombstone\":{}}', payload_sha256 = 'ab' WHERE seq = 2",
        "UPDATE events SET seq = 100 WHERE seq = 5",
        "DELETE FROM events WHERE seq = 5",
        "DELETE FROM events",
    ] {
        let refused = db.try_execute(sql).await.expect_err(sql);
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    if backend == Backend::Postgres {
        let refused = db
            .try_execute("TRUNCATE events")
            .await
            .expect_err("truncate");
        assert!(refused.contains("append-only"), "{refused}");
    }
    // The one change allowed: a payload replaced by a tombstone, its digest kept.
    assert!(store
        .tombstone_event(3, "retention")
        .await
        .expect("tombstone"));
    let payload: Vec<(String,)> = db.query("SELECT payload FROM events WHERE seq = 3").await;
    assert!(payload[0].0.contains("tombstone"), "{payload:?}");
    // Only that exact shape: no forged text riding on a tombstone.
    for forged in [
        r#"{"tombstone":{"reason":"x"},"text":"forged"}"#,
        r#"{"tombstone":{"reason":"x","text":"forged"}}"#,
        r#"{"tombstone":1}"#,
    ] {
        let sql = format!("UPDATE events SET payload = '{forged}' WHERE seq = 3");
        let refused = db.try_execute(&sql).await.expect_err(&sql);
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    let report = store.verify_chain().await.expect("verify");
    assert_eq!((report.checked, report.fault), (5, None));
}

async fn a_server_signs_checkpoints_and_copies_them_out(backend: Backend) {
    let key = CheckpointKey::from_seed([9; 32]);
    let db = TestDb::new(backend).await;
    let dir = db.data_dir().join("worm");
    let app = spawn_app_on(db, |config| {
        config.checkpoints.every_events = 5;
        config.checkpoints.dir = dir.clone();
        config.checkpoints.key = key.clone();
    })
    .await;
    // Every five events…
    write_test_events(&app.store, 6).await;
    let first = wait_for_checkpoints(&app.store, 1).await.remove(0);
    assert!(first.body.tree_size >= 5, "{first:?}");
    assert!(first.verify_signature(&key.public()));
    // …or a minute (on the server's clock) after the last, when anything happened.
    write_test_events(&app.store, 1).await;
    app.clock.advance(61_000);
    let second = wait_for_checkpoints(&app.store, 2).await.remove(1);
    assert!(second.consistent_with(&first), "{second:?}");
    // Nothing new: no checkpoint of a checkpoint.
    app.clock.advance(61_000);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(checkpoints_in_log(&app.store).await.len(), 2);
    // And once more when the server stops (after its last requests and job).
    write_test_events(&app.store, 2).await;
    app.final_checkpoint.begin();
    let last = wait_for_checkpoints(&app.store, 3).await.remove(2);
    assert_eq!(
        last.body.tree_size,
        app.store.head().await.expect("head").0 as u64 - 1
    );
    // Each is in the directory too, one JSON line each.
    let mut in_dir = Vec::new();
    for _ in 0..50 {
        in_dir = checkpoints::read_dir(&dir).expect("read dir");
        if in_dir.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(in_dir, checkpoints_in_log(&app.store).await);
}

async fn checkpoints_in_log(store: &harbour_server::store::Store) -> Vec<Checkpoint> {
    store
        .events_after(shared::Seq(0), 100_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == CHECKPOINT_KIND)
        .map(|e| serde_json::from_value(e.payload).expect("checkpoint"))
        .collect()
}

async fn wait_for_checkpoints(store: &harbour_server::store::Store, n: usize) -> Vec<Checkpoint> {
    for _ in 0..100 {
        let found = checkpoints_in_log(store).await;
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} checkpoints after 10 s");
}

/// Seven teams made from the command line, with a checkpoint after the
/// fourth and the seventh: events 1–4, checkpoint 5, events 6–8,
/// checkpoint 9. Returns the public key as printed.
fn a_log_with_two_checkpoints(db: &TestDb) -> String {
    let cli = |args: &[&str]| {
        let mut command = harbour(db);
        command.args(args);
        let (code, stdout, stderr) = run(command, None);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        stdout
    };
    for (i, team) in ["A", "B", "C", "D", "E", "F", "G"].iter().enumerate() {
        cli(&["team", "create", "--name", team]);
        if i == 3 || i == 6 {
            cli(&["audit", "checkpoint"]);
        }
    }
    let printed = cli(&["audit", "public-key"]);
    let key = printed.lines().next().expect("key line").to_owned();
    assert!(key.starts_with("ed25519:"), "{printed}");
    assert!(printed.contains("key id "), "{printed}");
    key
}

/// `audit verify --checkpoints DIR --public-key K`: exit code and output.
fn verify(db: &TestDb, key: &str) -> (i32, String) {
    let mut command = harbour(db);
    let dir = db.data_dir().join("checkpoints");
    command.args(["audit", "verify", "--checkpoints"]);
    command.arg(dir).args(["--public-key", key]);
    let (code, stdout, stderr) = run(command, None);
    (code, format!("{stdout}{stderr}"))
}

/// Rewrites every link of the chain from the rows as they are now, and the
/// head, as an attacker who read the format would.
async fn rechain(db: &TestDb) {
    type Row = (i64, i64, String, Option<String>, Option<String>, String);
    let rows: Vec<Row> = db
        .query("SELECT seq, at, kind, actor, team, payload FROM events ORDER BY seq")
        .await;
    let mut hash = GENESIS_HASH.to_owned();
    for (seq, at, kind, actor, team, payload) in rows {
        let digest = payload_digest(&payload);
        hash = chain_hash(
            &hash,
            &Canonical {
                seq,
                at,
                kind: &kind,
                actor: actor.as_deref(),
                team: team.as_deref(),
                payload_sha256: digest.clone(),
            },
        );
        db.tamper(&format!(
            "UPDATE events SET hash = '{hash}', payload_sha256 = '{digest}' WHERE seq = {seq}"
        ))
        .await;
        db.tamper(&format!(
            "UPDATE event_head SET seq = {seq}, hash = '{hash}'"
        ))
        .await;
    }
}

async fn audit_verify_with_the_outside_copy_catches_each_tamper(backend: Backend) {
    // Intact: the log, both checkpoints in it and in the directory.
    let db = TestDb::new(backend).await;
    let key = a_log_with_two_checkpoints(&db);
    let (code, out) = verify(&db, &key);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 9 events"), "{out}");
    assert!(
        out.contains("2 checkpoints in the log and 2 in the directory"),
        "{out}"
    );

    // The last three events deleted and the head moved back: the chain is
    // whole, but the directory's checkpoint of 8 events is not.
    let db = TestDb::new(backend).await;
    let key = a_log_with_two_checkpoints(&db);
    db.tamper("DELETE FROM events WHERE seq > 6").await;
    db.tamper("UPDATE event_head SET seq = 6, hash = (SELECT hash FROM events WHERE seq = 6)")
        .await;
    let (code, out) = verify(&db, &key);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("ends at seq 6") && out.contains("seq 7 to 8 were deleted"),
        "{out}"
    );

    // One payload rewritten and the chain rebuilt: the first checkpoint no
    // longer matches, and says where the bad event is.
    let db = TestDb::new(backend).await;
    let key = a_log_with_two_checkpoints(&db);
    db.tamper("UPDATE events SET payload = replace(payload, '\"B\"', '\"X\"') WHERE seq = 2")
        .await;
    rechain(&db).await;
    let mut plain = harbour(&db);
    plain.args(["audit", "verify"]);
    let (code, _, stderr) = run(plain, None);
    assert_eq!(
        code, 2,
        "even without the directory, the log's own checkpoints catch it: {stderr}"
    );
    let (code, out) = verify(&db, &key);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("does not match") && out.contains("from seq 1 to 4"),
        "{out}"
    );

    // Two rows swapped: the chain names the first.
    let db = TestDb::new(backend).await;
    let key = a_log_with_two_checkpoints(&db);
    for sql in [
        "UPDATE events SET seq = 100 WHERE seq = 2",
        "UPDATE events SET seq = 2 WHERE seq = 3",
        "UPDATE events SET seq = 3 WHERE seq = 100",
    ] {
        db.tamper(sql).await;
    }
    let (code, out) = verify(&db, &key);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("broken at seq 2"), "{out}");

    // A checkpoint file removed.
    let db = TestDb::new(backend).await;
    let key = a_log_with_two_checkpoints(&db);
    for entry in std::fs::read_dir(db.data_dir().join("checkpoints")).expect("dir") {
        std::fs::remove_file(entry.expect("entry").path()).expect("remove");
    }
    let (code, out) = verify(&db, &key);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not in"), "{out}");

    // The signing key replaced, and a checkpoint signed with the new one.
    let db = TestDb::new(backend).await;
    let key = a_log_with_two_checkpoints(&db);
    std::fs::remove_file(db.data_dir().join("checkpoint.key")).expect("remove key");
    let mut command = harbour(&db);
    command.args(["team", "create", "--name", "H"]);
    assert_eq!(run(command, None).0, 0);
    // Harbour itself refuses to sign the log's checkpoints with another key…
    let mut command = harbour(&db);
    command.args(["audit", "checkpoint"]);
    let (code, _, stderr) = run(command, None);
    assert_ne!(code, 0);
    assert!(stderr.contains("checkpoint key"), "{stderr}");
    // …so the attacker also removes the record of the key, and signs.
    db.execute("DELETE FROM harbour_settings WHERE name = 'checkpoint_key_id'")
        .await;
    let mut command = harbour(&db);
    command.args(["audit", "checkpoint"]);
    let (code, _, stderr) = run(command, None);
    assert_eq!(code, 0, "{stderr}");
    let (code, out) = verify(&db, &key);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not signed by key"), "{out}");
}

async fn a_witness_that_is_down_is_retried_and_never_blocks_the_log(backend: Backend) {
    // A witness that refuses until told to accept, and keeps what it accepts.
    let accepting = Arc::new(AtomicUsize::new(0));
    let received: Arc<Mutex<Vec<Checkpoint>>> = Arc::default();
    let witness = axum::Router::new().route(
        "/witness",
        axum::routing::post({
            let (accepting, received) = (accepting.clone(), received.clone());
            move |axum::Json(checkpoint): axum::Json<Checkpoint>| async move {
                if accepting.load(Ordering::SeqCst) == 0 {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                received.lock().expect("lock").push(checkpoint);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/witness", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, witness).await });

    let key = CheckpointKey::from_seed([5; 32]);
    let db = TestDb::new(backend).await;
    let app = spawn_app_on(db, |config| {
        config.checkpoints.every_events = 3;
        config.checkpoints.witness_url = Some(url);
        config.checkpoints.key = key.clone();
    })
    .await;
    write_test_events(&app.store, 4).await;
    wait_for_checkpoints(&app.store, 1).await;
    // The log goes on while the witness is down, and /readyz says so.
    write_test_events(&app.store, 4).await;
    wait_for_checkpoints(&app.store, 2).await;
    let details = readyz_until(&app, |body| body.contains("checkpoint witness")).await;
    assert!(details.starts_with("ready\n"), "{details}");
    // Back up: every checkpoint arrives, in order, and /readyz is plain again.
    accepting.store(1, Ordering::SeqCst);
    readyz_until(&app, |body| body == "ready").await;
    let got = received.lock().expect("lock").clone();
    assert_eq!(got, checkpoints_in_log(&app.store).await);
    assert!(got.iter().all(|c| c.verify_signature(&key.public())));
}

async fn readyz_until(app: &harbour_tests::TestApp, done: impl Fn(&str) -> bool) -> String {
    // The witness is retried after 1, 2, 4, 8… s: allow a few rounds.
    for _ in 0..400 {
        let response = app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        let body = response.text().await.expect("body");
        if done(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/readyz never said what was expected");
}
