//! The app's "now" is the server's: when the server's clock jumps 48 hours,
//! the open page closes the reply window and ages its waiting times at once,
//! whatever the browser's own clock says, and without a reload.

use wechat::OpenId;

use harbour_tests::app::{ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui_and, client_writes, desk, open_queue, sign_in};

const HOUR_MS: i64 = 60 * 60 * 1000;

#[tokio::test]
async fn the_reply_window_closes_when_the_servers_clock_passes_48_hours() {
    // The sign-in outlives the jump: this is about the clock, and an access
    // token (or a session) older than its lifetime ends the socket.
    let Some(app) = app_with_ui_and(|config| {
        config.access_ttl_secs = 3 * 24 * 3600;
        config.session_max_ms = 3 * 24 * HOUR_MS;
    })
    .await
    else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oClockFollower00000000000001");
    client_writes(&desk, &follower, "請問今日幾點收市？").await;

    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for_text(".live-indicator", "Live").await;
    open_queue(&browser, "unassigned").await;
    browser.wait_for_text(".conversation-list", "收市").await;
    browser.click(".conversation-row").await;
    browser.wait_for_text(".message.in", "收市").await;
    browser
        .wait_for_text(".window-summary[data-tone=open]", "closes in 47 h")
        .await;
    browser
        .wait_for("form.composer textarea[name=text]:enabled")
        .await;
    browser
        .wait_for_text(".conversation-row .waiting-badge", "Waiting")
        .await;

    // 47 hours and a half minute on: under two hours left, the line turns
    // amber, and the client has waited a day and more. (Exactly 47 hours
    // would leave exactly one hour, shown as "1 h" or "59 min" depending on
    // the real milliseconds between the app learning the time and drawing.)
    app.clock.advance(47 * HOUR_MS + 30_000);
    browser
        .wait_for_text(".window-summary[data-tone=closing]", "closes in 59 min")
        .await;
    browser
        .wait_for_text(".conversation-row .waiting-badge", "Waiting 1d")
        .await;
    browser.screenshot("clock-window-closing-1366x768").await;

    // Past 48 hours: the window is closed and the composer says so.
    app.clock.advance(HOUR_MS + 1);
    browser
        .wait_for_text(".composer-refusal", "WeChat closed the reply window")
        .await;
    browser
        .wait_for("form.composer textarea[name=text]:disabled")
        .await;
    browser.screenshot("clock-window-closed-1366x768").await;
    browser.close().await;
}
