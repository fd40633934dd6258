//! Working side by side, on both backends: presence and the reply lock over
//! the socket (with take-over in the timeline and replies refused while
//! another agent holds the lock), the recent-reply confirmation, canned
//! responses, contact profiles, and CJK search, each scoped to the
//! user's teams.

use harbour_tests::desk::{act, conversation_of, desk, post, push, timeline, Desk};
use harbour_tests::socket::{hello, next_message, send, Socket};
use harbour_tests::{on_both_backends, Backend, TestApp};
use serde_json::{json, Value};
use shared::ws::{ClientMessage, ServerMessage};
use shared::{ConversationId, Role, Seq, UserId};

on_both_backends!(
    one_agent_replies_at_a_time_and_a_take_over_is_logged,
    canned_responses_are_personal_or_kept_by_the_team,
    contact_profiles_are_edited_with_validation,
    search_finds_either_script_within_the_users_teams,
    a_team_search_reads_past_other_teams_matches,
    a_seeded_desk_is_scoped_and_searchable,
);

/// Waits until this socket's view of `conversation` has `holder` holding
/// the reply lock (or nobody, for `None`).
async fn until_holder(socket: &mut Socket, conversation: ConversationId, holder: Option<&UserId>) {
    let wanted = holder.map(ToString::to_string);
    while presence(socket, conversation).await.1 != wanted {}
}

/// Several PostgreSQL nodes share presence: an agent on one node sees a
/// colleague on another viewing and holding the reply lock, is refused a
/// reply while it is held, can take it over (and then the colleague is
/// refused), and sees it go when the holder's socket closes.
#[tokio::test]
async fn presence_and_the_reply_lock_span_postgres_nodes() {
    if !harbour_tests::db::postgres_available().await {
        return;
    }
    let Desk {
        app,
        admin,
        path_a,
        team_a,
        ..
    } = desk(Backend::Postgres).await;
    let other = app
        .second_node(|config| {
            config.run_workers = false;
            config.secret_key = harbour_server::config::Secret::new(harbour_tests::desk::KEY);
        })
        .await;
    let (amy, amy_token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (ken, ken_token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    push(&app, &path_a, "oTwoNodes", 1, "請問幾時還款？").await;
    let id = conversation_of(&app, &admin, "oTwoNodes").await;
    let (mut amy_socket, _, _) = hello(&app, &amy_token, Seq(0)).await;
    let (mut ken_socket, _, _) = hello(&other, &ken_token, Seq(0)).await;

    send(
        &mut amy_socket,
        &ClientMessage::Viewing {
            conversation: Some(id),
        },
    )
    .await;
    send(&mut amy_socket, &ClientMessage::Lock { conversation: id }).await;
    until_holder(&mut ken_socket, id, Some(&amy.id)).await;
    let (status, refused) = reply(&other, &ken_token, id, "我來答", false).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("reply_locked")),
        "{refused}"
    );

    send(
        &mut ken_socket,
        &ClientMessage::TakeOver { conversation: id },
    )
    .await;
    until_holder(&mut amy_socket, id, Some(&ken.id)).await;
    let (status, refused) = reply(&app, &amy_token, id, "Monday", false).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("reply_locked")),
        "{refused}"
    );
    let (status, body) = reply(&other, &ken_token, id, "我來答：下星期一", false).await;
    assert_eq!(status, 202, "{body}");

    drop(ken_socket);
    until_holder(&mut amy_socket, id, None).await;
}

/// The next presence message about `conversation` (other messages
/// skipped): the viewers' ids and the lock holder's id.
async fn presence(
    socket: &mut Socket,
    conversation: ConversationId,
) -> (Vec<String>, Option<String>) {
    while let Some(message) = next_message(socket).await {
        if let ServerMessage::Presence {
            conversation: c,
            viewers,
            lock,
            ..
        } = message
        {
            if c == conversation {
                return (
                    viewers.into_iter().map(|p| p.id.to_string()).collect(),
                    lock.map(|l| l.holder.id.to_string()),
                );
            }
        }
    }
    panic!("the socket closed before a presence message");
}

