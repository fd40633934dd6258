//! Every read of client data is an access event (who, role, what, when,
//! from where), exactly one per read, none for a refused read; and
//! compliance can ask who looked at a client.

use harbour_tests::desk::{conversation_of, desk, push};
use harbour_tests::{on_both_backends, Backend, TestApp};
use serde_json::{json, Value};
use shared::api::{AccessEntry, ConversationSummary};
use shared::Role;
use std::time::Duration;

on_both_backends!(
    every_read_of_client_data_is_recorded_once,
    compliance_sees_who_looked_at_a_client
);

/// The access events in the log, oldest first (read from the store, since
/// reading the log over HTTP is itself an access).
async fn accesses(app: &TestApp) -> Vec<shared::api::Event> {
    app.store
        .events_after(shared::Seq(0), 100_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind.starts_with("access."))
        .collect()
}

/// Waits for exactly one access event more than `before`, and gives it.
async fn the_one_new_access(app: &TestApp, before: usize) -> shared::api::Event {
    for _ in 0..100 {
        if accesses(app).await.len() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Whatever else the writer had would be committed by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut all = accesses(app).await;
    assert_eq!(
        all.len(),
        before + 1,
        "exactly one access: {:#?}",
        &all[before.min(all.len())..]
    );
    all.remove(before)
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    app.get_json(path, token).await
}

async fn every_read_of_client_data_is_recorded_once(backend: Backend) {
    let desk = desk(backend).await;
    let app = &desk.app;
    push(
        app,
        &desk.path_a,
        "oAccessFollower00000000000001",
        1,
        "想問還款日期",
    )
    .await;
    let conversation = conversation_of(app, &desk.admin, "oAccessFollower00000000000001").await;
    let (_, agent) = app
        .user_with_role(&desk.admin, Role::Agent, &[desk.team_a])
        .await;
    let (_, outsider) = app
        .user_with_role(&desk.admin, Role::Agent, &[desk.team_b])
        .await;
    let (status, summary) = get(
        app,
        &agent,
        &format!("/api/v1/conversations/{conversation}"),
    )
    .await;
    assert_eq!(status, 200);
    let summary: ConversationSummary = serde_json::from_value(summary).expect("summary");
    let contact = summary.contact_id;
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/contacts/{contact}"),
            &agent,
            &json!({ "external_ids": { "crm": "C-2041" } }),
        )
        .await;
    assert_eq!(status, 200);
    let mut seen = accesses(app).await.len() - 1;
    let first = accesses(app).await.remove(seen);
    assert_eq!(first.kind, "access.conversation");
    seen += 1;

    for (token, path, kind) in [
        (
            &agent,
            format!("/api/v1/conversations/{conversation}"),
            "access.conversation",
        ),
        (
            &agent,
            format!("/api/v1/conversations/{conversation}/messages"),
            "access.timeline",
        ),
        (
            &agent,
            format!("/api/v1/contacts/{contact}"),
            "access.contact",
        ),
        (
            &agent,
            "/api/v1/contacts/by-external-id?system=crm&id=C-2041".to_owned(),
            "access.contact",
        ),
        (
            &agent,
            "/api/v1/search?q=%E9%82%84%E6%AC%BE".to_owned(),
            "access.search",
        ),
        (
            &desk.admin,
            "/api/v1/events?after=0&limit=5".to_owned(),
            "access.events",
        ),
        (
            &desk.admin,
            "/api/v1/audit/verify".to_owned(),
            "access.audit_verify",
        ),
        (
            &desk.admin,
            format!("/api/v1/contacts/{contact}/accesses"),
            "access.accesses",
        ),
        (
            &desk.admin,
            format!("/api/v1/contacts/{contact}/history"),
            "access.history",
        ),
    ] {
        let (status, body) = get(app, token, &path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let access = the_one_new_access(app, seen).await;
        seen += 1;
        assert_eq!(access.kind, kind, "{path}");
        assert_eq!(
            access.payload["address"], "127.0.0.1",
            "{path}: {}",
            access.payload
        );
        assert!(access.actor.is_some() && access.team.is_none(), "{path}");
        if kind == "access.search" {
            assert_eq!(access.payload["query"], "還款");
            assert!(
                access.payload["hits"].as_u64().unwrap_or(0) >= 1,
                "{}",
                access.payload
            );
        }
        if kind == "access.timeline" {
            assert_eq!(access.payload["conversation"], json!(conversation));
            assert_eq!(access.payload["contact"], json!(contact));
            assert_eq!(access.payload["role"], "agent");
        }
    }

    // A refused read leaves nothing: the other team's agent gets a 404.
    for path in [
        format!("/api/v1/conversations/{conversation}"),
        format!("/api/v1/conversations/{conversation}/messages"),
        format!("/api/v1/contacts/{contact}"),
    ] {
        let (status, _) = get(app, &outsider, &path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = get(app, &agent, &format!("/api/v1/contacts/{contact}/accesses")).await;
    assert_eq!(status, 403, "agents do not see who looked");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        accesses(app).await.len(),
        seen,
        "no access recorded for refused reads"
    );
}

async fn compliance_sees_who_looked_at_a_client(backend: Backend) {
    let desk = desk(backend).await;
    let app = &desk.app;
    push(
        app,
        &desk.path_a,
        "oAccessFollower00000000000002",
        1,
        "我想查保單",
    )
    .await;
    let conversation = conversation_of(app, &desk.admin, "oAccessFollower00000000000002").await;
    let (agent_user, agent) = app
        .user_with_role(&desk.admin, Role::Agent, &[desk.team_a])
        .await;
    let (_, compliance) = app.user_with_role(&desk.admin, Role::Compliance, &[]).await;
    let (status, _) = get(
        app,
        &agent,
        &format!("/api/v1/conversations/{conversation}/messages"),
    )
    .await;
    assert_eq!(status, 200);
    let (_, summary) = get(
        app,
        &compliance,
        &format!("/api/v1/conversations/{conversation}"),
    )
    .await;
    let contact = summary["contact_id"].as_str().expect("contact").to_owned();
    let mut entries: Vec<AccessEntry> = Vec::new();
    for _ in 0..50 {
        let (status, body) = get(
            app,
            &compliance,
            &format!("/api/v1/contacts/{contact}/accesses"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        entries = serde_json::from_value(body).expect("entries");
        if entries.iter().any(|e| e.kind == "access.timeline") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let read = entries
        .iter()
        .find(|e| e.kind == "access.timeline")
        .expect("the agent's read is listed");
    assert_eq!(read.reader, agent_user.id);
    assert_eq!(read.reader_name, agent_user.name);
    assert_eq!(read.role, Role::Agent);
    assert_eq!(read.address, "127.0.0.1");
    assert_eq!(read.conversation, Some(conversation));
    assert!(
        entries.windows(2).all(|w| w[0].seq > w[1].seq),
        "newest first"
    );
}
