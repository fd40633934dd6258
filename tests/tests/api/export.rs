//! One client's complete history as a verifiable bundle: compliance asks
//! with a reason, a job builds it under a checkpoint signed then, its
//! requester downloads it (an access event), and `verify-export` with only
//! the public key proves it, and names each change made to it.

use super::cli::{harbour, run};
use harbour_server::bundle;
use harbour_tests::desk::{act, conversation_of, desk, post, push, Desk, APP_A, KEY};
use harbour_tests::{on_both_backends, Backend, TestApp};
use serde_json::{json, Value};
use shared::api::{ExportStatus, ExportView};
use shared::{ConversationId, Role};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wechat::{AppId, OpenId};

on_both_backends!(
    compliance_finds_a_client_and_reads_their_whole_history,
    audit_verify_catches_an_event_hidden_from_the_index_by_client,
    compliance_exports_a_clients_history_that_verifies_without_harbour,
    each_change_to_a_bundle_is_named_by_verify_export,
);

const CLIENT: &str = "oExportClient000000000000001";
/// The same client on the Claims account (the same unionid).
const CLIENT_ELSEWHERE: &str = "oExportClient000000000000002";
const SOMEONE_ELSE: &str = "oExportOther0000000000000001";

/// A 4×4 blue PNG.
const PNG: &str = "89504e470d0a1a0a0000000d4948445200000004000000040802000000269309290000001049444154789c6390cfdf02470cc471000242142119472a690000000049454e44ae426082";

struct History {
    desk: Desk,
    conversation: ConversationId,
    compliance: String,
    compliance_email: String,
}

