//! A user's language is a profile setting on the server: set, read back,
//! reset to the browser's, recorded as an event of theirs, and refused
//! when Harbour does not speak it. Both backends.

use harbour_tests::{on_both_backends, spawn_app, Backend, TestApp};
use serde_json::{json, Value};
use shared::{Role, Seq};

on_both_backends!(a_user_picks_their_language_and_can_go_back_to_the_browsers);

async fn set(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .put(app.url("/api/v1/me/language"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("put language");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_user_picks_their_language_and_can_go_back_to_the_browsers(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (amy, token) = app.user_with_role(&admin, Role::Agent, &[]).await;
    let (_, me) = app.get_json("/api/v1/me", &token).await;
    assert_eq!(
        me["language"],
        Value::Null,
        "a new user follows the browser"
    );

    let (status, user) = set(&app, &token, json!({ "language": "zh-HK" })).await;
    assert_eq!((status, &user["language"]), (200, &json!("zh-HK")));
    let (_, me) = app.get_json("/api/v1/me", &token).await;
    assert_eq!(me["language"], "zh-HK");
    // Another user's setting is untouched.
    let (_, admin_me) = app.get_json("/api/v1/me", &admin).await;
    assert_eq!(admin_me["language"], Value::Null);

    for bad in [
        json!({ "language": "fr" }),
        json!({ "language": 3 }),
        json!({}),
    ] {
        let (status, body) = set(&app, &token, bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["code"], "bad_request", "{bad}");
        let (_, me) = app.get_json("/api/v1/me", &token).await;
        assert_eq!(me["language"], "zh-HK", "a refused change loses nothing");
    }

    let (status, user) = set(&app, &token, json!({ "language": null })).await;
    assert_eq!((status, &user["language"]), (200, &Value::Null));

    let changes: Vec<Value> = app
        .store
        .events_after(Seq(0), 1_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == "user.language_changed")
        .map(|e| {
            assert_eq!(e.actor, Some(amy.id), "the user's own change");
            e.payload["language"].clone()
        })
        .collect();
    assert_eq!(changes, vec![json!("zh-HK"), Value::Null]);
}
