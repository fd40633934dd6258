//! Accessibility: axe-core finds no serious or critical violation on any
//! page, in each of the three languages.

use harbour_tests::app::{ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk, open_queue, sign_in};
use harbour_tests::TestApp;
use serde_json::json;
use wechat::OpenId;

/// Sets the language `email` chose (so the signed-in pages speak it).
async fn choose_language(app: &TestApp, email: &str, language: &str) {
    let response = app.login_with(&app.new_client(), email, PASSWORD).await;
    let session: serde_json::Value = response.json().await.expect("session");
    let token = session["access_token"].as_str().unwrap_or_default();
    let response = app
        .new_client()
        .put(app.url("/api/v1/me/language"))
        .bearer_auth(token)
        .json(&json!({ "language": language }))
        .send()
        .await
        .expect("set language");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn no_page_has_a_serious_accessibility_violation_in_any_language() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oAxeFollower000000000000000001");
    client_writes(&desk, &follower, "你好，想問下轉賬幾時到？").await;
    let mut failures = Vec::new();
    for language in ["en", "zh-HK", "zh-CN"] {
        choose_language(&app, &desk.amy, language).await;
        choose_language(&app, ADMIN_EMAIL, language).await;
        let mut check = |page: &str, found: Option<Vec<String>>| {
            for violation in found.unwrap_or_default() {
                failures.push(format!("{language} {page}: {violation}"));
            }
        };

        let browser = Browser::start_in(1366, 768, language).await;
        browser.goto(&app.url("/login")).await;
        browser.wait_for("input[name=email]").await;
        check("sign-in", browser.axe_violations().await);
        sign_in(&browser, &app, &desk.amy, PASSWORD).await;
        browser
            .wait_for(".live-indicator.is-live, .live-indicator")
            .await;
        open_queue(&browser, "unassigned").await;
        browser.wait_for(".conversation-item").await;
        check("inbox", browser.axe_violations().await);
        browser.click(".conversation-item").await;
        browser.wait_for_text(".message.in", "轉賬").await;
        check("conversation", browser.axe_violations().await);
        browser.close().await;

        let browser = Browser::start_in(1366, 768, language).await;
        sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
        browser.wait_for(".current-user").await;
        for (page, path, ready) in [
            ("users", "/admin/users", "table.users-table"),
            ("teams", "/admin/teams", "main h1"),
            ("channels", "/admin/channels", "table.channels-table"),
            ("automation", "/admin/automation", "#rule-form"),
            ("calendar", "/admin/calendar", ".holiday-table tbody tr"),
            ("floor", "/floor", ".floor-team"),
        ] {
            browser.goto(&app.url(path)).await;
            browser.wait_for(ready).await;
            check(page, browser.axe_violations().await);
            browser
                .screenshot(&format!("axe-{page}-{language}-1366x768"))
                .await;
        }
        browser.close().await;
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
