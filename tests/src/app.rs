//! `spawn_app`: the real Harbour server in-process on port 0, with a known
//! admin, a manual clock and an HTTP client that keeps cookies.

use crate::db::{Backend, TestDb};
use harbour_server::clock::Clock;
use harbour_server::config::Config;
use harbour_server::store::{Store, StoreOptions};
use harbour_server::Application;
use serde_json::{json, Value};
use shared::api::{CreateUser, Session};
use shared::Role;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub store: Store,
    pub clock: Clock,
    pub client: reqwest::Client,
    /// Shared by every node started on it; dropped with the last.
    pub db: std::sync::Arc<TestDb>,
    /// The node's background tasks and its stop switch, as `/readyz` and a
    /// SIGTERM see them.
    pub tasks: harbour_server::shutdown::Tasks,
    pub shutdown: harbour_server::shutdown::Shutdown,
    /// What a stopping node gives its checkpointer for the last checkpoint.
    pub final_checkpoint: harbour_server::shutdown::Shutdown,
    /// What this node's export jobs use (its checkpointer's prover).
    pub exports: harbour_server::exports::ExportSettings,
    /// Who has a socket open on this node.
    pub roster: harbour_server::roster::Roster,
}

/// Where every test's manual clock starts: 09:00 Hong Kong time on the real
/// date of the run (the same for the whole run). Not a fixed date: a test
/// that compares a fixed time with the real clock then fails the day it is
/// written, not a week later on everyone's machine. `HARBOUR_TEST_START`
/// (Unix ms) pins it, to replay a run of another day.
pub fn test_start() -> i64 {
    static START: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        if let Some(pinned) = std::env::var("HARBOUR_TEST_START")
            .ok()
            .and_then(|v| v.trim().parse().ok())
        {
            return pinned;
        }
        const HOUR_MS: i64 = 3_600_000;
        const DAY_MS: i64 = 24 * HOUR_MS;
        const HONG_KONG: i64 = 8 * HOUR_MS;
        let real = Clock::System.now();
        (real + HONG_KONG).div_euclid(DAY_MS) * DAY_MS + 9 * HOUR_MS - HONG_KONG
    })
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let db = TestDb::new(backend).await;
    spawn_app_on(db, |_| {}).await
}

pub async fn spawn_app_on(db: TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let store = db.store().await;
    let clock = Clock::manual(test_start());
    if store.user_count().await.expect("count") == 0 {
        let admin = CreateUser {
            email: ADMIN_EMAIL.into(),
            name: "Ada Admin".into(),
            role: Role::Admin,
            password: PASSWORD.into(),
            teams: vec![],
        };
        harbour_server::accounts::create_user(&store, clock.now(), None, &admin)
            .await
            .expect("admin");
    }
    start_node(std::sync::Arc::new(db), store, clock, adjust).await
}

/// Starts a Harbour node on `db` (its database and data dir, so its secret
/// key too) and a client for it.
async fn start_node(
    db: std::sync::Arc<TestDb>,
    store: Store,
    clock: Clock,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config::for_tests(&db.url, &db.data_dir());
    adjust(&mut config);
    let app = Application::build_with_clock(config, clock.clone())
        .await
        .expect("build app");
    let port = app.port();
    let (tasks, shutdown) = (app.state.tasks.clone(), app.state.shutdown.clone());
    let final_checkpoint = app.state.final_checkpoint.clone();
    let exports = app.state.exports.clone();
    let roster = app.state.roster.clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        store,
        clock,
        client,
        db,
        tasks,
        shutdown,
        final_checkpoint,
        exports,
        roster,
    }
}

impl TestApp {
    /// A job worker for this app, to run jobs by hand in tests that start
    /// the app with `run_workers = false`; `key` is the app's secret key.
    pub fn worker(&self, key: [u8; 32]) -> harbour_server::jobs::Worker {
        let handlers = harbour_server::startup::job_handlers(
            &self.store,
            &std::sync::Arc::new(harbour_server::secrets::SecretBox::new(&key)),
            &self.clock,
            &self.db.data_dir(),
            &self.exports,
        )
        .expect("job handlers");
        harbour_server::jobs::Worker::new(self.store.clone(), self.clock.clone(), handlers)
    }

    /// Another node on the same database and data dir, as a second server
    /// of a PostgreSQL deployment; its clock starts where this one's is.
    /// `adjust` must give it this node's secret key.
    pub async fn second_node(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let store = Store::connect(&self.db.url, &StoreOptions::default())
            .await
            .expect("connect");
        let clock = Clock::manual(self.clock.now());
        start_node(self.db.clone(), store, clock, adjust).await
    }