async fn reply(
    app: &TestApp,
    token: &str,
    id: ConversationId,
    text: &str,
    confirm: bool,
) -> (u16, Value) {
    post(
        app,
        &format!("/api/v1/conversations/{id}/messages"),
        token,
        &json!({ "text": text, "confirm_recent": confirm }),
    )
    .await
}

async fn one_agent_replies_at_a_time_and_a_take_over_is_logged(backend: Backend) {
    let Desk {
        app,
        admin,
        path_a,
        team_a,
        team_b,
        ..
    } = desk(backend).await;
    let (amy, amy_token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (ken, ken_token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, bob_token) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    push(&app, &path_a, "oWaiting", 1, "請問幾時還款？").await;
    let id = conversation_of(&app, &admin, "oWaiting").await;
    let (mut amy_socket, _, _) = hello(&app, &amy_token, Seq(0)).await;
    let (mut ken_socket, _, _) = hello(&app, &ken_token, Seq(0)).await;
    let (mut bob_socket, _, _) = hello(&app, &bob_token, Seq(0)).await;

    // Amy opens it and starts a reply: Ken sees her viewing, then holding the lock.
    send(
        &mut amy_socket,
        &ClientMessage::Viewing {
            conversation: Some(id),
        },
    )
    .await;
    assert_eq!(
        presence(&mut ken_socket, id).await,
        (vec![amy.id.to_string()], None)
    );
    send(&mut amy_socket, &ClientMessage::Lock { conversation: id }).await;
    assert_eq!(
        presence(&mut ken_socket, id).await.1,
        Some(amy.id.to_string())
    );
    // Bob, of another team, can neither join in nor learn anything.
    send(&mut bob_socket, &ClientMessage::Lock { conversation: id }).await;

    // Ken cannot send while Amy holds the lock, nor take it by asking.
    let (status, refused) = reply(&app, &ken_token, id, "我來答", false).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("reply_locked")),
        "{refused}"
    );
    assert!(refused["message"]
        .as_str()
        .unwrap_or_default()
        .contains(&amy.name));
    send(&mut ken_socket, &ClientMessage::Lock { conversation: id }).await;
    assert_eq!(
        presence(&mut ken_socket, id).await.1,
        Some(amy.id.to_string())
    );

    // Ken takes over explicitly: logged, and now Amy is the one refused.
    send(
        &mut ken_socket,
        &ClientMessage::TakeOver { conversation: id },
    )
    .await;
    let mut holder = None;
    while holder != Some(ken.id.to_string()) {
        holder = presence(&mut amy_socket, id).await.1;
    }
    let (status, body) = reply(&app, &ken_token, id, "我來答：下星期一", false).await;
    assert_eq!(status, 202, "{body}");
    let (status, refused) = reply(&app, &amy_token, id, "Monday", false).await;
    assert_eq!(refused["code"], "reply_locked", "{status}");
    let entries = timeline(&app, &admin, id).await;
    assert!(
        entries.contains(&(
            "activity".into(),
            format!("{} took over the reply from {}", ken.name, amy.name)
        )),
        "{entries:?}"
    );

    // The lock dies with its holder's socket.
    drop(ken_socket);
    let mut holder = Some(String::new());
    while holder.is_some() {
        holder = presence(&mut amy_socket, id).await.1;
    }
    // Amy may send now, but Ken replied seconds ago: she confirms first.
    let (status, asked) = reply(&app, &amy_token, id, "Monday", false).await;
    assert_eq!(
        (status, asked["code"].as_str()),
        (409, Some("recent_reply")),
        "{asked}"
    );
    let (status, _) = reply(&app, &amy_token, id, "Monday", true).await;
    assert_eq!(status, 202);

    // Bob received no presence of team A's conversation at all.
    send(&mut bob_socket, &ClientMessage::Ping).await;
    loop {
        match next_message(&mut bob_socket).await {
            Some(ServerMessage::Pong) | None => break,
            Some(ServerMessage::Presence { conversation, .. }) => {
                panic!("Bob saw presence of {conversation}")
            }
            Some(_) => {}
        }
    }
    let _ = act;
}

