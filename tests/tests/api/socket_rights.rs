//! The live socket follows the user's rights, not their first message:
//! deactivation, signing out, a password reset and an expired token end
//! it; losing a team re-filters it at once; after a transfer the old team
//! replays none of the conversation and hears none of its presence; and a
//! client too far behind is told to reload. Over a real socket, both backends.

use harbour_tests::app::spawn_app_on;
use harbour_tests::app::PASSWORD;
use harbour_tests::desk::{act, conversation_of, desk, post, push, Desk};
use harbour_tests::socket::{hello, next_message, open, send, Socket};
use harbour_tests::{on_both_backends, Backend, TestApp, TestDb};
use serde_json::json;
use shared::api::{Event, Session};
use shared::ws::{ClientMessage, ServerMessage};
use shared::{ConversationId, Role, Seq};
use std::time::Duration;

on_both_backends!(
    a_deactivated_user_is_cut_off_at_once,
    signing_out_ends_that_sign_in_and_nothing_else,
    a_password_reset_ends_every_sign_in,
    losing_a_team_refilters_the_socket_at_once,
    an_expired_token_closes_the_socket_unless_renewed_in_band,
    after_a_transfer_the_old_team_replays_none_of_the_conversation,
    after_a_transfer_presence_is_heard_only_by_the_new_team,
    a_client_too_far_behind_is_told_to_resync,
);

/// Reads until the server closes with a reason; its code.
async fn closing_code(socket: &mut Socket) -> Option<String> {
    while let Some(message) = next_message(socket).await {
        if let ServerMessage::Closing { code, .. } = message {
            return Some(code);
        }
    }
    None
}

/// Everything the socket says for `wait`, without waiting longer.
async fn drain(socket: &mut Socket, wait: Duration) -> Vec<ServerMessage> {
    let mut heard = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(message)) = tokio::time::timeout_at(deadline, next_message(socket)).await {
        heard.push(message);
    }
    heard
}

