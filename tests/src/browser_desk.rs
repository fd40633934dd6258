//! The browser suite's desk: an app serving the built UI, signing in, a
//! team with two agents and an Official Account driven by the follower
//! simulator, and the waits the tests share.

use crate::app::{spawn_app_on, PASSWORD};
use crate::browser::{dist_dir, Browser};
use crate::{Backend, TestApp, TestDb};
use fantoccini::Locator;
use serde_json::json;
use std::time::Duration;
use wechat::client::AppSecret;
use wechat::fake::simulator::{Activity, Simulator, SimulatorConfig};
use wechat::fake::FakeWeChat;
use wechat::{AppId, Mode, OpenId, OriginalId};

/// An app serving the Trunk-built UI on SQLite; `None` when the UI is not built.
pub async fn app_with_ui() -> Option<TestApp> {
    app_with_ui_and(|_| {}).await
}

/// [`app_with_ui`] with `adjust` applied to the configuration.
pub async fn app_with_ui_and(
    adjust: impl FnOnce(&mut harbour_server::config::Config),
) -> Option<TestApp> {
    let dist = dist_dir()?;
    let db = TestDb::new(Backend::Sqlite).await;
    Some(
        spawn_app_on(db, move |config| {
            config.dist_dir = dist;
            // WebKitGTK keeps no Secure cookie from plain http, even from
            // 127.0.0.1 (Chromium and Firefox count loopback as secure):
            // without this its sessions would not survive a page load.
            if crate::browser::Engine::current() == crate::browser::Engine::WebKit {
                config.secure_cookies = false;
            }
            adjust(config);
        })
        .await,
    )
}

pub async fn sign_in(browser: &Browser, app: &TestApp, email: &str, password: &str) {
    browser.goto(&app.url("/login")).await;
    browser.fill("input[name=email]", email).await;
    browser.fill("input[name=password]", password).await;
    browser.click("button[type=submit]").await;
}

/// A team, two agents in it, and an Official Account routed to it.
pub struct Desk {
    pub team: String,
    pub amy: String,
    pub ken: String,
    pub simulator: Simulator,
    pub fake: std::sync::Arc<FakeWeChat>,
}

pub async fn create_agent(app: &TestApp, admin: &str, name: &str, team: &str) -> String {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let response = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(admin)
        .json(&json!({ "email": email, "name": name, "role": "agent", "password": PASSWORD, "teams": [team] }))
        .send()
        .await
        .expect("create agent");
    assert_eq!(response.status(), 201, "create {name}");
    email
}

pub async fn desk(app: &TestApp) -> Desk {
    let admin = app.admin_token().await;
    let team = crate::desk::create_team(app, &admin, "HK Desk 香港")
        .await
        .id
        .to_string();
    let amy = create_agent(app, &admin, "Amy Chan", &team).await;
    let ken = create_agent(app, &admin, "Ken Wong", &team).await;

    let fake = std::sync::Arc::new(app.fake_wechat().await);
    let (app_id, secret, token) = ("wxdeskdeskdeskdesk", "desk-secret", "deskTokenHarbour1");
    fake.register_app(&AppId::new(app_id), &AppSecret::new(secret));
    let body = json!({ "name": "HK Lending 公眾號", "app_id": app_id, "app_secret": secret, "token": token, "mode": "plain", "api_base": fake.base_url(), "team": team });
    let channel = app.connect_official_account(&admin, &body).await;
    let target = app.url(&channel.callback_path);
    let config = SimulatorConfig::new(
        target,
        OriginalId::new("gh_desk"),
        AppId::new(app_id),
        token,
        "",
        Mode::Plain,
    )
    .fake(fake.clone())
    .clock(app.wechat_clock());
    Desk {
        team,
        amy,
        ken,
        simulator: Simulator::new(config).expect("simulator"),
        fake,
    }
}

pub async fn client_writes(desk: &Desk, follower: &OpenId, text: &str) {
    let sent = desk
        .simulator
        .send(follower, Activity::Text(text.into()))
        .await
        .expect("push");
    assert!(sent.delivered());
}

/// The newest conversation, as the admin's "all" queue lists it.
pub async fn newest_conversation(app: &TestApp, admin: &str) -> shared::api::ConversationSummary {
    let (status, page) = app.get_json("/api/v1/conversations?queue=all", admin).await;
    assert_eq!(status, 200, "{page}");
    serde_json::from_value(page["conversations"][0].clone()).expect("a conversation")
}

/// Waits until nothing matches `css`.
pub async fn wait_gone(browser: &Browser, css: &str) {
    for _ in 0..100 {
        // WebKitGTK's driver may answer "stale element" while the element
        // is being removed: that is asked again, not a failure.
        let found = browser.client.find_all(Locator::Css(css)).await;
        if found.is_ok_and(|found| found.is_empty()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let shot = browser.failure_screenshot().await;
    panic!("{css} is still on the page (the page: {shot})");
}

/// Opens a queue: from the side navigation on wide screens, from the
/// select above the list on tablets and phones.
pub async fn open_queue(browser: &Browser, key: &str) {
    let link = browser
        .wait_for(&format!(".queue-link[data-queue='{key}']"))
        .await;
    if link.is_displayed().await.unwrap_or(false) {
        link.click().await.expect("click the queue");
    } else {
        browser
            .wait_for("#queue-select")
            .await
            .select_by_value(key)
            .await
            .expect("choose the queue");
    }
    browser
        .wait_for(&format!(
            ".queue-link[data-queue='{key}'][aria-current=true]"
        ))
        .await;
}
