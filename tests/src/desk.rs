//! The API suite's desk: two teams (Loans and Claims), each with a
//! plain-mode Official Account routed to it and served by one fake WeChat
//! on the app's clock, and the requests the tests make against it,
//! answered with `shared` types.

use crate::app::spawn_app_on;
use crate::{Backend, TestApp, TestDb};
use harbour_server::config::Secret;
use serde_json::{json, Value};
use shared::api::{ConversationPage, ConversationSummary, MessageView, Team};
use shared::{ConversationId, TeamId};
use wechat::client::AppSecret;
use wechat::fake::FakeWeChat;
use wechat::AppId;

/// The desk's secret key, for tests that run a worker by hand.
pub const KEY: [u8; 32] = [13; 32];
/// The callback token of both channels.
pub const TOKEN: &str = "deskTokenHarbour1";
/// The Loans and Claims accounts, and their AppSecret at the fake WeChat.
pub const APP_A: &str = "wx1000000000000001";
pub const APP_B: &str = "wx1000000000000002";
pub const SECRET: &str = "desk-secret";

pub struct Desk {
    pub app: TestApp,
    pub admin: String,
    /// Callback paths of the two channels, one per team.
    pub path_a: String,
    pub path_b: String,
    pub team_a: TeamId,
    pub team_b: TeamId,
    /// The WeChat both accounts talk to.
    pub fake: FakeWeChat,
}

/// A desk whose background workers are off, so tests run jobs by hand.
pub async fn desk(backend: Backend) -> Desk {
    let db = TestDb::new(backend).await;
    let app = spawn_app_on(db, |config| {
        config.run_workers = false;
        config.secret_key = Secret::new(KEY);
    })
    .await;
    let fake = app.fake_wechat().await;
    let admin = app.admin_token().await;
    let team_a = create_team(&app, &admin, "Loans").await.id;
    let team_b = create_team(&app, &admin, "Claims").await.id;
    let mut paths = Vec::new();
    for (name, app_id, team) in [("Loans OA", APP_A, team_a), ("Claims OA", APP_B, team_b)] {
        fake.register_app(&AppId::new(app_id), &AppSecret::new(SECRET));
        let channel = app
            .connect_official_account(
                &admin,
                &json!({ "name": name, "app_id": app_id, "app_secret": SECRET, "token": TOKEN, "mode": "plain", "team": team, "api_base": fake.base_url() }),
            )
            .await;
        paths.push(channel.callback_path);
    }
    Desk {
        app,
        admin,
        path_b: paths.pop().unwrap_or_default(),
        path_a: paths.pop().unwrap_or_default(),
        team_a,
        team_b,
        fake,
    }
}

pub async fn create_team(app: &TestApp, token: &str, name: &str) -> Team {
    app.client
        .post(app.url("/api/v1/teams"))
        .bearer_auth(token)
        .json(&json!({ "name": name }))
        .send()
        .await
        .expect("team")
        .json()
        .await
        .expect("team json")
}

/// A follower's text message to the channel at `path`.
pub async fn push(app: &TestApp, path: &str, from: &str, msg_id: u64, text: &str) {
    app.push_plain_text(path, TOKEN, from, msg_id, text).await;
}

/// POSTs `body`; the status and the JSON answer (`null` when there is none).
pub async fn post(app: &TestApp, path: &str, token: &str, body: &Value) -> (u16, Value) {
    app.send_json(reqwest::Method::POST, path, token, body)
        .await
}

/// A conversation action (`{"action": "claim"}`, …).
pub async fn act(app: &TestApp, token: &str, id: ConversationId, action: Value) -> (u16, Value) {
    post(
        app,
        &format!("/api/v1/conversations/{id}/actions"),
        token,
        &action,
    )
    .await
}

/// One page of a queue, e.g. `queue=mine&status=open`.
pub async fn queue_page(app: &TestApp, token: &str, query: &str) -> ConversationPage {
    let (status, page) = app
        .get_json(&format!("/api/v1/conversations?{query}"), token)
        .await;
    assert_eq!(status, 200, "{query}: {page}");
    serde_json::from_value(page).expect("a conversation page")
}

/// Conversation ids of a queue page, in order.
pub async fn queue(app: &TestApp, token: &str, query: &str) -> Vec<ConversationId> {
    queue_page(app, token, query)
        .await
        .conversations
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// The conversation of the follower `open_id`, whatever its status.
pub async fn conversation_of(app: &TestApp, admin: &str, open_id: &str) -> ConversationId {
    queue_page(app, admin, "status=open,pending,snoozed,resolved")
        .await
        .conversations
        .into_iter()
        .find(|c| c.open_id == open_id)
        .expect("the conversation")
        .id
}

/// One conversation's list row as `token` sees it.
pub async fn summary(app: &TestApp, token: &str, id: ConversationId) -> ConversationSummary {
    let (status, summary) = app
        .get_json(&format!("/api/v1/conversations/{id}"), token)
        .await;
    assert_eq!(status, 200, "{summary}");
    serde_json::from_value(summary).expect("a conversation summary")
}

/// A conversation's timeline as `token` sees it.
pub async fn messages(app: &TestApp, token: &str, id: ConversationId) -> Vec<MessageView> {
    let (status, messages) = app
        .get_json(&format!("/api/v1/conversations/{id}/messages"), token)
        .await;
    assert_eq!(status, 200, "{messages}");
    serde_json::from_value(messages).expect("messages")
}

/// The timeline as (direction, body) pairs.
pub async fn timeline(app: &TestApp, token: &str, id: ConversationId) -> Vec<(String, String)> {
    messages(app, token, id)
        .await
        .into_iter()
        .map(|m| (m.direction.to_string(), m.body.unwrap_or_default()))
        .collect()
}
