//! Replies to WeChat through the fake WeChat over real HTTP: the 48-hour
//! window and reply count, delivery exactly once, and `unknown` (never a
//! resend) when a send was interrupted.

use harbour_server::jobs::Worker;
use harbour_server::store::outbound::claim_for_sending;
use harbour_tests::app::spawn_app_on;
use harbour_tests::desk::{conversation_of, desk, messages, Desk, APP_A, KEY, TOKEN};
use harbour_tests::{on_both_backends, Backend, TestApp, TestDb};
use serde_json::{json, Value};
use shared::api::QueuedReply;
use shared::ConversationId;
use wechat::{AppId, OpenId};

on_both_backends!(
    a_reply_reaches_the_follower_once_and_the_window_is_enforced,
    an_image_reply_is_uploaded_and_reaches_the_follower_once,
    conversation_endpoints_admit_each_role_only_to_its_teams,
    a_reply_wechat_keeps_rate_limiting_fails_with_a_sentence,
);

const FOLLOWER: &str = "oFollower0000000000000000001";

async fn push_text(app: &TestApp, path: &str, msg_id: u64, text: &str) {
    app.push_plain_text(path, TOKEN, FOLLOWER, msg_id, text)
        .await;
}

/// The desk with a worker to run send jobs by hand, and the conversation
/// of a follower of the Loans account who just wrote.
async fn replying(backend: Backend) -> (Desk, Worker, ConversationId) {
    let desk = desk(backend).await;
    let worker = desk.app.worker(KEY);
    push_text(&desk.app, &desk.path_a, 1001, "你好，我想問還款日期 🙏").await;
    {
        use wechat::clock::Clock;
        desk.fake.record_follower_message(
            &AppId::new(APP_A),
            &OpenId::new(FOLLOWER),
            desk.fake.clock().now(),
        );
    }
    let conversation = conversation_of(&desk.app, &desk.admin, FOLLOWER).await;
    (desk, worker, conversation)
}

/// A 4×4 blue PNG.
const PNG: &str = "89504e470d0a1a0a0000000d4948445200000004000000040802000000269309290000001049444154789c6390cfdf02470cc471000242142119472a690000000049454e44ae426082";

async fn post_image(
    app: &TestApp,
    token: &str,
    conversation: ConversationId,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!(
            "/api/v1/conversations/{conversation}/images?confirm_recent=true"
        )))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .expect("image");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// An image from the composer is kept by Harbour, uploaded to WeChat while
