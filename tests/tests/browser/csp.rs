//! The app works under its Content-Security-Policy: every page loads, and
//! the browser reports no violation (reports reach `/api/v1/csp-reports`
//! and are counted in the store). An injected inline script is blocked and
//! reported, so the check can fail.

use harbour_server::store::csp_reports::CspReport;
use harbour_tests::app::{ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, sign_in};
use harbour_tests::desk::conversation_of;
use harbour_tests::TestApp;
use std::time::Duration;

async fn violations(app: &TestApp) -> Vec<CspReport> {
    app.store.csp_reports().await.expect("reports")
}

#[tokio::test]
async fn every_page_loads_under_the_csp_without_a_violation() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let admin = app.admin_token().await;
    let channel = app
        .connect_official_account(
            &admin,
            &serde_json::json!({ "name": "CSP OA", "app_id": "wxc5pc5pc5pc5pc5pc", "app_secret": "s", "token": "cspTokenHarbour1", "mode": "plain" }),
        )
        .await;
    app.push_plain_text(
        &channel.callback_path,
        "cspTokenHarbour1",
        "oCspClient",
        1,
        "你好 👋",
    )
    .await;
    let conversation = conversation_of(&app, &admin, "oCspClient").await;

    let browser = Browser::start(1280, 800).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for_text(".current-user", "Ada Admin").await;
    for (path, ready) in [
        ("/inbox".to_owned(), "main"),
        (format!("/inbox/{conversation}"), ".message"),
        ("/admin/users".to_owned(), "main table"),
        ("/admin/teams".to_owned(), "main"),
        ("/admin/channels".to_owned(), "tbody.channel"),
        ("/no/such/page".to_owned(), "main"),
    ] {
        browser.goto(&app.url(&path)).await;
        browser.wait_for(ready).await;
    }
    browser.screenshot("csp-last-page").await;
    // Reports are sent in the background: give them a moment.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(violations(&app).await, Vec::new());

    // An injected inline script is blocked, and the report reaches the record.
    let ran = browser
        .client
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.injected = 1;'; document.body.appendChild(s); return window.injected === 1;",
            vec![],
        )
        .await
        .expect("execute");
    assert_eq!(
        ran,
        serde_json::Value::Bool(false),
        "the inline script did not run"
    );
    let mut reported = Vec::new();
    for _ in 0..50 {
        reported = violations(&app).await;
        if !reported.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        reported
            .iter()
            .any(|r| r.directive.starts_with("script-src")),
        "{reported:?}"
    );
    browser.close().await;
}