    /// Waits (up to five seconds) until the log holds at least `n` events
    /// of `kind`, and says how many it holds.
    pub async fn wait_for_events(&self, kind: &str, n: usize) -> usize {
        let mut found = 0;
        for _ in 0..100 {
            found = self
                .store
                .events_after(shared::Seq(0), 1_000_000)
                .await
                .expect("events")
                .into_iter()
                .filter(|e| e.kind == kind)
                .count();
            if found >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        found
    }

    /// An export's bundle, downloaded as `token`.
    pub async fn export_bundle(&self, token: &str, id: &str) -> Vec<u8> {
        let response = self
            .client
            .get(self.url(&format!("/api/v1/exports/{id}/download")))
            .bearer_auth(token)
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), 200, "download the bundle");
        response.bytes().await.expect("bundle").to_vec()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A fresh client with its own cookie jar (another browser).
    pub fn new_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    pub async fn login_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login request")
    }

    /// Signs in on `self.client` and returns the access token.
    pub async fn admin_token(&self) -> String {
        let response = self.login_with(&self.client, ADMIN_EMAIL, PASSWORD).await;
        assert_eq!(response.status(), 200, "admin sign-in");
        response
            .json::<Session>()
            .await
            .expect("session")
            .access_token
    }

    /// Creates a user through the API and returns a token for them.
    pub async fn user_with_role(
        &self,
        admin_token: &str,
        role: Role,
        teams: &[shared::TeamId],
    ) -> (shared::api::User, String) {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let email = format!("{role}-{tag}@example.com");
        // Distinct names, so tests can tell two agents apart by what they read.
        let name = format!("Test {role} {}", &tag[..4]);
        let response = self
            .client
            .post(self.url("/api/v1/users"))
            .bearer_auth(admin_token)
            .json(&json!({ "email": email, "name": name, "role": role, "password": PASSWORD, "teams": teams }))
            .send()
            .await
            .expect("create user");
        assert_eq!(response.status(), 201, "create {role}");
        let user: shared::api::User = response.json().await.expect("user");
        let session: Session = self
            .login_with(&self.new_client(), &email, PASSWORD)
            .await
            .json()
            .await
            .expect("session");
        (user, session.access_token)
    }

    /// Changes a user through the admin API (`PATCH /api/v1/users/{id}`);
    /// panics unless it is accepted.
    pub async fn update_user(&self, admin_token: &str, user: shared::UserId, body: Value) {
        let response = self
            .client
            .patch(self.url(&format!("/api/v1/users/{user}")))
            .bearer_auth(admin_token)
            .json(&body)
            .send()
            .await
            .expect("patch");
        assert_eq!(response.status(), 200, "update the user");
    }

    /// Connects an Official Account through the admin API; panics unless it is created.
    pub async fn connect_official_account(
        &self,
        admin_token: &str,
        body: &Value,
    ) -> shared::api::Channel {
        let response = self
            .client
            .post(self.url("/api/v1/channels/official-accounts"))
            .bearer_auth(admin_token)
            .json(body)
            .send()
            .await
            .expect("connect");
        assert_eq!(response.status(), 201, "connect an Official Account");
        response.json().await.expect("channel")
    }

    /// Posts a plain-mode push `xml` from `from`, signed with the channel's
    /// `token`, to a callback `path`.
    pub async fn post_plain(
        &self,
        path: &str,
        token: &str,
        from: &str,
        xml: &str,
    ) -> reqwest::Response {
        let timestamp = (self.clock.now() / 1000).to_string();
        // Each push its own nonce, as WeChat does: a URL is bound to its first body.
        let nonce = rand::random::<u32>().to_string();
        let signature = wechat::signature::signature(token, &timestamp, &nonce);
        let url = self.url(&format!(
            "{path}?signature={signature}&timestamp={timestamp}&nonce={nonce}&openid={from}"
        ));
        self.client
            .post(url)
            .body(xml.to_owned())
            .send()
            .await
            .expect("push")
    }

    /// Posts a plain-mode text push; panics unless Harbour answers `success`.
    pub async fn push_plain_text(
        &self,
        path: &str,
        token: &str,
        from: &str,
        msg_id: u64,
        text: &str,
    ) {
        let response = self
            .post_plain(path, token, from, &self.plain_text_xml(from, msg_id, text))
            .await;
        assert_eq!(response.text().await.unwrap_or_default(), "success");
    }

    /// A text message push from `from`, as WeChat sends it in plain mode now.
    pub fn plain_text_xml(&self, from: &str, msg_id: u64, text: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
             <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>\
             <MsgId>{msg_id}</MsgId></xml>",
            self.clock.now() / 1000
        )
    }

    /// This app's clock as the `wechat` crate takes it, for a simulator whose
    /// pushes must be signed at Harbour's "now" (inside its timestamp window).
    pub fn wechat_clock(&self) -> std::sync::Arc<dyn wechat::clock::Clock> {
        let shared = self
            .clock
            .manual_millis()
            .expect("tests run on a manual clock");
        std::sync::Arc::new(wechat::clock::ManualClock::from_shared(shared))
    }

    /// A fake WeChat on this app's clock: a test's jump ages the fake's
    /// reply windows, tokens and media as it ages Harbour's.
    pub async fn fake_wechat(&self) -> wechat::fake::FakeWeChat {
        let shared = self
            .clock
            .manual_millis()
            .expect("tests run on a manual clock");
        wechat::fake::FakeWeChat::start_with_clock(
            "127.0.0.1:0",
            wechat::clock::ManualClock::from_shared(shared),
        )
        .await
        .expect("fake wechat")
    }

    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// PATCHes `body` to `path`: the status and the JSON answer.
    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::PATCH, path, token, body)
            .await
    }

    /// Sends `body` as JSON: the status and the JSON answer (`null` when there is none).
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> (u16, Value) {
        let response = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}