/// the reply is still queued, and sent once; an upload WeChat refuses fails
/// the reply with a sentence and sends nothing; files that are not a JPG,
/// PNG or GIF up to 2 MB are refused before anything is kept.
async fn an_image_reply_is_uploaded_and_reaches_the_follower_once(backend: Backend) {
    let (
        Desk {
            fake, app, admin, ..
        },
        worker,
        conversation,
    ) = replying(backend).await;
    let png = hex::decode(PNG).expect("png");

    let (status, queued) = post_image(&app, &admin, conversation, png.clone()).await;
    assert_eq!(status, 202, "{queued}");
    let message = queued["message"].as_str().unwrap_or_default().to_owned();
    let kept = app
        .client
        .get(app.url(&format!("/api/v1/messages/{message}/media")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("media");
    assert_eq!(kept.headers()["content-type"], "image/png");
    assert_eq!(kept.bytes().await.expect("bytes").as_ref(), png.as_slice());

    worker.run_once().await.expect("worker");
    worker.run_once().await.expect("worker");
    let (_, state) = app
        .get_json(&format!("/api/v1/messages/{message}"), &admin)
        .await;
    assert_eq!(state["status"], "sent", "{state}");
    let received = fake.received(&OpenId::new(FOLLOWER));
    assert_eq!(received.len(), 1, "received exactly once");
    assert_eq!(received[0].msgtype, "image");
    let media_id = received[0].body["image"]["media_id"]
        .as_str()
        .unwrap_or_default();
    let arrived = reqwest::get(fake.media_url(&wechat::message::MediaId::new(media_id)))
        .await
        .expect("fake media")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(
        arrived.as_ref(),
        png.as_slice(),
        "the follower got the same image"
    );
    let (_, timeline) = app
        .get_json(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &admin,
        )
        .await;
    let shown = timeline
        .as_array()
        .and_then(|t| t.iter().find(|m| m["id"] == message.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            &shown["kind"],
            &shown["direction"],
            &shown["media"]["state"]
        ),
        (&json!("image"), &json!("out"), &json!("stored")),
        "{shown}"
    );
    // An Official Account sends no files: refused, with its reason.
    let refused = app
        .client
        .post(app.url(&format!(
            "/api/v1/conversations/{conversation}/files?name=note.pdf&confirm_recent=true"
        )))
        .bearer_auth(&admin)
        .body(b"%PDF-1.4".to_vec())
        .send()
        .await
        .expect("file");
    assert_eq!(refused.status(), 409);
    let refused: Value = refused.json().await.expect("body");
    assert_eq!(refused["reason"], "files_not_supported", "{refused}");

    // WeChat refuses the upload: the reply fails with a reason, nothing is sent.
    fake.fail_next("/cgi-bin/media/upload", 40005);
    let (_, refused) = post_image(&app, &admin, conversation, png.clone()).await;
    let refused = refused["message"].as_str().unwrap_or_default().to_owned();
    worker.run_once().await.expect("worker");
    let (_, state) = app
        .get_json(&format!("/api/v1/messages/{refused}"), &admin)
        .await;
    assert_eq!(state["status"], "failed", "{state}");
    assert!(
        state["error"]
            .as_str()
            .is_some_and(|e| e.contains("file type")),
        "{state}"
    );
    assert_eq!(fake.received(&OpenId::new(FOLLOWER)).len(), 1);

    // Not an image, empty, or too large: refused with a sentence, nothing kept.
    let mut too_large = png.clone();
    too_large.resize(2 * 1024 * 1024 + 1, 0);
    for (label, bytes, says) in [
        ("text", b"hello".to_vec(), "JPG, PNG or GIF"),
        ("empty", Vec::new(), "Choose an image"),
        ("too large", too_large, "2 MB"),
    ] {
        let (status, body) = post_image(&app, &admin, conversation, bytes).await;
        assert_eq!(status, 422, "{label}: {body}");
        assert_eq!(body["field"], "image", "{label}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(says)),
            "{label}: {body}"
        );
    }
    let (_, timeline) = app
        .get_json(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &admin,
        )
        .await;
    assert_eq!(
        timeline.as_array().map(Vec::len),
        Some(3),
        "the client's message and two image replies, nothing from the refused files"
    );
}

async fn a_reply_reaches_the_follower_once_and_the_window_is_enforced(backend: Backend) {
    let (
        Desk {
            fake, app, admin, ..
        },
        worker,
        conversation,
    ) = replying(backend).await;

    let (status, window) = app
        .get_json(
            &format!("/api/v1/conversations/{conversation}/window"),
            &admin,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (window["open"].as_bool(), window["replies_left"].as_i64()),
        (Some(true), Some(5))
    );

    let reply = |text: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/conversations/{conversation}/messages")))
            .bearer_auth(&admin)
            .json(&json!({ "text": text }))
            .send()
    };
    let queued: Value = reply("收到，請稍等")
        .await
        .expect("reply")
        .json()
        .await
        .expect("queued");
    let message = queued["message"].as_str().unwrap_or_default().to_owned();
    worker.run_once().await.expect("worker");
    let (_, status) = app
        .get_json(&format!("/api/v1/messages/{message}"), &admin)
        .await;
    assert_eq!(status["status"], "sent", "{status}");
    // Running the worker again never sends twice.
    worker.run_once().await.expect("worker");
    let received = fake.received(&OpenId::new(FOLLOWER));
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].text(), Some("收到，請稍等"));

    // A send interrupted after it was marked `sending` becomes `unknown`, never a second copy.
    let stranded: QueuedReply = reply("This one is interrupted")
        .await
        .expect("reply")
        .json()
        .await
        .expect("queued");
    let stranded = stranded.message;
    claim_for_sending(&app.store, app.clock.now(), stranded)
        .await
        .expect("claim")
        .expect("queued");
    worker.run_once().await.expect("worker");
    let (_, status) = app
        .get_json(&format!("/api/v1/messages/{stranded}"), &admin)
        .await;
    assert_eq!(status["status"], "unknown", "{status}");
    assert!(status["error"]
        .as_str()
        .is_some_and(|e| e.contains("not resent")));
    assert_eq!(fake.received(&OpenId::new(FOLLOWER)).len(), 1);

    let (_, window) = app
        .get_json(
            &format!("/api/v1/conversations/{conversation}/window"),
            &admin,
        )
        .await;
    assert_eq!(window["replies_left"].as_i64(), Some(3));

    // 49 hours later the window is closed and the reply is refused with a reason.
    app.clock.advance(49 * 3_600_000);
    let admin = app.admin_token().await;
    let refused = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{conversation}/messages")))
        .bearer_auth(&admin)
        .json(&json!({ "text": "Too late" }))
        .send()
        .await
        .expect("reply");
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("WeChat closed the reply window")),
        "{body}"
    );

    let (_, page) = app.get_json("/api/v1/conversations", &admin).await;
    let list = &page["conversations"];
    assert_eq!(list[0]["id"], conversation.to_string());
    let (_, timeline) = app
        .get_json(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &admin,
        )
        .await;
    let shape: Vec<(String, String)> = timeline
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    (
                        m["direction"].as_str().unwrap_or("").to_owned(),
                        m["status"].as_str().unwrap_or("-").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        shape,
        vec![
            ("in".into(), "-".into()),
            ("out".into(), "sent".into()),
            ("out".into(), "unknown".into())
        ]
    );
    assert_eq!(timeline[0]["body"], "你好，我想問還款日期 🙏");

    // An agent outside the channel's team cannot even see the conversation.
    let (_, agent) = app.user_with_role(&admin, shared::Role::Agent, &[]).await;
    assert_eq!(
        app.get_json(
            &format!("/api/v1/conversations/{conversation}/window"),
            &agent
        )
        .await
        .0,
        404
    );
    assert_eq!(app.store.verify_chain().await.expect("verify").fault, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_brings_live_conversations_from_simulated_followers_and_customers() {
    let db = TestDb::new(Backend::Sqlite).await;
    // The example portal needs a port known in advance: its origin is configured.
    let portal_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let app = spawn_app_on(db, move |config| {
        let bind = format!("127.0.0.1:{portal_port}").parse().expect("addr");
        let portal = harbour_server::demo::example_portal(config, bind).expect("portal");
        config.demo = Some(harbour_server::demo::DemoOptions {
            fake_bind: "127.0.0.1:0".parse().expect("addr"),
            rate: 20.0,
            portal,
        });
    })
    .await;
    let channel = app
        .store
        .list_channels()
        .await
        .expect("channels")
        .into_iter()
        .find(|c| c.app_id == harbour_server::demo::DEMO_APP_ID)
        .expect("demo channel");
    let mut stored = 0;
    for _ in 0..100 {
        stored = app
            .store
            .inbound_message_count(channel.id)
            .await
            .expect("count");
        if stored >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(stored >= 5, "the demo stored {stored} messages");
    // WeCom Customer Service customers write too, pulled through kf/sync_msg.
    let kf = app
        .store
        .list_channels()
        .await
        .expect("channels")
        .into_iter()
        .find(|c| c.app_id == harbour_server::demo::DEMO_CORP_ID)
        .expect("demo WeCom estate");
    assert_eq!(kf.callback_path, format!("/wechat/kf/{}", kf.id));
    let mut pulled = 0;
    for _ in 0..100 {
        pulled = app.store.inbound_message_count(kf.id).await.expect("count");
        if pulled >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(pulled >= 3, "the demo pulled {pulled} WeCom messages");
    let admin = app.admin_token().await;
    let (_, page) = app.get_json("/api/v1/conversations", &admin).await;
    let list = &page["conversations"];
    assert!(list.as_array().is_some_and(|l| !l.is_empty()));

    // The example portal frames Harbour from another origin and signs its
    // agent in: created on first sign-in, in the demo's team, seeing the
    // demo's conversations.
    let portal = format!("http://127.0.0.1:{portal_port}");
    let page = reqwest::get(format!("{portal}/"))
        .await
        .expect("portal page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!("src=\"{}/inbox\"", app.address)),
        "{html}"
    );
    let (status, settings) = app.get_json("/api/v1/auth/portal", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        settings["origins"],
        serde_json::json!([format!("http://localhost:{portal_port}")])
    );
    let token: serde_json::Value = app
        .new_client()
        .post(format!("{portal}/token"))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let session: serde_json::Value = app
        .new_client()
        .post(app.url("/api/v1/auth/portal"))
        .json(&token)
        .send()
        .await
        .expect("portal sign-in")
        .json()
        .await
        .expect("session");
    assert_eq!(session["user"]["name"], "Amy Chan 陳美儀", "{session}");
    assert_eq!(session["user"]["role"], "agent");
    let agent = session["access_token"].as_str().unwrap_or_default();
    let (_, page) = app.get_json("/api/v1/conversations?queue=all", agent).await;
    assert!(
        page["conversations"]
            .as_array()
            .is_some_and(|l| !l.is_empty()),
        "the portal's agent sees the demo desk: {page}"
    );
}

async fn conversation_endpoints_admit_each_role_only_to_its_teams(backend: Backend) {
    use shared::Role;
    let Desk {
        app,
        admin,
        path_a,
        team_a: team_id,
        ..
    } = desk(backend).await;
    push_text(&app, &path_a, 7001, "我想問還款").await;
    let conversation = conversation_of(&app, &admin, FOLLOWER).await;
    let message = messages(&app, &admin, conversation).await[0].id;

    // (who, sees the conversation, may reply)
    let mut people = vec![("admin", admin.clone(), true, true)];
    for (label, role, teams, sees, replies) in [
        ("agent in team", Role::Agent, vec![team_id], true, true),
        ("agent elsewhere", Role::Agent, vec![], false, false),
        (
            "supervisor in team",
            Role::Supervisor,
            vec![team_id],
            true,
            true,
        ),
        (
            "supervisor elsewhere",
            Role::Supervisor,
            vec![],
            false,
            false,
        ),
        ("compliance", Role::Compliance, vec![], true, false),
    ] {
        let (_, token) = app.user_with_role(&admin, role, &teams).await;
        people.push((label, token, sees, replies));
    }
    for (label, token, sees, replies) in &people {
        let (status, page) = app.get_json("/api/v1/conversations", token).await;
        let list = &page["conversations"];
        assert_eq!(status, 200, "{label} lists");
        assert_eq!(
            list.as_array().map(Vec::len),
            Some(usize::from(*sees)),
            "{label} list"
        );
        let seen = if *sees { 200 } else { 404 };
        for path in [
            format!("/api/v1/conversations/{conversation}/messages"),
            format!("/api/v1/conversations/{conversation}/window"),
            format!("/api/v1/messages/{message}"),
        ] {
            assert_eq!(
                app.get_json(&path, token).await.0,
                seen,
                "{label} GET {path}"
            );
        }
        let reply = app
            .client
            .post(app.url(&format!("/api/v1/conversations/{conversation}/messages")))
            .bearer_auth(token)
            .json(&json!({ "text": format!("reply from {label}"), "confirm_recent": true }))
            .send()
            .await
            .expect("reply");
        let expected = match (sees, replies) {
            (_, true) => 202,
            (true, false) => 403,
            (false, _) => 404,
        };
        // Compliance is refused by role before visibility is checked.
        let expected = if *label == "compliance" {
            403
        } else {
            expected
        };
        assert_eq!(reply.status().as_u16(), expected, "{label} replies");
        // An empty image passes the role and team checks, then is refused
        // as empty, so the matrix uses up none of the client's replies.
        let (status, _) = post_image(&app, token, conversation, Vec::new()).await;
        let expected = if expected == 202 { 422 } else { expected };
        assert_eq!(status, expected, "{label} sends an image");
    }
    let anonymous = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{conversation}/images")))
        .body(hex::decode(PNG).expect("png"))
        .send()
        .await
        .expect("image");
    assert_eq!(anonymous.status().as_u16(), 401, "nobody sends an image");
    for path in [
        "/api/v1/conversations".to_owned(),
        format!("/api/v1/conversations/{conversation}/window"),
    ] {
        assert_eq!(
            app.client
                .get(app.url(&path))
                .send()
                .await
                .expect("get")
                .status(),
            401,
            "nobody GET {path}"
        );
    }
}

/// WeChat's per-minute limit (45011) asks for a minute's wait, three tries
/// in all: the reply waits that long each time, then fails with a sentence
/// for the agent, never `queued` for ever.
async fn a_reply_wechat_keeps_rate_limiting_fails_with_a_sentence(backend: Backend) {
    let (
        Desk {
            fake, app, admin, ..
        },
        worker,
        conversation,
    ) = replying(backend).await;
    for _ in 0..3 {
        fake.fail_next(wechat::client::paths::CUSTOM_SEND, 45011);
    }
    let queued: QueuedReply = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{conversation}/messages")))
        .bearer_auth(&admin)
        .json(&json!({ "text": "收到" }))
        .send()
        .await
        .expect("reply")
        .json()
        .await
        .expect("queued");
    let status = || async {
        app.get_json(&format!("/api/v1/messages/{}", queued.message), &admin)
            .await
            .1
    };
    worker.run_once().await.expect("worker");
    assert_eq!(status().await["status"], "queued");
    // Not before the minute WeChat asked for.
    app.clock.advance(59_000);
    worker.run_once().await.expect("worker");
    assert_eq!(fake.calls(wechat::client::paths::CUSTOM_SEND), 1);
    app.clock.advance(1_000);
    worker.run_once().await.expect("worker");
    assert_eq!(fake.calls(wechat::client::paths::CUSTOM_SEND), 2);
    app.clock.advance(60_000);
    worker.run_once().await.expect("worker");
    let failed = status().await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let sentence = failed["error"].as_str().unwrap_or_default();
    assert!(
        sentence.contains("45011") || sentence.contains("wait"),
        "{sentence}"
    );
    assert!(fake.received(&OpenId::new(FOLLOWER)).is_empty());
}