/// A client who wrote on both accounts, got a text and a picture back,
/// a note and an assignment; and someone else, who must not be exported.
async fn history(backend: Backend) -> History {
    let desk = desk(backend).await;
    let app = &desk.app;
    push(app, &desk.path_a, CLIENT, 1, "你好，我想問還款日期").await;
    push(
        app,
        &desk.path_b,
        CLIENT_ELSEWHERE,
        2,
        "Claim form 索償表格",
    )
    .await;
    push(app, &desk.path_a, SOMEONE_ELSE, 3, "not this client").await;
    desk.app
        .db
        .execute(&format!(
            "UPDATE contacts SET union_id = 'uExportClient1' WHERE open_id IN ('{CLIENT}', '{CLIENT_ELSEWHERE}')"
        ))
        .await;
    {
        use wechat::clock::Clock;
        desk.fake.record_follower_message(
            &AppId::new(APP_A),
            &OpenId::new(CLIENT),
            desk.fake.clock().now(),
        );
    }
    let conversation = conversation_of(app, &desk.admin, CLIENT).await;
    let (status, _) = act(app, &desk.admin, conversation, json!({ "action": "claim" })).await;
    assert_eq!(status, 200);
    let (status, body) = post(
        app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &desk.admin,
        &json!({ "text": "還款日期係每月15號 <b>", "confirm_recent": true }),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let picture = app
        .client
        .post(app.url(&format!(
            "/api/v1/conversations/{conversation}/images?confirm_recent=true"
        )))
        .bearer_auth(&desk.admin)
        .header("content-type", "image/png")
        .body(hex::decode(PNG).expect("png"))
        .send()
        .await
        .expect("image");
    assert_eq!(picture.status(), 202);
    let (status, body) = post(
        app,
        &format!("/api/v1/conversations/{conversation}/notes"),
        &desk.admin,
        &json!({ "text": "Client asked twice; checked the loan file." }),
    )
    .await;
    assert!(status == 200 || status == 201, "{body}");
    let worker = app.worker(KEY);
    for _ in 0..3 {
        worker.run_once().await.expect("send");
    }
    let (officer, compliance) = app.user_with_role(&desk.admin, Role::Compliance, &[]).await;
    // A read of the client, which the bundle lists among the accesses.
    let (status, _) = app
        .get_json(
            &format!("/api/v1/conversations/{conversation}"),
            &compliance,
        )
        .await;
    assert_eq!(status, 200);
    History {
        desk,
        conversation,
        compliance,
        compliance_email: officer.email,
    }
}

async fn contact_of(app: &TestApp, token: &str, conversation: ConversationId) -> String {
    let (_, summary) = app
        .get_json(&format!("/api/v1/conversations/{conversation}"), token)
        .await;
    summary["contact_id"].as_str().expect("contact").to_owned()
}

/// Asks for an export as `token`; the status and answer.
async fn ask(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    post(app, "/api/v1/exports", token, body).await
}

/// Runs the export job and waits for the bundle to be ready.
async fn build(app: &TestApp, token: &str, id: &str) -> ExportView {
    let worker = app.worker(KEY);
    for _ in 0..50 {
        worker.run_once().await.expect("export job");
        let (status, export) = app.get_json(&format!("/api/v1/exports/{id}"), token).await;
        assert_eq!(status, 200, "{export}");
        let export: ExportView = serde_json::from_value(export).expect("export");
        if export.status == ExportStatus::Ready {
            return export;
        }
        assert_ne!(export.status, ExportStatus::Failed, "{export:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the export was not built");
}

async fn download(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/exports/{id}/download")))
        .bearer_auth(token)
        .send()
        .await
        .expect("download")
}

/// The bundle of the client's history, built and downloaded by compliance.
async fn exported(history: &History) -> (PathBuf, ExportView) {
    let app = &history.desk.app;
    let contact = contact_of(app, &history.desk.admin, history.conversation).await;
    let (status, asked) = ask(
        app,
        &history.compliance,
        &json!({ "contact": contact, "reason": { "category": "regulator_request", "text": "SFC enquiry 2026/117" } }),
    )
    .await;
    assert_eq!(status, 202, "{asked}");
    let id = asked["id"].as_str().expect("id").to_owned();
    let export = build(app, &history.compliance, &id).await;
    let response = download(app, &history.compliance, &id).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.expect("bundle");
    let path = app.db.data_dir().join(format!("downloaded-{id}.zip"));
    std::fs::write(&path, &bytes).expect("save");
    (path, export)
}

fn public_key(app: &TestApp) -> harbour_server::checkpoints::PublicKey {
    app.exports.key.public()
}

async fn compliance_finds_a_client_and_reads_their_whole_history(backend: Backend) {
    let history = history(backend).await;
    let app = &history.desk.app;
    let contact = contact_of(app, &history.desk.admin, history.conversation).await;
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/contacts/{contact}"),
            &history.desk.admin,
            &json!({ "external_ids": { "crm": "C-7731" } }),
        )
        .await;
    assert_eq!(status, 200);
    // Found by CRM id, unionid, openid or message text, across teams.
    for query in ["C-7731", "uExportClient1", CLIENT, "還款日期"] {
        let (status, found) = app
            .get_json(
                &format!("/api/v1/search?q={}", urlencode(query)),
                &history.compliance,
            )
            .await;
        assert_eq!(status, 200, "{found}");
        let by_contact = found["contacts"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["contact_id"] == contact.as_str()));
        let by_message = found["messages"].as_array().is_some_and(|m| {
            m.iter()
                .any(|m| m["conversation_id"] == history.conversation.to_string())
        });
        assert!(by_contact || by_message, "{query}: {found}");
    }

    let path = format!("/api/v1/contacts/{contact}/history");
    let (status, body) = app.get_json(&path, &history.compliance).await;
    assert_eq!(status, 200, "{body}");
    let whole: shared::api::ClientHistory = serde_json::from_value(body).expect("history");
    assert_eq!(
        whole.contacts.len(),
        2,
        "both accounts: {:?}",
        whole.contacts
    );
    let kinds: Vec<&str> = whole.entries.iter().map(|e| e.kind.as_str()).collect();
    for kind in [
        "message.received",
        "message.queued",
        "message.status",
        "note.added",
        "conversation.updated",
        "access.conversation",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(
        whole.entries.windows(2).all(|w| w[0].seq > w[1].seq),
        "newest first"
    );
    let channels: std::collections::BTreeSet<_> = whole
        .entries
        .iter()
        .filter(|e| e.kind == "message.received")
        .filter_map(|e| e.channel_name.clone())
        .collect();
    assert_eq!(
        channels.len(),
        2,
        "messages from both accounts: {channels:?}"
    );
    let reply = whole
        .entries
        .iter()
        .find(|e| e.kind == "message.queued")
        .and_then(|e| e.message.clone())
        .expect("the reply");
    assert_eq!(
        reply.status,
        Some(shared::api::DeliveryState::Sent),
        "as it stands now"
    );
    assert!(
        !serde_json::to_string(&whole)
            .expect("json")
            .contains("not this client"),
        "nobody else's history"
    );

    // Pages, and a date range.
    let (_, page) = app
        .get_json(&format!("{path}?limit=3"), &history.compliance)
        .await;
    let page: shared::api::ClientHistory = serde_json::from_value(page).expect("page");
    assert_eq!(page.entries.len(), 3);
    let before = page.before.expect("more");
    let (_, older) = app
        .get_json(
            &format!("{path}?limit=3&before={before}"),
            &history.compliance,
        )
        .await;
    let older: shared::api::ClientHistory = serde_json::from_value(older).expect("page");
    assert!(older.entries.iter().all(|e| e.seq < before));
    let later = app.clock.now() + 1;
    let (_, none) = app
        .get_json(&format!("{path}?from={later}"), &history.compliance)
        .await;
    assert_eq!(none["entries"], json!([]), "{none}");
    let (status, _) = app
        .get_json(&format!("{path}?from={later}&to=0"), &history.compliance)
        .await;
    assert_eq!(status, 422);
}

/// A row removed from the index of events by client would hide an event
/// from the client's history and export: `audit verify` names it.
async fn audit_verify_catches_an_event_hidden_from_the_index_by_client(backend: Backend) {
    let history = history(backend).await;
    let app = &history.desk.app;
    // The command line with the desk's keys, as an operator runs it.
    let verify = || {
        let mut command = harbour(&app.db);
        command
            .args(["audit", "verify"])
            .env("HARBOUR_SECRET_KEY", hex::encode(KEY))
            .env(
                "HARBOUR_CHECKPOINT_KEY",
                hex::encode(harbour_server::config::test_checkpoint_seed(
                    &app.db.data_dir(),
                )),
            );
        run(command, None)
    };
    let (code, stdout, stderr) = verify();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows: Vec<(i64,)> = app
        .db
        .query("SELECT MAX(e.seq) FROM events e WHERE e.kind = 'message.received'")
        .await;
    let seq = rows[0].0;
    app.db
        .execute(&format!("DELETE FROM event_subjects WHERE seq = {seq}"))
        .await;
    let (code, _, stderr) = verify();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "index of events by client does not match the log at seq {seq}"
        )),
        "{stderr}"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn compliance_exports_a_clients_history_that_verifies_without_harbour(backend: Backend) {
    let history = history(backend).await;
    let app = &history.desk.app;
    let admin = &history.desk.admin;
    let contact = contact_of(app, admin, history.conversation).await;

    // Only compliance and admins may ask, and only with a reason.
    let (_, agent) = app
        .user_with_role(admin, Role::Agent, &[history.desk.team_a])
        .await;
    let reason = json!({ "category": "internal_review", "text": "Complaint 2026-12" });
    let (status, _) = ask(
        app,
        &agent,
        &json!({ "contact": contact, "reason": reason }),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = ask(
        app,
        &history.compliance,
        &json!({ "contact": contact, "reason": { "category": "litigation", "text": "  " } }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "reason.text");
    let (status, _) = ask(
        app,
        &history.compliance,
        &json!({ "contact": contact, "reason": { "category": "gossip", "text": "why not" } }),
    )
    .await;
    assert_eq!(status, 400);

    let (path, export) = exported(&history).await;
    let counts = export.counts.expect("counts");
    // Three messages in (two accounts), a text and a picture out, a note and an assignment line.
    assert!(counts.messages >= 6, "{counts:?}");
    assert_eq!(counts.media, 1, "{counts:?}");
    assert!(
        counts.accesses >= 2,
        "the read and the export itself: {counts:?}"
    );

    // The bundle proves itself with nothing but the public key.
    let key = public_key(app);
    let report = bundle::verify(&path, &key, None);
    assert!(report.is_ok(), "{}", report.summary());
    let files = unzip(&path);
    let messages = String::from_utf8_lossy(&files[bundle::MESSAGES]).into_owned();
    assert!(messages.contains("你好，我想問還款日期"));
    assert!(
        messages.contains("Claim form 索償表格"),
        "the same client on the other account"
    );
    assert!(
        !messages.contains("not this client"),
        "nobody else's messages"
    );
    let events = String::from_utf8_lossy(&files[bundle::EVENTS]).into_owned();
    assert!(
        events.contains("access.export"),
        "the export is in the record"
    );
    assert!(!events.contains("not this client"));
    let transcript = String::from_utf8_lossy(&files[bundle::TRANSCRIPT]).into_owned();
    assert!(
        transcript.contains("還款日期係每月15號 &lt;b&gt;"),
        "escaped text"
    );
    assert!(
        transcript.contains("<img src=\"media/"),
        "the picture inline"
    );
    assert!(transcript.contains("SFC enquiry 2026/117"));
    assert!(
        !transcript.contains("<script"),
        "no script in the transcript"
    );

    // And with the published checkpoint files, through the command an
    // outsider runs (the directory catches up within a second or so).
    let (mut code, mut stdout, mut stderr) = (-1, String::new(), String::new());
    for _ in 0..20 {
        let mut verify = harbour(&app.db);
        verify
            .args(["audit", "verify-export"])
            .arg(&path)
            .arg("--public-key")
            .arg(key.to_string())
            .arg("--checkpoints")
            .arg(app.db.data_dir().join("checkpoints"))
            // An outsider's machine: no database, no data dir.
            .env_remove("HARBOUR_DATABASE_URL")
            .env_remove("HARBOUR_DATA_DIR");
        (code, stdout, stderr) = run(verify, None);
        if code == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("OK: export"), "{stdout}");

    // The download was an access event; another admin cannot fetch it.
    let downloads = app.wait_for_events("access.export_download", 1).await;
    assert_eq!(downloads, 1, "the download is recorded once");
    let (_, other_admin) = app.user_with_role(admin, Role::Admin, &[]).await;
    let refused = download(app, &other_admin, &export.id.to_string()).await;
    assert_eq!(refused.status(), 404);
    let (_, listed) = app.get_json("/api/v1/exports", &other_admin).await;
    assert_eq!(listed, json!([]), "an admin lists only their own exports");

    // After its time it can no longer be downloaded.
    app.clock.advance(73 * 3_600_000);
    let session: shared::api::Session = app
        .login_with(
            &app.new_client(),
            &history.compliance_email,
            harbour_tests::app::PASSWORD,
        )
        .await
        .json()
        .await
        .expect("session");
    let expired = download(app, &session.access_token, &export.id.to_string()).await;
    assert_eq!(expired.status(), 409);
    // The sweep marks it expired and removes the file.
    let dir = harbour_server::exports::exports_dir(&app.db.data_dir());
    let file = harbour_server::exports::bundle_path(&dir, export.id);
    assert!(file.exists());
    harbour_server::exports::remove_expired(&app.store, app.clock.now(), &dir).await;
    assert!(!file.exists(), "the expired bundle is removed");
    let (_, body) = app
        .get_json(
            &format!("/api/v1/exports/{}", export.id),
            &session.access_token,
        )
        .await;
    assert_eq!(body["status"], "expired", "{body}");
    if let Ok(keep) = std::env::var("HARBOUR_KEEP_BUNDLE") {
        std::fs::copy(&path, keep).expect("keep the bundle");
    }
}

async fn each_change_to_a_bundle_is_named_by_verify_export(backend: Backend) {
    let history = history(backend).await;
    let (path, _) = exported(&history).await;
    let key = public_key(&history.desk.app);
    let files = unzip(&path);
    let dir = history.desk.app.db.data_dir();
    let media = files
        .keys()
        .find(|name| name.starts_with("media/"))
        .expect("a media file")
        .clone();

    let mut cases: Vec<(&str, Files, &str)> = Vec::new();
    let mut changed = files.clone();
    if let Some(bytes) = changed.get_mut(&media) {
        bytes[20] ^= 1;
    }
    cases.push(("a byte in a media file", changed, media.as_str()));

    let mut changed = files.clone();
    let events = String::from_utf8_lossy(&files[bundle::EVENTS]).into_owned();
    let mut lines: Vec<&str> = events.lines().collect();
    lines.remove(1);
    changed.insert(
        bundle::EVENTS.into(),
        format!("{}\n", lines.join("\n")).into_bytes(),
    );
    cases.push(("a line removed from events.jsonl", changed, bundle::EVENTS));

    let mut changed = files.clone();
    let mut lines: Vec<&str> = events.lines().collect();
    lines.swap(0, 1);
    changed.insert(
        bundle::EVENTS.into(),
        format!("{}\n", lines.join("\n")).into_bytes(),
    );
    cases.push(("two events reordered", changed, "reordered"));

    // An edited message, with the manifest's hashes redone to match: only
    // the signature (and the message's own event) can tell.
    let mut changed = files.clone();
    let messages = String::from_utf8_lossy(&files[bundle::MESSAGES])
        .replace("還款日期係每月15號", "還款日期係每月30號");
    changed.insert(bundle::MESSAGES.into(), messages.into_bytes());
    rehash(&mut changed);
    cases.push((
        "an edited message",
        changed,
        "its text differs from its event's",
    ));

    // A message left out, the hashes redone: its event still records it.
    let mut changed = files.clone();
    let messages = String::from_utf8_lossy(&files[bundle::MESSAGES]).into_owned();
    let kept: Vec<&str> = messages
        .lines()
        .filter(|line| !line.contains("還款日期係每月15號"))
        .collect();
    changed.insert(
        bundle::MESSAGES.into(),
        format!("{}\n", kept.join("\n")).into_bytes(),
    );
    rehash(&mut changed);
    cases.push(("a message removed", changed, "a message was removed"));

    // An entry that is not part of a bundle.
    let mut changed = files.clone();
    changed.insert("media/../../evil.sh".into(), b"#!/bin/sh".to_vec());
    cases.push(("a stray entry", changed, "not a file a bundle holds"));

    let mut changed = files.clone();
    let manifest = String::from_utf8_lossy(&files[bundle::MANIFEST])
        .replace("SFC enquiry 2026/117", "Routine review");
    changed.insert(bundle::MANIFEST.into(), manifest.into_bytes());
    cases.push(("a forged manifest", changed, "signature"));

    for (what, files, named) in cases {
        let tampered = dir.join("tampered.zip");
        zip_up(&tampered, &files);
        let report = bundle::verify(&tampered, &key, None);
        assert!(!report.is_ok(), "{what} went unnoticed");
        let summary = report.summary();
        assert!(summary.contains(named), "{what}: {summary}");
    }

    // Another key's bundle is not this firm's.
    let stranger = harbour_server::checkpoints::CheckpointKey::from_seed([77; 32]).public();
    let report = bundle::verify(&path, &stranger, None);
    assert!(!report.is_ok());
    assert!(
        report.summary().contains("signature"),
        "{}",
        report.summary()
    );
}

/// A bundle's entries by name.
type Files = BTreeMap<String, Vec<u8>>;

fn unzip(path: &Path) -> Files {
    let file = std::fs::File::open(path).expect("bundle");
    let mut archive = zip::ZipArchive::new(file).expect("zip");
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        files.insert(entry.name().to_owned(), bytes);
    }
    files
}

fn zip_up(path: &Path, files: &Files) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    for (name, bytes) in files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("finish");
}

/// Redoes the manifest's file hashes, as a forger would.
fn rehash(files: &mut Files) {
    use sha2::Digest;
    let mut manifest: Value = serde_json::from_slice(&files[bundle::MANIFEST]).expect("manifest");
    for (name, bytes) in files.iter() {
        if name != bundle::MANIFEST && name != bundle::SIGNATURE {
            manifest["files"][name] = json!(hex::encode(sha2::Sha256::digest(bytes)));
        }
    }
    files.insert(
        bundle::MANIFEST.into(),
        serde_json::to_vec_pretty(&manifest).expect("manifest"),
    );
}
