//! Official Account channels: connecting one (secrets sealed, never
//! returned), and the callback endpoint against every protocol vector,
//! over real HTTP, on both backends.

use harbour_tests::{on_both_backends, spawn_app, Backend, TestApp};
use serde_json::{json, Value};
use shared::api::Channel;
use shared::{ChannelId, Role};

on_both_backends!(
    an_admin_connects_an_account_and_its_secrets_never_come_back,
    every_encrypted_vector_is_stored_once_or_refused_with_nothing_written,
    plain_vectors_and_retried_deliveries_store_one_message_each,
    url_verification_echoes_only_correctly_signed_requests,
    concurrent_retries_of_one_push_store_one_message,
);

fn fixture(name: &str) -> Value {
    let path = format!("{}/../wechat/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture json")
}

const APP_SECRET: &str = "fixture-app-secret-do-not-leak";

async fn connect(app: &TestApp, token: &str, mode: &str) -> Channel {
    let account = &fixture("oa_encrypted_messages.json")["account"];
    let body = json!({
        "name": "HK Lending 公众号",
        "app_id": account["appid"],
        "app_secret": APP_SECRET,
        "token": account["token"],
        "encoding_aes_key": account["encoding_aes_key"],
        "mode": mode,
    });
    app.connect_official_account(token, &body).await
}

async fn post_push(app: &TestApp, path: &str, case: &Value) -> (u16, String) {
    let request = &case["request"];
    at_signing_time(app, request["query_string"].as_str().unwrap_or_default());
    let url = app.url(&format!(
        "{path}?{}",
        request["query_string"].as_str().unwrap_or_default()
    ));
    let response = app
        .client
        .post(url)
        .header("content-type", "text/xml")
        .body(request["body"].as_str().unwrap_or_default().to_owned())
        .send()
        .await
        .expect("push");
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// Moves the app's clock to when a vector was signed (2024): Harbour
/// refuses a push signed further than five minutes from its "now".
fn at_signing_time(app: &TestApp, query: &str) {
    let signed_at = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("timestamp="))
        .and_then(|t| t.parse::<i64>().ok());
    if let Some(signed_at) = signed_at {
        app.clock.advance(signed_at * 1000 - app.clock.now());
    }
}

async fn counts(app: &TestApp, channel: ChannelId) -> (i64, i64) {
    let messages = app
        .store
        .inbound_message_count(channel)
        .await
        .expect("count");
    (messages, app.store.head().await.expect("head").0)
}

async fn an_admin_connects_an_account_and_its_secrets_never_come_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = connect(&app, &admin, "safe").await;
    let account = &fixture("oa_encrypted_messages.json")["account"];
    assert_eq!(channel.callback_path, format!("/wechat/oa/{}", channel.id));
    let (status, listed) = app.get_json("/api/v1/channels", &admin).await;
    assert_eq!(status, 200);
    let events = serde_json::to_string(
        &app.store
            .events_after(shared::Seq(0), 1000)
            .await
            .expect("events"),
    )
    .expect("json");
    for secret in [
        APP_SECRET,
        account["encoding_aes_key"].as_str().unwrap_or("?"),
        account["token"].as_str().unwrap_or("?"),
    ] {
        for (what, text) in [
            (
                "create response",
                serde_json::to_string(&channel).expect("json"),
            ),
            ("list", listed.to_string()),
            ("event log", events.clone()),
        ] {
            assert!(!text.contains(secret), "{what} leaks a secret");
        }
    }
    // At rest the secrets are sealed, not stored as text.
    let sealed = app
        .store
        .channel_with_secrets(channel.id)
        .await
        .expect("query")
        .expect("row")
        .1;
    assert!(!sealed
        .windows(APP_SECRET.len())
        .any(|w| w == APP_SECRET.as_bytes()));

    // Connecting the same account twice is a conflict; bad input names the field.
    let again = app
        .client
        .post(app.url("/api/v1/channels/official-accounts"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "Again", "app_id": account["appid"], "app_secret": "x", "token": "abcdefabcdefabcdef", "encoding_aes_key": account["encoding_aes_key"], "mode": "safe" }))
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), 409);
    for (body, field) in [
        (
            json!({ "name": "X", "app_id": "wx2", "app_secret": "s", "token": "abcdefabcdefabcdef", "encoding_aes_key": "short", "mode": "safe" }),
            "encoding_aes_key",
        ),
        (
            json!({ "name": "X", "app_id": "wx2", "app_secret": "s", "token": "a b", "mode": "plain" }),
            "token",
        ),
        (
            json!({ "name": "X", "app_id": "wx 2", "app_secret": "s", "token": "abcdefabcdefabcdef", "mode": "plain" }),
            "app_id",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/channels/official-accounts"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 422);
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["field"], field);
    }

    // Only admins connect accounts; admins and supervisors may list them.
    for (role, list_status) in [
        (Role::Agent, 403),
        (Role::Supervisor, 200),
        (Role::Compliance, 403),
    ] {
        let (_, token) = app.user_with_role(&admin, role, &[]).await;
        assert_eq!(
            app.get_json("/api/v1/channels", &token).await.0,
            list_status,
            "list as {role}"
        );
        let create = app
            .client
            .post(app.url("/api/v1/channels/official-accounts"))
            .bearer_auth(&token)
            .json(&json!({ "name": "X", "app_id": "wx9", "app_secret": "s", "token": "abcdefabcdefabcdef", "mode": "plain" }))
            .send()
            .await
            .expect("post");
        assert_eq!(create.status(), 403, "create as {role}");
    }
    assert_eq!(
        app.client
            .get(app.url("/api/v1/channels"))
            .send()
            .await
            .expect("get")
            .status(),
        401
    );
}

