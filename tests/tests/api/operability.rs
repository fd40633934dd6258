//! Health, readiness, metrics, JSON 404s for the API and the SPA fallback.

use harbour_server::config::Secret;
use harbour_tests::app::spawn_app_on;
use harbour_tests::{on_both_backends, spawn_app, Backend, TestDb};
use serde_json::Value;

on_both_backends!(
    health_readiness_and_metrics_answer,
    metrics_need_a_token_or_their_own_address,
    unknown_api_paths_get_json_and_app_paths_get_the_app,
    readiness_names_a_dead_task_and_a_stop_closes_sockets,
);

const METRICS_TOKEN: &str = "metrics-token-for-tests-0123456789";

async fn health_readiness_and_metrics_answer(backend: Backend) {
    let app = spawn_app_on(TestDb::new(backend).await, |config| {
        config.metrics_token = Some(Secret::new(METRICS_TOKEN.into()));
    })
    .await;
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz")
            .status(),
        200
    );
    let admin = app.admin_token().await;
    // Unknown methods are counted as `other`, so they cannot add series.
    let odd = reqwest::Method::from_bytes(b"BREW").expect("method");
    app.client
        .request(odd, app.url("/api/v1/me"))
        .send()
        .await
        .expect("brew");
    for token in [None, Some("wrong-token"), Some(&admin[..])] {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let refused = request.send().await.expect("metrics");
        assert_eq!(refused.status(), 401, "metrics with {token:?}");
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("method=\"other\",route=\"/api/v1/me\"") && !metrics.contains("BREW"),
        "{metrics}"
    );
    assert!(metrics.contains("harbour_http_requests_total{method=\"POST\",route=\"/api/v1/auth/login\",status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("harbour_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("harbour_websocket_connections 0"));
    assert!(metrics.contains("harbour_job_queue_depth 0"));
}

/// Without a token the main address does not serve metrics; a listener of
/// their own (a private network) serves them without one.
async fn metrics_need_a_token_or_their_own_address(backend: Backend) {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let metrics_address = free.local_addr().expect("address");
    drop(free);
    let app = spawn_app_on(TestDb::new(backend).await, |config| {
        config.metrics_bind = Some(metrics_address);
    })
    .await;
    let closed = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(closed.status(), 404);
    let mut served = None;
    for _ in 0..50 {
        if let Ok(response) = app
            .client
            .get(format!("http://{metrics_address}/metrics"))
            .send()
            .await
        {
            served = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let served = served.expect("the metrics listener answers");
    assert_eq!(served.status(), 200);
    assert!(served
        .text()
        .await
        .unwrap_or_default()
        .contains("harbour_websocket_connections"));
}

async fn unknown_api_paths_get_json_and_app_paths_get_the_app(backend: Backend) {
    let app = spawn_app(backend).await;
    let dist = app.db.data_dir().join("dist");
    std::fs::create_dir_all(&dist).expect("dist");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>Harbour</title>",
    )
    .expect("index");
    std::fs::write(dist.join("harbour-app-0123456789abcdef_bg.wasm"), b"\0asm").expect("wasm");

    let missing = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body["code"], "not_found");

    let page = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-cache")
    );
    assert!(page
        .text()
        .await
        .expect("text")
        .contains("<title>Harbour</title>"));

    let asset = app
        .client
        .get(app.url("/harbour-app-0123456789abcdef_bg.wasm"))
        .send()
        .await
        .expect("get");
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("public, max-age=31536000, immutable")
    );
}

async fn readiness_names_a_dead_task_and_a_stop_closes_sockets(backend: Backend) {
    use harbour_tests::socket::{hello, next_message};
    use shared::ws::ServerMessage;
    let app = spawn_app(backend).await;
    let readyz = || async {
        let response = app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    };
    assert_eq!(readyz().await.0, 200);
    // A background task that ended on its own (a panic, say) is named.
    app.tasks.add("reply sender", tokio::spawn(async {}));
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (status, body) = readyz().await;
    assert_eq!(status, 503);
    assert!(body.contains("reply sender"), "{body}");
    let _ = app.tasks.take("reply sender");
    assert_eq!(readyz().await.0, 200);

    // A stop tells live sockets why they close, and readiness says so.
    let admin = app.admin_token().await;
    let (mut socket, _, _) = hello(&app, &admin, shared::Seq(0)).await;
    app.shutdown.begin();
    let mut closing = None;
    while let Some(message) = next_message(&mut socket).await {
        if let ServerMessage::Closing { code, .. } = message {
            closing = Some(code);
            break;
        }
    }
    assert_eq!(closing.as_deref(), Some("server_restarting"));
    assert_eq!(readyz().await, (503, "stopping".to_owned()));
}