async fn canned_responses_are_personal_or_kept_by_the_team(backend: Backend) {
    let Desk {
        app,
        admin,
        team_a,
        team_b,
        ..
    } = desk(backend).await;
    let (_, amy) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, ken) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, boss) = app
        .user_with_role(&admin, Role::Supervisor, &[team_a])
        .await;
    let (_, other_boss) = app
        .user_with_role(&admin, Role::Supervisor, &[team_b])
        .await;
    let (_, auditor) = app.user_with_role(&admin, Role::Compliance, &[]).await;
    let path = "/api/v1/canned-responses";
    let mine = json!({ "shortcut": "/Hi", "title": "Greeting", "body": "你好 {{contact.name}}，我係 {{agent.name}}" });
    let (status, personal) = post(&app, path, &amy, &mine).await;
    assert_eq!(
        (status, personal["shortcut"].as_str()),
        (201, Some("hi")),
        "{personal}"
    );
    assert_eq!(
        post(&app, path, &amy, &mine).await.0,
        409,
        "the same shortcut twice"
    );
    assert_eq!(
        post(&app, path, &ken, &mine).await.0,
        201,
        "Ken's own /hi is fine"
    );
    let (status, bad) = post(
        &app,
        path,
        &amy,
        &json!({ "shortcut": "x", "title": "X", "body": "{{contact.secret}}" }),
    )
    .await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("body")));
    let team = json!({ "shortcut": "hours", "title": "Hours", "body": "We open 9:00–18:00.", "team": team_a });
    assert_eq!(
        post(&app, path, &amy, &team).await.0,
        403,
        "agents keep only their own"
    );
    assert_eq!(
        post(&app, path, &other_boss, &team).await.0,
        403,
        "another team's supervisor"
    );
    let (status, shared_one) = post(&app, path, &boss, &team).await;
    assert_eq!(status, 201);
    assert_eq!(post(&app, path, &auditor, &mine).await.0, 403);

    let shortcuts = |list: Value| -> Vec<String> {
        list.as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|c| c["shortcut"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(shortcuts(app.get_json(path, &amy).await.1), ["hi", "hours"]);
    assert_eq!(
        shortcuts(app.get_json(path, &other_boss).await.1),
        Vec::<String>::new()
    );
    // Amy cannot change the team's, nor Ken Amy's; the supervisor can.
    let one = format!("{path}/{}", shared_one["id"].as_str().unwrap_or_default());
    let edit = json!({ "shortcut": "hours", "title": "Hours", "body": "We open 9:00–19:00.", "team": team_a });
    let patch = |token: &str| {
        app.client
            .patch(app.url(&one))
            .bearer_auth(token.to_owned())
            .json(&edit)
            .send()
    };
    assert_eq!(patch(&amy).await.expect("patch").status(), 404);
    assert_eq!(patch(&boss).await.expect("patch").status(), 200);
    let amys = format!("{path}/{}", personal["id"].as_str().unwrap_or_default());
    let delete = |token: &str| {
        app.client
            .delete(app.url(&amys))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(delete(&ken).await.expect("delete").status(), 404);
    assert_eq!(delete(&amy).await.expect("delete").status(), 204);
}

async fn contact_profiles_are_edited_with_validation(backend: Backend) {
    let Desk {
        app,
        admin,
        path_a,
        team_a,
        team_b,
        ..
    } = desk(backend).await;
    let (_, amy) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, bob) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    let (_, auditor) = app.user_with_role(&admin, Role::Compliance, &[]).await;
    push(&app, &path_a, "oProfile", 1, "hello").await;
    let id = conversation_of(&app, &admin, "oProfile").await;
    let (_, summary) = app
        .get_json(&format!("/api/v1/conversations/{id}"), &amy)
        .await;
    let contact = format!(
        "/api/v1/contacts/{}",
        summary["contact_id"].as_str().unwrap_or_default()
    );
    let (status, profile) = app.get_json(&contact, &amy).await;
    assert_eq!(
        (status, profile["open_id"].as_str()),
        (200, Some("oProfile"))
    );
    assert_eq!(profile["conversations"][0]["id"], id.to_string());
    assert_eq!(app.get_json(&contact, &bob).await.0, 404);

    let patch = |token: &str, body: Value| {
        app.client
            .patch(app.url(&contact))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let edit = json!({ "name": "陳大文", "phone": "+852 9123 4567", "email": "tai.man@example.com",
                       "external_ids": { "crm": "C-1001" }, "attributes": { "policy": "life", "vip": true }, "tags": ["VIP"] });
    let saved: Value = patch(&amy, edit)
        .await
        .expect("patch")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            saved["name"].as_str(),
            saved["external_ids"]["crm"].as_str()
        ),
        (Some("陳大文"), Some("C-1001"))
    );
    for (field, body) in [
        ("phone", json!({ "phone": "call me" })),
        ("email", json!({ "email": "nobody" })),
        (
            "attributes",
            json!({ "attributes": { "nested": { "no": 1 } } }),
        ),
        ("tags", json!({ "tags": [""] })),
    ] {
        let response = patch(&amy, body).await.expect("patch");
        assert_eq!(response.status(), 422, "{field}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["field"], field);
    }
    // Clearing a field with null; nothing else changes.
    let cleared: Value = patch(&amy, json!({ "email": null }))
        .await
        .expect("patch")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (cleared["email"].clone(), cleared["phone"].as_str()),
        (Value::Null, Some("+852 9123 4567"))
    );
    assert_eq!(
        patch(&bob, json!({ "name": "x" }))
            .await
            .expect("patch")
            .status(),
        404
    );
    assert_eq!(
        patch(&auditor, json!({ "name": "x" }))
            .await
            .expect("patch")
            .status(),
        403
    );
    let kinds = super::auth::event_kinds(&app).await;
    assert_eq!(kinds.iter().filter(|k| *k == "contact.updated").count(), 2);

    // Found by the CRM's id (how the portal opens a client), within the
    // user's teams only, and only by an exact match.
    let lookup = |system: &str, external: &str| {
        format!("/api/v1/contacts/by-external-id?system={system}&id={external}")
    };
    let (status, found) = app.get_json(&lookup("crm", "C-1001"), &amy).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["open_id"], "oProfile");
    assert_eq!(found["conversations"][0]["id"], id.to_string());
    for (who, path) in [
        (&bob, lookup("crm", "C-1001")),
        (&amy, lookup("crm", "C-100")),
        (&amy, lookup("crm", "C-1001%25")),
        (&amy, lookup("erp", "C-1001")),
    ] {
        assert_eq!(app.get_json(&path, who).await.0, 404, "{path}");
    }
    let (status, body) = app
        .get_json("/api/v1/contacts/by-external-id?system=crm", &amy)
        .await;
    assert_eq!(status, 400, "{body}");
}

