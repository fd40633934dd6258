//! The first admin's password is printed to a terminal at first start, so
//! that account must choose its own before it can do anything else: every
//! endpoint but `me` and the password change refuses it, the live socket
//! too, and the change ends its other sign-ins. Both backends.

use harbour_server::clock::Clock;
use harbour_tests::app::spawn_app_on;
use harbour_tests::socket::{next_message, open, send};
use harbour_tests::{on_both_backends, Backend, TestApp, TestDb};
use serde_json::{json, Value};
use shared::api::Session;
use shared::ws::{ClientMessage, ServerMessage};
use shared::Seq;

on_both_backends!(the_first_admin_must_choose_a_password_before_anything_else);

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Session {
    let response = app.login_with(&app.new_client(), email, password).await;
    assert_eq!(response.status(), 200, "sign in");
    response.json().await.expect("session")
}

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> (u16, Value) {
    harbour_tests::desk::post(
        app,
        "/api/v1/me/password",
        token,
        &json!({ "current_password": current, "new_password": new }),
    )
    .await
}

async fn the_first_admin_must_choose_a_password_before_anything_else(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let first = harbour_server::startup::create_first_admin(
        &store,
        &Clock::manual(harbour_tests::app::test_start()),
    )
    .await
    .expect("first admin")
    .expect("created");
    let app = spawn_app_on(db, |_| {}).await;

    let session = sign_in(&app, &first.email, &first.password).await;
    assert!(session.user.must_change_password);
    let token = session.access_token;
    let other = sign_in(&app, &first.email, &first.password)
        .await
        .access_token;
    for path in ["/api/v1/conversations", "/api/v1/users", "/api/v1/channels"] {
        let (status, body) = app.get_json(path, &token).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("password_change_required")),
            "{path}"
        );
    }
    let (status, me) = app.get_json("/api/v1/me", &token).await;
    assert_eq!(
        (status, me["must_change_password"].as_bool()),
        (200, Some(true))
    );
    // The live socket waits for the change too.
    let mut socket = open(&app).await;
    send(
        &mut socket,
        &ClientMessage::Hello {
            token: token.clone(),
            last_seq: Seq(0),
        },
    )
    .await;
    match next_message(&mut socket).await {
        Some(ServerMessage::Closing { code, .. }) => assert_eq!(code, "password_change_required"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // Bad changes say which field is wrong and change nothing.
    let (status, body) = change(&app, &token, "not the password", "a brand new passphrase").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("current_password"))
    );
    let (status, body) = change(&app, &token, &first.password, &first.password).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("new_password"))
    );
    let (status, body) = change(&app, &token, &first.password, "short").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("new_password"))
    );

    let (status, user) = change(&app, &token, &first.password, "a brand new passphrase").await;
    assert_eq!(
        (status, user["must_change_password"].as_bool()),
        (200, Some(false))
    );
    // This sign-in carries on; the other one, made with the printed password, ends.
    assert_eq!(app.get_json("/api/v1/conversations", &token).await.0, 200);
    assert_eq!(app.get_json("/api/v1/me", &other).await.0, 401);
    // The printed password no longer works; the new one does.
    let refused = app
        .login_with(&app.new_client(), &first.email, &first.password)
        .await;
    assert_eq!(refused.status(), 401);
    let again = sign_in(&app, &first.email, "a brand new passphrase").await;
    assert!(!again.user.must_change_password);
    let kinds: Vec<String> = app
        .store
        .events_after(Seq(0), 1_000)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"user.password_changed".to_owned()));
}

/// Wrong current passwords are limited like sign-ins.
#[tokio::test]
async fn guessing_the_current_password_is_throttled() {
    let app = harbour_tests::spawn_app(Backend::Sqlite).await;
    let token = app.admin_token().await;
    for _ in 0..5 {
        let (status, _) = change(&app, &token, "wrong guess here", "a brand new passphrase").await;
        assert_eq!(status, 422);
    }
    let (status, body) = change(
        &app,
        &token,
        harbour_tests::app::PASSWORD,
        "a brand new passphrase",
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_requests"))
    );
}
