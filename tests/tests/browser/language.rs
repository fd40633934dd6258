//! Three languages: before sign-in the browser's languages decide; a
//! signed-in agent picks one in the top bar, the words change in place
//! (the reply they were typing stays), and the choice follows them to a
//! reload because the server keeps it.

use harbour_tests::app::PASSWORD;
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk, open_queue, sign_in};
use wechat::OpenId;

async fn page_language(browser: &Browser) -> String {
    browser
        .client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .expect("lang")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_sign_in_page_speaks_the_browsers_language() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    for (browser_language, title, lang) in [
        ("zh-HK", "登入", "zh-HK"),
        ("zh-TW", "登入", "zh-HK"),
        ("zh-CN", "登录", "zh-CN"),
        ("fr-FR", "Sign in", "en"),
    ] {
        let browser = Browser::start_in(1366, 768, browser_language).await;
        browser.goto(&app.url("/login")).await;
        browser.wait_for_text("h1.login-title", title).await;
        assert_eq!(page_language(&browser).await, lang, "{browser_language}");
        browser
            .screenshot(&format!("login-{browser_language}-1366x768"))
            .await;
        browser.close().await;
    }
}

#[tokio::test]
async fn an_agent_switches_language_without_losing_their_draft() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oDeskFollowerLanguage000000001");
    client_writes(&desk, &follower, "你好，想查詢還款安排。").await;

    let amy = Browser::start(1366, 768).await;
    sign_in(&amy, &app, &desk.amy, PASSWORD).await;
    amy.wait_for_text(".live-indicator", "Live").await;
    open_queue(&amy, "unassigned").await;
    amy.click(".conversation-item").await;
    amy.fill(
        "form.composer textarea[name=text]",
        "Draft: 明天回覆 L-2041",
    )
    .await;

    for (tag, inbox, sign_out) in [("zh-HK", "收件匣", "登出"), ("zh-CN", "收件箱", "退出登录")]
    {
        amy.wait_for("#language-picker")
            .await
            .select_by_value(tag)
            .await
            .expect("pick language");
        amy.wait_for_text(".app-nav .nav-label", inbox).await;
        amy.wait_for_text("#sign-out", sign_out).await;
        assert_eq!(page_language(&amy).await, tag);
        let draft = amy
            .wait_for("form.composer textarea[name=text]")
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default();
        assert_eq!(draft, "Draft: 明天回覆 L-2041", "the draft survives");
        amy.screenshot(&format!("inbox-{tag}-1366x768")).await;
    }

    // The server keeps the choice: a reload comes back in Simplified Chinese.
    amy.goto(&app.url("/inbox")).await;
    amy.wait_for_text(".app-nav .nav-label", "收件箱").await;
    let users = app.store.list_users().await.expect("users");
    let stored = users.iter().find(|u| u.email == desk.amy).expect("amy");
    assert_eq!(stored.language, Some(shared::Language::ZhCn));

    // Back to the browser's language (English here).
    amy.wait_for("#language-picker")
        .await
        .select_by_value("")
        .await
        .expect("pick browser language");
    amy.wait_for_text(".app-nav .nav-label", "Inbox").await;
    assert_eq!(page_language(&amy).await, "en");
    amy.close().await;
}