async fn search_finds_either_script_within_the_users_teams(backend: Backend) {
    let Desk {
        app,
        admin,
        path_a,
        path_b,
        team_a,
        team_b,
        ..
    } = desk(backend).await;
    let (_, amy) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, bob) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    push(&app, &path_a, "oLoan", 1, "你好，我想問還款日期").await;
    push(&app, &path_a, "oLoan", 2, "ＨＥＬＬＯ，my Claim number").await;
    push(&app, &path_b, "oClaims", 3, "还款计划").await;
    let found = |token: &str, q: &str| {
        let url = format!("/api/v1/search?q={}", urlencode(q));
        let token = token.to_owned();
        let app = &app;
        async move {
            let (status, body) = app.get_json(&url, &token).await;
            assert_eq!(status, 200, "{body}");
            let bodies: Vec<String> = body["messages"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|m| m["body"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (bodies, body)
        }
    };
    for q in ["還款", "还款", "还款日期", "問"] {
        assert_eq!(found(&amy, q).await.0, ["你好，我想問還款日期"], "{q}");
    }
    assert_eq!(
        found(&amy, "hello").await.0,
        ["ＨＥＬＬＯ，my Claim number"]
    );
    assert_eq!(
        found(&amy, "CLAIM").await.0,
        ["ＨＥＬＬＯ，my Claim number"]
    );
    assert!(
        found(&amy, "款还").await.0.is_empty(),
        "characters in the wrong order"
    );
    assert_eq!(
        found(&bob, "還款").await.0,
        ["还款计划"],
        "Bob sees only team B"
    );
    let (everything, _) = found(&admin, "还款").await;
    assert_eq!(everything.len(), 2);
    // A hit links to the message in its conversation.
    let (_, body) = found(&amy, "還款").await;
    let hit = &body["messages"][0];
    let conversation = hit["conversation_id"].as_str().unwrap_or_default();
    let (_, messages) = app
        .get_json(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &amy,
        )
        .await;
    assert!(messages
        .as_array()
        .is_some_and(|l| l.iter().any(|m| m["position"] == hit["position"])));
    // Contacts by WeChat id, scoped the same way.
    let (_, body) = found(&amy, "oLoan").await;
    assert_eq!(body["contacts"][0]["open_id"], "oLoan");
    let (_, body) = found(&bob, "oLoan").await;
    assert_eq!(body["contacts"], json!([]));
    let (status, _) = app.get_json("/api/v1/search?q=", &amy).await;
    assert_eq!(status, 422);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn a_seeded_desk_is_scoped_and_searchable(backend: Backend) {
    let Desk { app, admin, .. } = desk(backend).await;
    let secrets = harbour_server::secrets::SecretBox::new(&[13; 32]);
    let options = harbour_server::seed::SeedOptions {
        conversations: 120,
        messages: 1_000,
        teams: 3,
        agents_per_team: 2,
        ..Default::default()
    };
    let seeded = harbour_server::seed::seed(&app.store, &secrets, app.clock.now(), &options)
        .await
        .expect("seed");
    assert_eq!((seeded.conversations, seeded.messages), (120, 1_000));
    let (email, team) = seeded.agents[0].clone();
    let session: Value = app
        .login_with(&app.new_client(), &email, &options.password)
        .await
        .json()
        .await
        .expect("session");
    let agent = session["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, page) = app
        .get_json(
            "/api/v1/conversations?status=open,pending,snoozed,resolved&limit=500",
            &agent,
        )
        .await;
    let seen = page["conversations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(seen.len(), 40, "one team of three");
    assert!(seen.iter().all(|c| c["team"] == team.to_string().as_str()));
    let (_, all) = app
        .get_json(
            "/api/v1/conversations?status=open,pending,snoozed,resolved&limit=500",
            &admin,
        )
        .await;
    assert_eq!(all["conversations"].as_array().map(Vec::len), Some(120));
    let (_, found) = app
        .get_json("/api/v1/search?q=%E8%BF%98%E6%AC%BE&limit=100", &agent)
        .await;
    let hits = found["messages"].as_array().cloned().unwrap_or_default();
    assert!(!hits.is_empty(), "还款 finds 還款 in seeded text");
    let mine: Vec<&str> = seen.iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(hits
        .iter()
        .all(|h| mine.contains(&h["conversation_id"].as_str().unwrap_or_default())));
}

/// A word common in another team: the search reads the index window after
/// window (keyset, not OFFSET) until it finds this team's few matches.
async fn a_team_search_reads_past_other_teams_matches(backend: Backend) {
    let Desk {
        app,
        admin,
        path_a,
        path_b,
        team_b,
        ..
    } = desk(backend).await;
    let (_, bob) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    push(&app, &path_b, "oClaimsOld", 1, "理賠 還款 進度").await;
    // 1,200 newer matches in the other team: more than two windows of the index.
    use futures::StreamExt;
    futures::stream::iter(0..1_200u64)
        .map(|n| {
            let (app, path) = (&app, &path_a);
            async move {
                push(
                    app,
                    path,
                    &format!("oLoans{}", n % 40),
                    10 + n,
                    &format!("還款 #{n}"),
                )
                .await
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    let (status, found) = app
        .get_json("/api/v1/search?q=%E9%82%84%E6%AC%BE&limit=5", &bob)
        .await;
    assert_eq!(status, 200);
    let bodies: Vec<&str> = found["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(bodies, ["理賠 還款 進度"]);
}
