//! SLAs in the browser (1366×768): an admin writes a policy on the
//! Automation page; a client writes and the row shows "First reply 30m
//! left"; as the clock runs the badge turns amber at the warning and red
//! once breached, and the timeline says the target was missed.

use harbour_tests::app::{ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk, open_queue, sign_in};
use serde_json::json;
use wechat::OpenId;

const MINUTE_MS: i64 = 60_000;

#[tokio::test]
async fn a_policy_times_the_first_reply_and_the_badge_turns_amber_then_red() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let admin = app.admin_token().await;
    // The desk works round the clock, holidays included.
    let (code, hours) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/teams/{}/hours", desk.team),
            &admin,
            &json!({ "weekly": vec![["00:00-24:00"]; 7] }),
        )
        .await;
    assert_eq!(code, 200, "{hours}");
    let (_, today) = app
        .get_json(&format!("/api/v1/teams/{}/status", desk.team), &admin)
        .await;
    if today["open"] != true {
        // Today is a general holiday: the desk opens on it too.
        let (_, holidays) = app.get_json("/api/v1/holidays", &admin).await;
        for holiday in holidays.as_array().into_iter().flatten() {
            let date = holiday["date"].as_str().unwrap_or_default();
            app.client
                .delete(app.url(&format!("/api/v1/holidays/{date}")))
                .bearer_auth(&admin)
                .send()
                .await
                .expect("delete a holiday");
        }
    }

    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for(".live-indicator").await;
    browser.goto(&app.url("/admin/automation")).await;
    browser.wait_for(".sla-empty").await;
    browser.fill("#sla-name", "Standard").await;
    browser.fill("#sla-first", "30").await;
    browser.fill("#sla-resolution", "240").await;
    browser.fill("#sla-warn", "10").await;
    browser.click(".sla-form button[type=submit]").await;
    browser.wait_for_text("table.sla-table", "Standard").await;
    browser.screenshot("sla-policies-1366x768").await;

    client_writes(
        &desk,
        &OpenId::new("oSlaFollower0000000000000001"),
        "我想問下保單",
    )
    .await;
    browser.goto(&app.url("/inbox")).await;
    open_queue(&browser, "unassigned").await;
    let badge = ".conversation-item .sla-badge[data-metric='first_response']";
    browser.wait_for_text(badge, "30m left").await;

    // 21 minutes on: inside the ten-minute warning, amber.
    app.clock.advance(21 * MINUTE_MS);
    browser.wait_for_text(badge, "9m left").await;
    browser.wait_for(&format!("{badge}.is-at-risk")).await;
    browser.screenshot("sla-at-risk-1366x768").await;

    // 35 minutes in: breached, red, and the timeline says so.
    app.clock.advance(14 * MINUTE_MS);
    browser.wait_for(&format!("{badge}.is-breached")).await;
    browser.wait_for_text(badge, "overdue 5m").await;
    browser.click(".conversation-item .conversation-row").await;
    browser
        .wait_for_text(
            ".message.activity[data-kind='sla_breached']",
            "SLA breached: First reply target of 30 business minutes missed",
        )
        .await;
    browser
        .wait_for(".conversation-facts .sla-badge.is-breached")
        .await;
    browser.screenshot("sla-breached-1366x768").await;
    browser.close().await;
}