async fn every_encrypted_vector_is_stored_once_or_refused_with_nothing_written(backend: Backend) {
    let vectors = fixture("oa_encrypted_messages.json");
    let cases = vectors["cases"].as_array().expect("cases");
    for mode in ["safe", "compatible"] {
        let app = spawn_app(backend).await;
        let admin = app.admin_token().await;
        let channel = connect(&app, &admin, mode).await;
        let id = channel.id;
        let path = format!("/wechat/oa/{id}");
        let mut accepted = 0;
        for case in cases.iter().filter(|c| c["mode"] == mode) {
            let before = counts(&app, id).await;
            let (status, body) = post_push(&app, &path, case).await;
            if case["kind"] == "negative" {
                assert!(
                    (400..500).contains(&status),
                    "{} answered {status}",
                    case["name"]
                );
                assert_eq!(
                    counts(&app, id).await,
                    before,
                    "{} wrote something",
                    case["name"]
                );
            } else {
                assert_eq!(
                    (status, body.as_str()),
                    (200, "success"),
                    "{}",
                    case["name"]
                );
                accepted += 1;
                assert_eq!(
                    counts(&app, id).await.0,
                    before.0 + 1,
                    "{} stored one message",
                    case["name"]
                );
            }
        }
        assert!(accepted > 0, "{mode} has vectors");
        // Replaying every accepted push stores nothing new.
        let before = counts(&app, id).await;
        for case in cases
            .iter()
            .filter(|c| c["mode"] == mode && c["kind"] != "negative")
        {
            assert_eq!(post_push(&app, &path, case).await.0, 200);
        }
        assert_eq!(counts(&app, id).await, before);
        assert_eq!(app.store.verify_chain().await.expect("verify").fault, None);
    }
}

async fn plain_vectors_and_retried_deliveries_store_one_message_each(backend: Backend) {
    let vectors = fixture("oa_plain_messages.json");
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = connect(&app, &admin, "plain").await;
    let id = channel.id;
    let path = format!("/wechat/oa/{id}");
    let by_name = |name: &str| {
        vectors["cases"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == name))
            .cloned()
            .expect("case")
    };
    for scenario in vectors["delivery_scenarios"].as_array().expect("scenarios") {
        let before = counts(&app, id).await.0;
        for delivery in scenario["deliveries"].as_array().expect("deliveries") {
            let (status, body) =
                post_push(&app, &path, &by_name(delivery.as_str().unwrap_or_default())).await;
            assert_eq!((status, body.as_str()), (200, "success"));
        }
        let stored = counts(&app, id).await.0 - before;
        assert_eq!(
            stored,
            scenario["expected_stored_records"].as_i64().unwrap_or(-1),
            "{}",
            scenario["name"]
        );
    }
    let mut distinct = 0;
    for case in vectors["cases"].as_array().expect("cases") {
        let before = counts(&app, id).await;
        let status = post_push(&app, &path, case).await.0;
        if case["kind"] == "negative" {
            assert!(
                (400..500).contains(&status),
                "{} answered {status}",
                case["name"]
            );
            assert_eq!(
                counts(&app, id).await,
                before,
                "{} wrote something",
                case["name"]
            );
        } else {
            assert_eq!(status, 200, "{}", case["name"]);
            distinct += 1;
        }
    }
    assert_eq!(
        counts(&app, id).await.0,
        distinct,
        "one message per distinct push"
    );
    // A plaintext push to a safe-mode account is refused.
    let safe_app = spawn_app(backend).await;
    let safe_admin = safe_app.admin_token().await;
    let safe = connect(&safe_app, &safe_admin, "safe").await;
    let (status, _) = post_push(
        &safe_app,
        &format!("/wechat/oa/{}", safe.id),
        &by_name("text"),
    )
    .await;
    assert_eq!(status, 400);
}

async fn url_verification_echoes_only_correctly_signed_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = connect(&app, &admin, "safe").await;
    let path = format!("/wechat/oa/{}", channel.id);
    for case in fixture("oa_verify.json")["cases"]
        .as_array()
        .expect("cases")
    {
        let url = app.url(&format!(
            "{path}?{}",
            case["request"]["query_string"].as_str().unwrap_or_default()
        ));
        let response = app.client.get(url).send().await.expect("get");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        if case["expected"]["outcome"] == "accept" {
            assert_eq!(
                (status, body.as_str()),
                (
                    200,
                    case["expected"]["response_body"].as_str().unwrap_or("?")
                ),
                "{}",
                case["name"]
            );
        } else {
            assert!(
                (400..500).contains(&status),
                "{} answered {status}",
                case["name"]
            );
        }
    }
    let unknown = app
        .client
        .get(app.url("/wechat/oa/nope"))
        .send()
        .await
        .expect("get");
    assert_eq!(unknown.status(), 404);
}

async fn concurrent_retries_of_one_push_store_one_message(backend: Backend) {
    let vectors = fixture("oa_encrypted_messages.json");
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = connect(&app, &admin, "safe").await;
    let id = channel.id;
    let path = format!("/wechat/oa/{id}");
    let case = vectors["cases"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "text_chinese"))
        .cloned()
        .expect("case");
    let pushes = (0..8).map(|_| post_push(&app, &path, &case));
    let answers = futures::future::join_all(pushes).await;
    assert!(
        answers
            .iter()
            .all(|(status, body)| *status == 200 && body == "success"),
        "{answers:?}"
    );
    assert_eq!(counts(&app, id).await.0, 1);
    let kinds = crate::auth::event_kinds(&app).await;
    assert_eq!(kinds.iter().filter(|k| *k == "message.received").count(), 1);
}
