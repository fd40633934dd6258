//! Who looked at a client: a compliance officer opens a conversation an
//! agent read and sees the agent's reads on the client's panel.

use harbour_tests::app::PASSWORD;
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{
    app_with_ui, client_writes, desk, newest_conversation, open_queue, sign_in,
};
use shared::Role;
use wechat::OpenId;

#[tokio::test]
async fn compliance_sees_who_looked_at_a_client() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oAccessFollower0000000000001");
    client_writes(&desk, &follower, "你好，想查合約單據。").await;
    let admin = app.admin_token().await;
    let id = newest_conversation(&app, &admin).await.id;

    // Amy reads the conversation.
    let amy = Browser::start(1366, 768).await;
    sign_in(&amy, &app, &desk.amy, PASSWORD).await;
    open_queue(&amy, "unassigned").await;
    amy.click(&format!(
        ".conversation-item[data-id='{id}'] .conversation-row"
    ))
    .await;
    amy.wait_for_text(".message.in", "合約單據").await;
    // Agents do not see who looked.
    amy.wait_for(".contact-panel .contact-name").await;
    assert!(amy
        .client
        .find_all(fantoccini::Locator::Css(".access-history"))
        .await
        .expect("find")
        .is_empty());
    amy.close().await;

    // The compliance officer sees Amy's read, with where it came from.
    let (officer, _) = app.user_with_role(&admin, Role::Compliance, &[]).await;
    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, &officer.email, PASSWORD).await;
    browser.wait_for(".current-user").await;
    browser.goto(&app.url(&format!("/inbox/{id}"))).await;
    browser
        .wait_for_text(".access-item[data-kind='access.timeline']", "Amy Chan")
        .await;
    let line = browser
        .wait_for_text(".access-item[data-kind='access.timeline']", "127.0.0.1")
        .await;
    assert!(line.contains("read the messages"), "{line}");
    browser.screenshot("access-history-1366x768").await;
    let violations = browser.axe_violations().await.unwrap_or_default();
    assert!(violations.is_empty(), "{violations:#?}");
    browser.close().await;
}
