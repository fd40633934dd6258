//! The real `harbour` process with a WeCom Customer Service estate,
//! SIGKILLed at the worst moments: in the middle of pulling 1,000 customer
//! messages across three accounts (while callbacks keep coming, are retried
//! and arrive out of order), and between claiming a reply and hearing
//! WeCom's answer. Every message is stored exactly once, in order per
//! customer, the cursor is never ahead of what is stored, and the reply
//! reaches the customer exactly once.

use crate::cli::{harbour, run};
use crate::crash::{serve, wait_healthy, Server};
use harbour_server::store::{Store, StoreOptions};
use harbour_tests::{on_both_backends, Backend, TestDb};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wechat::client::{paths, CorpSecret};
use wechat::fake::FakeWeChat;
use wechat::kf::KfCallbackConfig;
use wechat::message::{CorpId, ExternalUserId, KfMsgId, OpenKfId};

on_both_backends!(
    a_thousand_messages_survive_a_sigkill_mid_sync_exactly_once_in_order,
    a_reply_interrupted_by_sigkill_reaches_the_customer_exactly_once,
);

const CORP_ID: &str = "wwc4a5b1c4a5b1c4a5";
const CORP_SECRET: &str = "crashKfCorpSecret0123456789abcdef";
const TOKEN: &str = "crashKfTokenHarbour01";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
const ADMIN: &str = "kf-crash-admin@example.com";
const PASSWORD: &str = "a long enough password";

struct KfProcess {
    db: TestDb,
    server: Server,
    base: String,
    port: u16,
    channel: String,
    store: Store,
}

/// A database with a WeCom estate connected by the command line, an admin,
/// and `harbour serve` on it; the fake calls back to it.
async fn process(backend: Backend, fake: &FakeWeChat) -> KfProcess {
    let corp = CorpId::new(CORP_ID);
    fake.register_corp(&corp, &CorpSecret::new(CORP_SECRET));
    let db = TestDb::new(backend).await;
    let mut add = harbour(&db);
    add.args([
        "channel",
        "add-wecom-kf",
        "--name",
        "Crash desk",
        "--corp-id",
        CORP_ID,
        "--api-base",
        fake.base_url(),
        "--secrets-stdin",
    ]);
    let secrets = format!("corp_secret={CORP_SECRET}\ntoken={TOKEN}\naes_key={AES_KEY}\n");
    let (code, stdout, stderr) = run(add, Some(&secrets));
    assert_eq!(code, 0, "{stderr}");
    let path = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Callback path: "))
        .expect("callback path")
        .to_owned();
    let channel = path.trim_start_matches("/wechat/kf/").to_owned();
    let mut user = harbour(&db);
    user.args([
        "user",
        "create",
        "--email",
        ADMIN,
        "--name",
        "Ops Admin",
        "--role",
        "admin",
        "--password-stdin",
    ]);
    assert_eq!(run(user, Some(PASSWORD)).0, 0);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let base = format!("http://127.0.0.1:{port}");
    let config = KfCallbackConfig::new(TOKEN, AES_KEY, &corp).expect("config");
    fake.set_kf_callback(&corp, format!("{base}{path}"), config);
    let server = serve(&db, port);
    wait_healthy(&base).await;
    let store = Store::connect(&db.url, &StoreOptions { max_connections: 2 })
        .await
        .expect("store");
    KfProcess {
        db,
        server,
        base,
        port,
        channel,
        store,
    }
}

/// Customer texts stored for the estate: (open_id, body), in position
/// order per customer.
async fn stored_texts(db: &TestDb, channel: &str) -> Vec<(String, String)> {
    db.query(&format!(
        "SELECT c.open_id, m.body FROM messages m \
         JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id \
         WHERE m.channel_id = '{channel}' AND m.kind = 'text' ORDER BY c.open_id, m.position"
    ))
    .await
}

async fn stored_count(db: &TestDb, channel: &str) -> usize {
    stored_texts(db, channel).await.len()
}

