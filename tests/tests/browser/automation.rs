//! The Automation page on a tablet (1024×768), as a team's supervisor: the
//! closure switch closes the desk for a black rainstorm and its reply
//! reaches a client who writes, once, with the reason shown under it in the
//! timeline; the closure ends by hand; a rule written in the editor is dry
//! run, saved, and replies to the next client out of hours.

use harbour_tests::app::PASSWORD;
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk, open_queue, sign_in};
use serde_json::json;
use shared::Role;
use wechat::OpenId;

/// Waits (up to ten seconds) until `follower` has received `n` messages;
/// their texts.
async fn received(fake: &wechat::fake::FakeWeChat, follower: &OpenId, n: usize) -> Vec<String> {
    let mut texts = Vec::new();
    for _ in 0..100 {
        texts = fake
            .received(follower)
            .into_iter()
            .map(|m| m.body["text"]["content"].as_str().unwrap_or("").to_owned())
            .collect();
        if texts.len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    texts
}

async fn choose(browser: &Browser, css: &str, value: &str) {
    browser
        .wait_for(css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
}

#[tokio::test]
async fn a_supervisor_closes_the_desk_and_writes_a_rule_on_a_tablet() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let admin = app.admin_token().await;
    let team: shared::TeamId = desk.team.parse().expect("a team id");
    let (boss, _) = app.user_with_role(&admin, Role::Supervisor, &[team]).await;

    let browser = Browser::start(1024, 768).await;
    sign_in(&browser, &app, &boss.email, PASSWORD).await;
    browser.wait_for_text(".live-indicator", "Live").await;
    browser.goto(&app.url("/admin/automation")).await;
    browser.wait_for_text(".closure-none", "No closure").await;
    browser.screenshot("automation-1024x768").await;

    // Black rainstorm, for the desk, with a reply in both languages.
    choose(&browser, "#closure-reason", "black_rainstorm").await;
    choose(&browser, "#closure-team", &desk.team).await;
    browser
        .fill("#closure-reply-zh", "黑色暴雨警告生效，我們暫停服務。")
        .await;
    browser
        .fill(
            "#closure-reply-en",
            "Our office is closed under the black rainstorm signal.",
        )
        .await;
    browser.click(".closure-form button[type=submit]").await;
    browser
        .wait_for_text(".closure-item", "Black rainstorm")
        .await;
    browser.screenshot("automation-closed-1024x768").await;

    let follower = OpenId::new("oAutomationFollower000000001");
    client_writes(&desk, &follower, "Hello, is the office open today?").await;
    let sent = received(&desk.fake, &follower, 1).await;
    assert_eq!(
        sent,
        ["Our office is closed under the black rainstorm signal."],
        "the closure's reply, in English"
    );
    client_writes(&desk, &follower, "Hello?").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(received(&desk.fake, &follower, 2).await.len(), 1, "once");

    // The timeline says who replied and why.
    browser.goto(&app.url("/inbox")).await;
    open_queue(&browser, "unassigned").await;
    browser.click(".conversation-item").await;
    browser
        .wait_for_text(".message.out .message-author", "Closure auto-reply")
        .await;
    browser
        .wait_for_text(".message.out .automation-why", "black rainstorm")
        .await;
    browser.screenshot("automation-why-1024x768").await;

    // The closure ends by hand.
    browser.goto(&app.url("/admin/automation")).await;
    browser.click(".closure-end").await;
    browser.wait_for(".closure-none").await;

    // A rule, written in the editor: dry run first, then saved.
    browser.fill("#rule-name", "After hours").await;
    choose(&browser, "#rule-team", &desk.team).await;
    choose(&browser, "#rule-hours", "out_of_hours").await;
    browser
        .fill("textarea[id$='-first']", "您好，我們會在{opens_at}回覆。")
        .await;
    browser
        .fill(
            "textarea[id$='-second']",
            "Hello, we reply from {opens_at}.",
        )
        .await;
    browser.click(".rule-dry-run").await;
    browser
        .wait_for_text(".dry-run-summary", "last 7 days")
        .await;
    browser.screenshot("automation-dry-run-1024x768").await;
    browser.click("#rule-form button[type=submit]").await;
    browser
        .wait_for_text("table.rules-table", "After hours")
        .await;
    browser.screenshot("automation-rule-saved-1024x768").await;

    // The desk has no business hours: the next client is out of hours.
    let next = OpenId::new("oAutomationFollower000000002");
    client_writes(&desk, &next, "你好").await;
    let sent = received(&desk.fake, &next, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("您好，我們會在"), "{sent:?}");
    let (_, rules) = app.get_json("/api/v1/rules", &admin).await;
    assert_eq!(rules[0]["team"], json!(desk.team));
    browser.close().await;
}
