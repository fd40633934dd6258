//! The HTTP edge: security headers on every kind of response (the app, the
//! API, errors, WeChat callbacks, health), `no-store` on the API, framing
//! and HSTS from the settings.

use harbour_tests::app::spawn_app_on;
use harbour_tests::{spawn_app, Backend, TestApp, TestDb};
use reqwest::header::HeaderMap;

async fn headers_of(app: &TestApp, method: reqwest::Method, path: &str) -> (u16, HeaderMap) {
    let response = app
        .client
        .request(method, app.url(path))
        .send()
        .await
        .expect("request");
    (response.status().as_u16(), response.headers().clone())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    let token = app.admin_token().await;
    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200);
    let signed_in = (me.status().as_u16(), me.headers().clone());
    let cases = [
        (
            "the app",
            headers_of(&app, reqwest::Method::GET, "/inbox").await,
        ),
        ("a signed-in API answer", signed_in),
        (
            "an API error",
            headers_of(&app, reqwest::Method::GET, "/api/v1/me").await,
        ),
        (
            "an unknown API path",
            headers_of(&app, reqwest::Method::GET, "/api/v1/nope").await,
        ),
        (
            "a wrong method",
            headers_of(&app, reqwest::Method::DELETE, "/api/v1/auth/login").await,
        ),
        (
            "a callback for no channel",
            headers_of(&app, reqwest::Method::POST, "/wechat/oa/nope").await,
        ),
        (
            "health",
            headers_of(&app, reqwest::Method::GET, "/healthz").await,
        ),
    ];
    for (what, (status, headers)) in &cases {
        let policy = header(headers, "content-security-policy").unwrap_or_default();
        for part in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "img-src 'self' blob:",
            "media-src 'self' blob:",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{what} ({status}): {policy}");
        }
        let connect = format!(
            "connect-src 'self' ws://127.0.0.1:{0} wss://127.0.0.1:{0}",
            app.port
        );
        assert!(policy.contains(&connect), "{what}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{what}: {policy}");
        assert_eq!(header(headers, "x-frame-options"), Some("DENY"), "{what}");
        assert_eq!(
            header(headers, "x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            header(headers, "referrer-policy"),
            Some("no-referrer"),
            "{what}"
        );
        assert!(
            header(headers, "permissions-policy").is_some_and(|p| p.contains("camera=()")),
            "{what}"
        );
        assert_eq!(
            header(headers, "strict-transport-security"),
            None,
            "{what}: no https URL"
        );
    }
    for (what, (_, headers)) in &cases[1..5] {
        assert_eq!(header(headers, "cache-control"), Some("no-store"), "{what}");
    }
}

#[tokio::test]
async fn framing_and_https_follow_the_settings() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = spawn_app_on(db, |config| {
        config.frame_ancestors = "'self' https://portal.example.com".into();
        config.public_url = Some("https://harbour.example.com".into());
    })
    .await;
    let (_, headers) = headers_of(&app, reqwest::Method::GET, "/login").await;
    let policy = header(&headers, "content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("; frame-ancestors 'self' https://portal.example.com;"),
        "{policy}"
    );
    assert_eq!(
        header(&headers, "x-frame-options"),
        None,
        "X-Frame-Options cannot name a portal, so it is left out"
    );
    assert_eq!(
        header(&headers, "strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}

/// What the browser's CSP blocked is reported to Harbour and counted, apart
/// from the event log (anyone can post there); fields are cut short, the
/// same report twice is one row, and anything else posted is ignored.
#[tokio::test]
async fn csp_reports_are_counted_outside_the_event_log() {
    let app = spawn_app(Backend::Sqlite).await;
    let report = serde_json::json!({ "csp-report": {
        "document-uri": "http://127.0.0.1/inbox",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": format!("inline{}", "x".repeat(500)),
    }});
    for body in [
        report.to_string(),
        report.to_string(),
        "not json".to_owned(),
    ] {
        let answer = app
            .client
            .post(app.url("/api/v1/csp-reports"))
            .header("content-type", "application/csp-report")
            .body(body)
            .send()
            .await
            .expect("report");
        assert_eq!(answer.status(), 204);
    }
    let reports = app.store.csp_reports().await.expect("reports");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].directive, "script-src-elem");
    assert_eq!(reports[0].count, 2);
    assert_eq!(reports[0].blocked.chars().count(), 200);
    let events = app
        .store
        .events_after(shared::Seq(0), 1000)
        .await
        .expect("events");
    assert!(events.iter().all(|e| !e.kind.starts_with("security.")));
}

/// Lists in a request body are counted before any other work: a body full
/// of tags, labels or mentions is refused at once, not deduplicated first.
#[tokio::test]
async fn huge_lists_are_refused_before_any_work() {
    use harbour_tests::desk::{act, conversation_of, desk, post, push, summary};
    let desk = desk(Backend::Sqlite).await;
    let (app, admin) = (&desk.app, &desk.admin);
    push(app, &desk.path_a, "oLists", 1, "hello").await;
    let id = conversation_of(app, admin, "oLists").await;
    let contact = summary(app, admin, id).await.contact_id;
    let many: Vec<String> = (0..60_000).map(|i| format!("t{}", i % 7)).collect();
    let started = std::time::Instant::now();
    let tags = app
        .client
        .patch(app.url(&format!("/api/v1/contacts/{contact}")))
        .bearer_auth(admin)
        .json(&serde_json::json!({ "tags": many }))
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.status(), 422);
    let (status, _) = act(
        app,
        admin,
        id,
        serde_json::json!({ "action": "labels", "add": many }),
    )
    .await;
    assert_eq!(status, 422);
    let someone: Vec<String> = vec![uuid::Uuid::nil().to_string(); 20_000];
    let (status, body) = post(
        app,
        &format!("/api/v1/conversations/{id}/notes"),
        admin,
        &serde_json::json!({ "text": "hi", "mentions": someone }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("mentions")),
        "{body}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
