//! Health, readiness, metrics, JSON 404s for the API and the SPA fallback.

use harbour_tests::{on_both_backends, spawn_app, Backend};
use serde_json::Value;

on_both_backends!(
    health_readiness_and_metrics_answer,
    unknown_api_paths_get_json_and_app_paths_get_the_app
);

async fn health_readiness_and_metrics_answer(backend: Backend) {
    let app = spawn_app(backend).await;
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
    app.admin_token().await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("harbour_http_requests_total{method=\"POST\",route=\"/api/v1/auth/login\",status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("harbour_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("harbour_websocket_connections 0"));
    assert!(metrics.contains("harbour_job_queue_depth 0"));
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
