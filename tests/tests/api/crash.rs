//! The real `harbour` process is SIGKILLed while a reply is with WeChat:
//! after a restart the reply is `unknown` and is never sent again.

use crate::cli::{harbour, run};
use harbour_server::store::{Store, StoreOptions};
use harbour_tests::{on_both_backends, Backend, TestDb};
use serde_json::{json, Value};
use shared::api::QueuedReply;
use shared::MessageId;
use std::process::{Child, Stdio};
use std::time::Duration;
use wechat::client::{paths, AppSecret};
use wechat::fake::simulator::{Activity, Simulator, SimulatorConfig};
use wechat::fake::FakeWeChat;
use wechat::{AppId, Mode, OpenId, OriginalId};

on_both_backends!(a_reply_interrupted_by_sigkill_is_unknown_and_never_resent);

const APP_ID: &str = "wxc4a5b1c4a5b1c4a5";
const SECRET: &str = "crash-test-secret";
const TOKEN: &str = "crashTokenHarbour1";
const ADMIN: &str = "crash-admin@example.com";
const PASSWORD: &str = "a long enough password";

/// A running `harbour serve`, killed when dropped so a failing test leaves
/// no server behind.
pub(crate) struct Server(pub(crate) Child);

impl std::ops::Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn serve(db: &TestDb, port: u16) -> Server {
    let mut command = harbour(db);
    command
        .env("HARBOUR_BIND", format!("127.0.0.1:{port}"))
        .env("HARBOUR_JOB_LEASE_SECS", "1")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Server(command.spawn().expect("start harbour"))
}

pub(crate) async fn wait_healthy(base: &str) {
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("harbour did not start");
}

async fn wait_for_status(store: &Store, message: MessageId, wanted: &str) -> String {
    let mut last = String::new();
    // Up to a minute: the suite runs many tests at once on two cores.
    for _ in 0..600 {
        if let Ok(Some((status, _))) = store.message_status(message).await {
            if status == wanted {
                return status;
            }
            last = status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("message stayed {last}, never {wanted}");
}

/// A database with a plain-mode channel (on `fake`) and an admin made with
/// the command line, and a `harbour serve` on it: the server, its base
/// URL, the channel's callback path, the port (to restart on) and the
/// admin's access token.
pub(crate) struct Process {
    pub(crate) db: TestDb,
    pub(crate) server: Server,
    pub(crate) base: String,
    pub(crate) path: String,
    pub(crate) port: u16,
    pub(crate) token: String,
}

pub(crate) async fn process_with_channel(
    backend: Backend,
    fake: &FakeWeChat,
    (app_id, secret, token): (&str, &str, &str),
    (admin, password): (&str, &str),
) -> Process {
    fake.register_app(&AppId::new(app_id), &AppSecret::new(secret));
    let db = TestDb::new(backend).await;
    let mut add = harbour(&db);
    add.args([
        "channel",
        "add-official-account",
        "--name",
        "Process",
        "--app-id",
        app_id,
        "--mode",
        "plain",
        "--api-base",
        fake.base_url(),
        "--secrets-stdin",
    ]);
    let secrets = format!("app_secret={secret}\ntoken={token}\n");
    let (code, stdout, stderr) = run(add, Some(&secrets));
    assert_eq!(code, 0, "{stderr}");
    let path = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Callback path: "))
        .expect("callback path")
        .to_owned();
    let mut user = harbour(&db);
    user.args([
        "user",
        "create",
        "--email",
        admin,
        "--name",
        "Ops Admin",
        "--role",
        "admin",
        "--password-stdin",
    ]);
    assert_eq!(run(user, Some(password)).0, 0);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let base = format!("http://127.0.0.1:{port}");
    let server = serve(&db, port);
    wait_healthy(&base).await;
    let session: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": admin, "password": password }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("session");
    let token = session["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    Process {
        db,
        server,
        base,
        path,
        port,
        token,
    }
}

async fn a_reply_interrupted_by_sigkill_is_unknown_and_never_resent(backend: Backend) {
    let fake = std::sync::Arc::new(FakeWeChat::start("127.0.0.1:0").await.expect("fake"));
    let Process {
        db,
        mut server,
        base,
        path,
        port,
        token,
    } = process_with_channel(backend, &fake, (APP_ID, SECRET, TOKEN), (ADMIN, PASSWORD)).await;

    let follower = OpenId::new("oCrashFollower000000000000001");
    let config = SimulatorConfig::new(
        format!("{base}{path}"),
        OriginalId::new("gh_crash"),
        AppId::new(APP_ID),
        TOKEN,
        "",
        Mode::Plain,
    )
    .fake(fake.clone());
    let simulator = Simulator::new(config).expect("simulator");
    assert!(simulator
        .send(&follower, Activity::Text("我想問還款".into()))
        .await
        .expect("push")
        .delivered());

    let client = reqwest::Client::new();
    let list: Value = client
        .get(format!("{base}/api/v1/conversations"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let conversation = list["conversations"][0]["id"]
        .as_str()
        .expect("a conversation")
        .to_owned();
    let reply = |text: &'static str| {
        client
            .post(format!(
                "{base}/api/v1/conversations/{conversation}/messages"
            ))
            .bearer_auth(&token)
            .json(&json!({ "text": text }))
            .send()
    };

    // WeChat is slow to answer; the server dies while the send is in flight.
    fake.delay_next(paths::CUSTOM_SEND, Duration::from_secs(30));
    let queued: Value = reply("收到，請稍等")
        .await
        .expect("reply")
        .json()
        .await
        .expect("queued");
    let queued: QueuedReply = serde_json::from_value(queued).expect("a queued reply");
    let message = queued.message;
    let store = Store::connect(&db.url, &StoreOptions { max_connections: 2 })
        .await
        .expect("store");
    wait_for_status(&store, message, "sending").await;
    // And the call has reached WeChat (which holds it): killed now, the send
    // is truly in flight, and the delay is not left for the next send.
    for _ in 0..600 {
        if fake.calls(paths::CUSTOM_SEND) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.calls(paths::CUSTOM_SEND), 1, "the send reached WeChat");
    server.kill().expect("SIGKILL");
    let _ = server.wait();

    let mut server = serve(&db, port);
    wait_healthy(&base).await;
    wait_for_status(&store, message, "unknown").await;
    let copies = fake.received(&follower).len();
    assert!(
        copies <= 1,
        "at most one copy reached the follower, got {copies}"
    );
    // Later passes of the worker never send it again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.received(&follower).len(), copies);
    assert_eq!(
        store
            .message_status(message)
            .await
            .expect("status")
            .map(|s| s.0)
            .as_deref(),
        Some("unknown")
    );

    // The restarted server still sends new replies, exactly once.
    let next: Value = reply("Thanks for waiting")
        .await
        .expect("reply")
        .json()
        .await
        .expect("queued");
    wait_for_status(
        &store,
        next["message"]
            .as_str()
            .and_then(|m| m.parse().ok())
            .expect("a message id"),
        "sent",
    )
    .await;
    assert_eq!(fake.received(&follower).len(), copies + 1);
    let _ = server.kill();
    let _ = server.wait();
    store.close().await;
}