async fn a_thousand_messages_survive_a_sigkill_mid_sync_exactly_once_in_order(backend: Backend) {
    const MESSAGES: usize = 1000;
    let fake = Arc::new(FakeWeChat::start("127.0.0.1:0").await.expect("fake"));
    let mut process = process(backend, &fake).await;
    let corp = CorpId::new(CORP_ID);
    let accounts: Vec<OpenKfId> = (0..3)
        .map(|n| fake.add_kf_account(&corp, &format!("Desk {n}")))
        .collect();
    let customers: Vec<(ExternalUserId, OpenKfId)> = (0..30)
        .map(|n| {
            let customer = fake.add_kf_customer(&format!("客戶 {n}"), None);
            (customer, accounts[n % accounts.len()].clone())
        })
        .collect();

    // Customers write throughout; the fake calls back for each message,
    // concurrently (so out of order) and again when a call fails.
    let writer = {
        let fake = Arc::clone(&fake);
        let customers = customers.clone();
        tokio::spawn(async move {
            for n in 0..MESSAGES {
                let (customer, account) = &customers[n % customers.len()];
                fake.kf_customer_says(account, customer, &format!("msg {n:04}"));
                if n % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        })
    };

    // SIGKILL once part of the traffic is stored (on a loaded two-core CI
    // machine, with the whole suite running beside it, this has taken
    // more than a minute once).
    let started = Instant::now();
    while stored_count(&process.db, &process.channel).await < 150 {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "nothing was pulled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    process.server.kill().expect("SIGKILL");
    let _ = process.server.wait();

    // The cursor is never ahead of what is stored: everything it passed is
    // in the database.
    let cursors: Vec<(String, String)> = process
        .db
        .query("SELECT open_kfid, sync_cursor FROM kf_accounts")
        .await;
    let stored: Vec<(String,)> = process
        .db
        .query(&format!(
            "SELECT dedupe_key FROM messages WHERE channel_id = '{}'",
            process.channel
        ))
        .await;
    let stored: std::collections::HashSet<String> = stored.into_iter().map(|(k,)| k).collect();
    for (open_kfid, cursor) in &cursors {
        let passed = fake
            .kf_passed_by(&OpenKfId::new(open_kfid.clone()), cursor)
            .expect("a cursor the fake issued");
        for msgid in passed {
            assert!(
                stored.contains(&format!("kf:{msgid}")),
                "the cursor of {open_kfid} passed {msgid}, which is not stored"
            );
        }
    }

    // Down for a moment: callbacks fail and are retried; then back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    process.server = serve(&process.db, process.port);
    wait_healthy(&process.base).await;
    writer.await.expect("the customers finished writing");

    let started = Instant::now();
    loop {
        let count = stored_count(&process.db, &process.channel).await;
        if count >= MESSAGES {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "only {count} of {MESSAGES} were stored"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let texts = stored_texts(&process.db, &process.channel).await;
    assert_eq!(texts.len(), MESSAGES, "exactly once each");
    let mut by_customer: HashMap<String, Vec<usize>> = HashMap::new();
    for (open_id, body) in &texts {
        let n: usize = body
            .trim_start_matches("msg ")
            .parse()
            .expect("a numbered message");
        by_customer.entry(open_id.clone()).or_default().push(n);
    }
    assert_eq!(by_customer.len(), customers.len());
    for (customer, numbers) in by_customer {
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(
            numbers, sorted,
            "{customer}'s messages are in the order written"
        );
    }
    drop(process.store);
}

async fn a_reply_interrupted_by_sigkill_reaches_the_customer_exactly_once(backend: Backend) {
    let fake = Arc::new(FakeWeChat::start("127.0.0.1:0").await.expect("fake"));
    let mut process = process(backend, &fake).await;
    let account = fake.add_kf_account(&CorpId::new(CORP_ID), "Desk");
    let customer = fake.add_kf_customer("陳大文", None);
    fake.kf_customer_says(&account, &customer, "我想問還款");
    let started = Instant::now();
    while stored_count(&process.db, &process.channel).await < 1 {
        assert!(started.elapsed() < Duration::from_secs(30), "not pulled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = reqwest::Client::new();
    let session: Value = client
        .post(format!("{}/api/v1/auth/login", process.base))
        .json(&json!({ "email": ADMIN, "password": PASSWORD }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("session");
    let token = session["access_token"].as_str().expect("token").to_owned();
    let list: Value = client
        .get(format!("{}/api/v1/conversations", process.base))
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

    // WeCom holds the send; the server dies while it is in flight.
    fake.delay_next(paths::KF_SEND_MSG, Duration::from_secs(3));
    let queued: Value = client
        .post(format!(
            "{}/api/v1/conversations/{conversation}/messages",
            process.base
        ))
        .bearer_auth(&token)
        .json(&json!({ "text": "收到，請稍等" }))
        .send()
        .await
        .expect("reply")
        .json()
        .await
        .expect("queued");
    let message: shared::MessageId = queued["message"]
        .as_str()
        .and_then(|m| m.parse().ok())
        .expect("a message id");
    let started = Instant::now();
    while fake.calls(paths::KF_SEND_MSG) < 1 {
        assert!(started.elapsed() < Duration::from_secs(30), "never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    process.server.kill().expect("SIGKILL");
    let _ = process.server.wait();

    // Back up: the send goes again under the same msgid.
    process.server = serve(&process.db, process.port);
    wait_healthy(&process.base).await;
    let started = Instant::now();
    loop {
        let status = process
            .store
            .message_status(message)
            .await
            .expect("status")
            .map(|(status, _)| status);
        if status.as_deref() == Some("sent") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the reply stayed {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Past the held call too: WeCom saw the msgid twice and kept one.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        fake.calls(paths::KF_SEND_MSG) >= 2,
        "the interrupted send went again"
    );
    let received = fake.kf_received(&customer);
    assert_eq!(received.len(), 1, "received exactly once: {received:?}");
    assert_eq!(received[0].text(), Some("收到，請稍等"));
    assert_eq!(
        received[0].msgid,
        KfMsgId::new(message.0.simple().to_string())
    );
}