/// Waits for the `message.received` event of `from`'s message; the events
/// before it.
async fn until_message_from(socket: &mut Socket, text: &str) -> Vec<Event> {
    let mut seen = Vec::new();
    while let Some(message) = next_message(socket).await {
        if let ServerMessage::Event { event } = message {
            let done = event.kind == "message.received" && event.payload["body"] == text;
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
    panic!("the socket closed before {text:?} arrived; it saw {seen:?}");
}

fn about(event: &Event, conversation: ConversationId) -> bool {
    event.payload["conversation"] == conversation.to_string()
}

/// Signs `email` in on a client of its own (with its refresh cookie).
async fn sign_in(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = app.new_client();
    let session: Session = app
        .login_with(&client, email, PASSWORD)
        .await
        .json()
        .await
        .expect("session");
    (client, session.access_token)
}

async fn a_deactivated_user_is_cut_off_at_once(backend: Backend) {
    let Desk {
        app, admin, team_a, ..
    } = desk(backend).await;
    let (amy, token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (mut socket, _, _) = hello(&app, &token, Seq(0)).await;
    app.update_user(&admin, amy.id, json!({ "active": false }))
        .await;
    assert_eq!(
        closing_code(&mut socket).await.as_deref(),
        Some("account_disabled")
    );
}

async fn signing_out_ends_that_sign_in_and_nothing_else(backend: Backend) {
    let Desk {
        app,
        admin,
        team_a,
        path_a,
        ..
    } = desk(backend).await;
    let (amy, _) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (laptop, laptop_token) = sign_in(&app, &amy.email).await;
    let (_, phone_token) = sign_in(&app, &amy.email).await;
    let (mut on_laptop, _, _) = hello(&app, &laptop_token, Seq(0)).await;
    let (mut on_phone, _, _) = hello(&app, &phone_token, Seq(0)).await;
    let out = laptop
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 204);
    assert_eq!(
        closing_code(&mut on_laptop).await.as_deref(),
        Some("unauthenticated")
    );
    // The signed-out access token is refused by the API too, at once.
    let (status, body) = app.get_json("/api/v1/me", &laptop_token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    // Amy's other sign-in carries on.
    assert_eq!(app.get_json("/api/v1/me", &phone_token).await.0, 200);
    push(&app, &path_a, "oAfterLogout", 1, "仲喺度嗎？").await;
    until_message_from(&mut on_phone, "仲喺度嗎？").await;
}

async fn a_password_reset_ends_every_sign_in(backend: Backend) {
    let Desk {
        app, admin, team_a, ..
    } = desk(backend).await;
    let (amy, token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, second) = sign_in(&app, &amy.email).await;
    let (mut first_socket, _, _) = hello(&app, &token, Seq(0)).await;
    let (mut second_socket, _, _) = hello(&app, &second, Seq(0)).await;
    let (status, _) = post(
        &app,
        &format!("/api/v1/users/{}/password", amy.id),
        &admin,
        &json!({ "password": "a brand new passphrase" }),
    )
    .await;
    assert!((200..300).contains(&status), "reset answered {status}");
    for socket in [&mut first_socket, &mut second_socket] {
        assert_eq!(
            closing_code(socket).await.as_deref(),
            Some("unauthenticated")
        );
    }
    assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401);
}

async fn losing_a_team_refilters_the_socket_at_once(backend: Backend) {
    let Desk {
        app,
        admin,
        team_a,
        team_b,
        path_a,
        path_b,
        ..
    } = desk(backend).await;
    let (amy, token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (mut socket, _, _) = hello(&app, &token, Seq(0)).await;
    push(&app, &path_a, "oLoans", 1, "loans before").await;
    until_message_from(&mut socket, "loans before").await;
    // Amy moves from Loans to Claims: the same socket, filtered anew.
    app.update_user(&admin, amy.id, json!({ "teams": [team_b] }))
        .await;
    push(&app, &path_a, "oLoans", 2, "loans after").await;
    push(&app, &path_b, "oClaims", 1, "claims after").await;
    let seen = until_message_from(&mut socket, "claims after").await;
    assert!(
        !seen.iter().any(|e| e.payload["body"] == "loans after"),
        "a team Amy left still reached her socket: {seen:?}"
    );
}

async fn an_expired_token_closes_the_socket_unless_renewed_in_band(backend: Backend) {
    let Desk {
        app, admin, team_a, ..
    } = desk(backend).await;
    let (amy, token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (mut idle, _, _) = hello(&app, &token, Seq(0)).await;
    let (mut renewed, _, _) = hello(&app, &token, Seq(0)).await;
    app.clock.advance(10 * 60_000);
    let (_, fresh) = sign_in(&app, &amy.email).await;
    send(&mut renewed, &ClientMessage::Reauth { token: fresh }).await;
    // Answered in order: once the pong is back, the new token is in use.
    send(&mut renewed, &ClientMessage::Ping).await;
    let heard = drain(&mut renewed, Duration::from_millis(300)).await;
    assert!(heard.iter().any(|m| matches!(m, ServerMessage::Pong)));
    // Past the first token's 15 minutes.
    app.clock.advance(6 * 60_000);
    assert_eq!(
        closing_code(&mut idle).await.as_deref(),
        Some("token_expired")
    );
    send(&mut renewed, &ClientMessage::Ping).await;
    let heard = drain(&mut renewed, Duration::from_millis(500)).await;
    assert!(
        heard.iter().any(|m| matches!(m, ServerMessage::Pong)),
        "the renewed socket stays open: {heard:?}"
    );
    assert!(!heard
        .iter()
        .any(|m| matches!(m, ServerMessage::Closing { .. })));
    // And it too ends when the renewed token runs out, unless renewed again.
    app.clock.advance(10 * 60_000);
    assert_eq!(
        closing_code(&mut renewed).await.as_deref(),
        Some("token_expired")
    );
}

async fn after_a_transfer_the_old_team_replays_none_of_the_conversation(backend: Backend) {
    let Desk {
        app,
        admin,
        team_a,
        team_b,
        path_a,
        ..
    } = desk(backend).await;
    let (_, amy) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, ken) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    let (_, kim) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    push(&app, &path_a, "oMoving", 1, "我嘅保單有問題").await;
    let id = conversation_of(&app, &admin, "oMoving").await;
    let (status, _) = post(
        &app,
        &format!("/api/v1/conversations/{id}/notes"),
        &amy,
        &json!({ "text": "客人想問理賠，應該轉去 Claims" }),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = act(
        &app,
        &admin,
        id,
        json!({ "action": "transfer", "team": team_b }),
    )
    .await;
    assert_eq!(status, 200);
    push(&app, &path_a, "oMoving", 2, "轉咗之後嘅訊息").await;
    // Ken opens it: who viewed what is Ken's own business, not his team's.
    let (status, _) = post(
        &app,
        &format!("/api/v1/conversations/{id}/read"),
        &ken,
        &json!({}),
    )
    .await;
    assert!((200..300).contains(&status), "read answered {status}");

    // Loans learns only that the conversation left: none of its messages or notes.
    let (_, replayed, _) = hello(&app, &amy, Seq(0)).await;
    let leaked: Vec<&Event> = replayed
        .iter()
        .filter(|e| about(e, id) && e.payload["action"] != "transferred")
        .collect();
    assert!(leaked.is_empty(), "Loans replayed {leaked:?}");
    assert!(
        replayed
            .iter()
            .any(|e| about(e, id) && e.payload["action"] == "transferred"),
        "Loans hears that it left"
    );
    let (_, replayed, _) = hello(&app, &kim, Seq(0)).await;
    let viewed: Vec<&Event> = replayed
        .iter()
        .filter(|e| e.kind == "conversation.viewed")
        .collect();
    assert!(viewed.is_empty(), "Kim replayed Ken's views: {viewed:?}");
    let (_, replayed, _) = hello(&app, &ken, Seq(0)).await;
    let kinds: Vec<&str> = replayed
        .iter()
        .filter(|e| about(e, id))
        .map(|e| e.kind.as_str())
        .collect();
    assert!(
        kinds.iter().filter(|k| **k == "message.received").count() == 2
            && kinds.contains(&"note.added"),
        "Claims sees the whole conversation: {kinds:?}"
    );
}

async fn after_a_transfer_presence_is_heard_only_by_the_new_team(backend: Backend) {
    let Desk {
        app,
        admin,
        team_a,
        team_b,
        path_a,
        ..
    } = desk(backend).await;
    let (amy, amy_token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, ken_token) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    push(&app, &path_a, "oPresence", 1, "你好").await;
    let id = conversation_of(&app, &admin, "oPresence").await;
    let (mut amy_socket, _, _) = hello(&app, &amy_token, Seq(0)).await;
    let (mut ken_socket, _, _) = hello(&app, &ken_token, Seq(0)).await;
    let viewing = ClientMessage::Viewing {
        conversation: Some(id),
    };
    send(&mut amy_socket, &viewing).await;
    drain(&mut amy_socket, Duration::from_millis(300)).await;
    let (status, _) = act(
        &app,
        &admin,
        id,
        json!({ "action": "transfer", "team": team_b }),
    )
    .await;
    assert_eq!(status, 200);
    drain(&mut amy_socket, Duration::from_millis(300)).await;
    send(&mut ken_socket, &viewing).await;
    send(
        &mut ken_socket,
        &ClientMessage::Typing {
            conversation: id,
            typing: true,
        },
    )
    .await;
    let ken_heard = drain(&mut ken_socket, Duration::from_millis(500)).await;
    let last = ken_heard
        .iter()
        .rev()
        .find_map(|m| match m {
            ServerMessage::Presence {
                conversation,
                viewers,
                typing,
                ..
            } if *conversation == id => Some((viewers.clone(), typing.clone())),
            _ => None,
        })
        .expect("Claims hears the conversation's presence");
    assert!(
        !last.0.iter().any(|p| p.id == amy.id),
        "Amy, who lost sight of it, is not listed as viewing: {last:?}"
    );
    assert_eq!(last.1.len(), 1, "Ken is typing");
    let amy_heard = drain(&mut amy_socket, Duration::from_millis(500)).await;
    assert!(
        !amy_heard.iter().any(
            |m| matches!(m, ServerMessage::Presence { conversation, .. } if *conversation == id)
        ),
        "Loans heard presence of a conversation now in Claims: {amy_heard:?}"
    );
}

async fn a_client_too_far_behind_is_told_to_resync(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app_on(db, |config| config.max_replay = 5).await;
    let admin = app.admin_token().await;
    for n in 0..6 {
        harbour_tests::desk::create_team(&app, &admin, &format!("Team {n}")).await;
    }
    let head = app.store.head().await.expect("head");
    let mut socket = open(&app).await;
    send(
        &mut socket,
        &ClientMessage::Hello {
            token: admin.clone(),
            last_seq: Seq(0),
        },
    )
    .await;
    assert!(matches!(
        next_message(&mut socket).await,
        Some(ServerMessage::Welcome { .. })
    ));
    assert_eq!(
        next_message(&mut socket).await,
        Some(ServerMessage::Resync { head })
    );
    assert_eq!(
        next_message(&mut socket).await,
        Some(ServerMessage::Live { head })
    );
    // Close enough behind, the missed events are replayed as before.
    let (_, replayed, _) = hello(&app, &admin, Seq(head.0 - 3)).await;
    assert_eq!(replayed.len(), 3);
}
