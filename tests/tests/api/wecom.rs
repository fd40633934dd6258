//! WeCom Customer Service over real HTTP against the fake WeChat: an estate
//! is connected (API and `harbour channel add-wecom-kf`), its callback URL
//! verifies, and customers' messages announced by callbacks are pulled
//! with `kf/sync_msg` and stored once each, in order, with the cursor never
//! ahead of what is stored.

use harbour_tests::desk::{conversation_of, messages, post, summary};
use harbour_tests::{on_both_backends, Backend, TestApp};
use serde_json::json;
use shared::api::{ConnectedChannel, KfAccountView};
use std::time::{Duration, Instant};
use wechat::client::CorpSecret;
use wechat::fake::FakeWeChat;
use wechat::kf::KfCallbackConfig;
use wechat::message::{CorpId, ExternalUserId, OpenKfId};

on_both_backends!(
    an_estate_connects_and_its_url_verifies,
    every_customer_message_is_pulled_once_in_order,
    a_lost_cursor_replays_and_stores_nothing_twice,
    accounts_are_listed_and_mapped_to_teams,
    a_reply_reaches_the_customer_once_and_a_held_session_explains_itself,
    a_failed_send_a_recall_and_a_colleagues_message_show_in_the_timeline,
    the_accounts_welcome_and_closing_messages_go_out_once_with_their_codes,
    an_oa_follower_who_chats_through_wecom_is_one_client,
    a_session_is_taken_back_where_wecom_allows_and_ended_where_it_does_not,
    a_file_reaches_the_customer_once_under_its_name,
    a_teams_welcome_serves_its_accounts_that_have_none_of_their_own,
    a_session_ended_in_wecom_frees_the_inbox_once_the_client_writes_again,
    a_session_held_in_wecom_stops_the_sla_clock_until_it_comes_back,
);

const CORP_ID: &str = "ww4f3e2d1c0b9a8776";
const CORP_SECRET: &str = "harbourKfCorpSecret0123456789abcd";
const TOKEN: &str = "harbourKfToken0123456789";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

struct Estate {
    app: TestApp,
    fake: FakeWeChat,
    admin: String,
    channel: ConnectedChannel,
    account: OpenKfId,
}

fn config() -> KfCallbackConfig {
    KfCallbackConfig::new(TOKEN, AES_KEY, &CorpId::new(CORP_ID)).expect("callback config")
}

async fn connect(backend: Backend) -> Estate {
    let app = harbour_tests::spawn_app(backend).await;
    let fake = app.fake_wechat().await;
    let corp = CorpId::new(CORP_ID);
    fake.register_corp(&corp, &CorpSecret::new(CORP_SECRET));
    let account = fake.add_kf_account(&corp, "Harbour Desk");
    let admin = app.admin_token().await;
    let response = app
        .client
        .post(app.url("/api/v1/channels/wecom-kf"))
        .bearer_auth(&admin)
        .json(
            &json!({ "name": "WeCom desk", "corp_id": CORP_ID, "corp_secret": CORP_SECRET,
                        "token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": fake.base_url() }),
        )
        .send()
        .await
        .expect("connect");
    assert_eq!(response.status(), 201);
    let text = response.text().await.expect("body");
    for secret in [CORP_SECRET, TOKEN, AES_KEY] {
        assert!(!text.contains(secret), "a secret came back");
    }
    let channel: ConnectedChannel = serde_json::from_str(&text).expect("a channel");
    fake.set_kf_callback(&corp, app.url(&channel.channel.callback_path), config());
    Estate {
        app,
        fake,
        admin,
        channel,
        account,
    }
}

/// Asks `probe` every 50 ms until it answers, for up to 20 s; `what` says
/// what never happened if it does not.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A message's view once `done` says it is.
async fn message_when(
    estate: &Estate,
    message: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    eventually(&format!("message {message} never got there"), || async {
        let (_, view) = estate
            .app
            .get_json(&format!("/api/v1/messages/{message}"), &estate.admin)
            .await;
        done(&view).then_some(view)
    })
    .await
}

/// The conversation's reply window as the app reads it.
async fn window_of(estate: &Estate, conversation: &shared::ConversationId) -> serde_json::Value {
    let (_, window) = estate
        .app
        .get_json(
            &format!("/api/v1/conversations/{conversation}/window"),
            &estate.admin,
        )
        .await;
    window
}

/// The conversation's reply window once its refusal starts with `start`.
async fn refusal_starting(estate: &Estate, conversation: &shared::ConversationId, start: &str) {
    eventually(&format!("the window never said {start}"), || async {
        let window = window_of(estate, conversation).await;
        window["refusal"]
            .as_str()
            .is_some_and(|r| r.starts_with(start))
            .then_some(())
    })
    .await
}

/// The conversation's reply window once it is refused for `reason`.
async fn refused_for(estate: &Estate, conversation: &shared::ConversationId, reason: &str) {
    eventually(
        &format!("the window was never refused for {reason}"),
        || async {
            let (_, window) = estate
                .app
                .get_json(
                    &format!("/api/v1/conversations/{conversation}/window"),
                    &estate.admin,
                )
                .await;
            (window["refused"]["reason"] == reason).then_some(())
        },
    )
    .await
}

/// Waits until `n` messages of the estate are stored.
async fn wait_for_messages(estate: &Estate, n: i64) {
    let started = Instant::now();
    loop {
        let stored = estate
            .app
            .store
            .inbound_message_count(estate.channel.channel.id)
            .await
            .expect("count");
        if stored >= n {
            assert_eq!(stored, n, "no message is stored twice");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "only {stored} of {n} messages were pulled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn timeline(estate: &Estate, customer: &ExternalUserId) -> Vec<String> {
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    messages(&estate.app, &estate.admin, conversation)
        .await
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

async fn an_estate_connects_and_its_url_verifies(backend: Backend) {
    let estate = connect(backend).await;
    let channel = &estate.channel.channel;
    assert_eq!(channel.kind, "wecom_kf");
    assert_eq!(channel.callback_path, format!("/wechat/kf/{}", channel.id));

    // WeCom's GET: the echostr is ciphertext; the answer is its plaintext alone.
    let echo = "7310489305834567";
    let encrypted = config().crypto().encrypt(echo.as_bytes()).expect("encrypt");
    let (timestamp, nonce) = ("1717005000", "4242");
    let signature = wechat::signature::msg_signature(TOKEN, timestamp, nonce, &encrypted);
    let query = format!(
        "msg_signature={signature}&timestamp={timestamp}&nonce={nonce}&echostr={}",
        wechat::query::percent_encode(&encrypted)
    );
    let url = estate
        .app
        .url(&format!("{}?{query}", channel.callback_path));
    let started = Instant::now();
    let answer = estate.app.client.get(&url).send().await.expect("verify");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "WeCom waits 1 s"
    );
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.expect("body"), echo);

    // A wrong signature: refused, nothing echoed.
    let forged = url.replace(&signature, &"0".repeat(40));
    let answer = estate.app.client.get(&forged).send().await.expect("verify");
    assert_eq!(answer.status(), 403);
    assert!(!answer.text().await.expect("body").contains(echo));

    // An OA path does not answer for a KF channel.
    let oa = estate
        .app
        .client
        .get(
            estate
                .app
                .url(&format!("/wechat/oa/{}?{query}", channel.id)),
        )
        .send()
        .await
        .expect("verify");
    assert_eq!(oa.status(), 404);
}

async fn every_customer_message_is_pulled_once_in_order(backend: Backend) {
    let estate = connect(backend).await;
    let chan = estate.fake.add_kf_customer("陳大文", Some("oUnionChan"));
    let lee = estate.fake.add_kf_customer("Ms Lee", None);
    let mut expected_chan = Vec::new();
    let mut expected_lee = Vec::new();
    for n in 0..12 {
        let (customer, expected) = if n % 3 == 0 {
            (&lee, &mut expected_lee)
        } else {
            (&chan, &mut expected_chan)
        };
        let text = format!("訊息 {n}");
        estate
            .fake
            .kf_customer_says(&estate.account, customer, &text);
        expected.push(text);
    }
    estate.fake.kf_insert_empty_pages(&estate.account, 2);
    wait_for_messages(&estate, 12).await;
    assert_eq!(timeline(&estate, &chan).await, expected_chan);
    assert_eq!(timeline(&estate, &lee).await, expected_lee);

    // The cursor is where the last page ended; a later message moves it on.
    let channel = estate.channel.channel.id;
    let cursor = estate
        .app
        .store
        .kf_cursor(channel, estate.account.as_str())
        .await
        .expect("cursor")
        .expect("the account is known");
    assert!(!cursor.is_empty());
    estate
        .fake
        .kf_customer_says(&estate.account, &lee, "one more");
    wait_for_messages(&estate, 13).await;
    expected_lee.push("one more".into());
    assert_eq!(timeline(&estate, &lee).await, expected_lee);

    // The profile job asked WeCom who they are: the unionid joins clients.
    let profile = eventually("no profile", || async {
        let rows: Vec<(Option<String>, Option<String>)> = estate
            .app
            .db
            .query(&format!(
                "SELECT name, union_id FROM contacts WHERE open_id = '{}'",
                chan.as_str()
            ))
            .await;
        rows.into_iter().next().filter(|(_, union)| union.is_some())
    })
    .await;
    assert_eq!(profile, (Some("陳大文".into()), Some("oUnionChan".into())));
}

async fn a_lost_cursor_replays_and_stores_nothing_twice(backend: Backend) {
    let estate = connect(backend).await;
    let customer = estate.fake.add_kf_customer("陳大文", None);
    for n in 0..5 {
        estate
            .fake
            .kf_customer_says(&estate.account, &customer, &format!("第 {n} 句"));
    }
    // A servicer stops receiving: WeCom's event names no client, and is
    // kept as an event of the estate.
    estate
        .fake
        .kf_servicer_status(&estate.account, "zhangsan", 2);
    wait_for_messages(&estate, 5).await;
    assert_eq!(estate.app.wait_for_events("wecom.entry", 1).await, 1);
    estate
        .app
        .db
        .execute("UPDATE kf_accounts SET sync_cursor = ''")
        .await;
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "after the loss");
    wait_for_messages(&estate, 6).await;
    let bodies = timeline(&estate, &customer).await;
    assert_eq!(bodies.len(), 6);
    // The replay stored the estate's event once, too.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(estate.app.wait_for_events("wecom.entry", 1).await, 1);
    assert_eq!(bodies.last().map(String::as_str), Some("after the loss"));
}

async fn accounts_are_listed_and_mapped_to_teams(backend: Backend) {
    let estate = connect(backend).await;
    let corp = CorpId::new(CORP_ID);
    estate.fake.add_kf_account(&corp, "Claims");
    let channel = estate.channel.channel.id;
    let (status, listed) = estate
        .app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/channels/{channel}/kf-accounts/refresh"),
            &estate.admin,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    let listed: Vec<KfAccountView> = serde_json::from_value(listed).expect("accounts");
    let names: Vec<&str> = listed.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Claims", "Harbour Desk"]);

    let team = harbour_tests::desk::create_team(&estate.app, &estate.admin, "Claims team").await;
    let claims = listed.iter().find(|a| a.name == "Claims").expect("claims");
    let (status, mapped) = estate
        .app
        .send_json(
            reqwest::Method::PUT,
            &format!(
                "/api/v1/channels/{channel}/kf-accounts/{}",
                claims.open_kfid
            ),
            &estate.admin,
            &json!({ "team": team.id }),
        )
        .await;
    assert_eq!(status, 200, "{mapped}");
    let mapped: Vec<KfAccountView> = serde_json::from_value(mapped).expect("accounts");
    assert_eq!(
        mapped
            .iter()
            .find(|a| a.name == "Claims")
            .and_then(|a| a.team),
        Some(team.id)
    );

    // A customer of the mapped account lands in that team's queue.
    let customer = estate.fake.add_kf_customer("Claimant", None);
    estate.fake.kf_customer_says(
        &OpenKfId::new(claims.open_kfid.clone()),
        &customer,
        "my claim",
    );
    wait_for_messages(&estate, 1).await;
    let rows: Vec<(Option<String>,)> = estate
        .app
        .db
        .query("SELECT team_id FROM conversations")
        .await;
    assert_eq!(rows, [(Some(team.id.to_string()),)]);

    // An account the estate does not have: 404; nobody but an admin maps.
    let (status, _) = estate
        .app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/channels/{channel}/kf-accounts/wkNoSuchAccount"),
            &estate.admin,
            &json!({ "team": null }),
        )
        .await;
    assert_eq!(status, 404);
}

/// Waits until the reply `message` is no longer queued or sending; its view.
async fn settled(estate: &Estate, message: &str) -> serde_json::Value {
    message_when(estate, message, |view| {
        !matches!(view["status"].as_str(), Some("queued" | "sending"))
    })
    .await
}

async fn a_reply_reaches_the_customer_once_and_a_held_session_explains_itself(backend: Backend) {
    let estate = connect(backend).await;
    let customer = estate.fake.add_kf_customer("陳大文", None);
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "幾時還款？");
    wait_for_messages(&estate, 1).await;
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    let (status, sent) = post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &estate.admin,
        &json!({ "text": "下月五號。", "confirm_recent": true }),
    )
    .await;
    assert_eq!(status, 202, "{sent}");
    let message = sent["message"].as_str().expect("a message id").to_owned();
    let view = settled(&estate, &message).await;
    assert_eq!(view["status"], "sent", "{view}");
    let received = estate.fake.kf_received(&customer);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].text(), Some("下月五號。"));
    assert_eq!(received[0].open_kfid, estate.account);
    assert_eq!(
        received[0].msgid.as_str(),
        message.replace('-', ""),
        "our record id is the msgid"
    );

    // A servicer took the session in the WeCom client before WeCom's event
    // arrived: WeCom refuses with 95018, Harbour reads who holds it and
    // tells the agent; nothing reaches the customer.
    estate
        .fake
        .kf_hold_session_quietly(&estate.account, &customer, "zhangsan");
    let (_, held) = post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &estate.admin,
        &json!({ "text": "還在嗎？", "confirm_recent": true }),
    )
    .await;
    let held = held["message"].as_str().expect("a message id").to_owned();
    let view = settled(&estate, &held).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        view["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("zhangsan is handling") && e.contains("WeCom client")),
        "{view}"
    );
    assert_eq!(estate.fake.kf_received(&customer).len(), 1);
    // From then on the composer says so before anything is sent.
    refusal_starting(&estate, &conversation, "zhangsan is handling").await;
    let (status, _) = post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &estate.admin,
        &json!({ "text": "再試", "confirm_recent": true }),
    )
    .await;
    assert_eq!(status, 409, "refused before it is queued");
    let window = window_of(&estate, &conversation).await;
    assert_eq!(
        window["refused"],
        json!({ "reason": "held_in_wecom", "servicer": "zhangsan" }),
        "the reason as data, for the app to word: {window}"
    );

    // WeCom's events keep the holder current: another servicer takes it.
    estate
        .fake
        .kf_servicer_takes(&estate.account, &customer, "lisi");
    refusal_starting(&estate, &conversation, "lisi is handling").await;
}

async fn a_failed_send_a_recall_and_a_colleagues_message_show_in_the_timeline(backend: Backend) {
    let estate = connect(backend).await;
    let customer = estate.fake.add_kf_customer("陳大文", None);
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "你好");
    wait_for_messages(&estate, 1).await;
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    let (_, sent) = post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &estate.admin,
        &json!({ "text": "請稍等", "confirm_recent": true }),
    )
    .await;
    let message = sent["message"].as_str().expect("a message id").to_owned();
    assert_eq!(settled(&estate, &message).await["status"], "sent");

    // WeCom reports it undelivered (fail_type 6): failed, with the reason.
    let msgid = wechat::message::KfMsgId::new(message.replace('-', ""));
    assert!(estate.fake.kf_fail_delivery(&msgid, 6));
    let failed = message_when(&estate, &message, |view| view["status"] == "failed").await;
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("Five messages")),
        "{failed}"
    );

    // The customer recalls a message: kept, marked recalled.
    let oops = estate
        .fake
        .kf_customer_says(&estate.account, &customer, "打錯字");
    estate.fake.kf_recall(&estate.account, &customer, &oops);
    // A colleague answers from the WeCom client.
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "再問");
    estate
        .fake
        .kf_servicer_says(&estate.account, &customer, "zhangsan", "我來跟進");
    let timeline = eventually("the colleague's message never showed", || async {
        let (_, timeline) = estate
            .app
            .get_json(
                &format!("/api/v1/conversations/{conversation}/messages"),
                &estate.admin,
            )
            .await;
        timeline
            .as_array()
            .is_some_and(|t| t.iter().any(|m| m["kind"] == "servicer_message"))
            .then_some(timeline)
    })
    .await;
    let entries = timeline.as_array().expect("a list");
    let recalled = entries
        .iter()
        .find(|m| m["body"] == "打錯字")
        .expect("the recalled message is kept");
    assert!(recalled["recalled_at"].is_i64(), "{recalled}");
    let colleague = entries
        .iter()
        .find(|m| m["kind"] == "servicer_message")
        .expect("the colleague's message");
    assert_eq!(colleague["body"], "我來跟進");
    assert_eq!(colleague["fields"]["servicer_userid"], "zhangsan");
    assert!(entries
        .iter()
        .any(|m| m["kind"] == "event" && m["body"] == "user_recall_msg"));
    let (status, events) = estate
        .app
        .get_json("/api/v1/events?kind=message.recalled", &estate.admin)
        .await;
    assert_eq!(status, 200);
    assert!(events.to_string().contains("message.recalled"), "{events}");
}

async fn the_accounts_welcome_and_closing_messages_go_out_once_with_their_codes(backend: Backend) {
    let estate = connect(backend).await;
    let customer = estate.fake.add_kf_customer("陳大文", None);
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "你好");
    wait_for_messages(&estate, 1).await;
    let channel = estate.channel.channel.id;
    let (status, mapped) = estate
        .app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/channels/{channel}/kf-accounts/{}", estate.account),
            &estate.admin,
            &json!({ "team": null, "welcome_text": "歡迎！Welcome to Harbour.", "closing_text": "多謝查詢，再見。" }),
        )
        .await;
    assert_eq!(status, 200, "{mapped}");
    assert_eq!(mapped[0]["welcome_text"], "歡迎！Welcome to Harbour.");

    // The customer opens the chat afresh: the welcome goes out with its code.
    let other = estate.fake.add_kf_customer("Ms Lee", None);
    estate
        .fake
        .kf_enter_session(&estate.account, &other, "website")
        .expect("a welcome code");
    let welcome = eventually("no welcome", || async {
        Some(estate.fake.kf_received(&other)).filter(|r| !r.is_empty())
    })
    .await;
    assert_eq!(welcome.len(), 1);
    assert!(welcome[0].on_event);
    assert_eq!(welcome[0].text(), Some("歡迎！Welcome to Harbour."));
    let kept = timeline(&estate, &other).await;
    assert!(
        kept.iter().any(|b| b == "歡迎！Welcome to Harbour."),
        "the welcome is in the record: {kept:?}"
    );

    // Resolving ends the session and sends the closing message.
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    let (status, _) = post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/actions"),
        &estate.admin,
        &json!({ "action": "resolve" }),
    )
    .await;
    assert_eq!(status, 200);
    let closing = eventually("no closing message", || async {
        Some(estate.fake.kf_received(&customer)).filter(|r| !r.is_empty())
    })
    .await;
    assert_eq!(closing[0].text(), Some("多謝查詢，再見。"));
    assert_eq!(
        estate.fake.kf_session_state(&estate.account, &customer),
        wechat::kf::SessionState::Ended
    );
    // WeCom takes nothing more until the customer writes: the window says so.
    refused_for(&estate, &conversation, "session_ended").await;
    // Too long for WeCom: refused with the field named.
    let (status, refused) = estate
        .app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/channels/{channel}/kf-accounts/{}", estate.account),
            &estate.admin,
            &json!({ "team": null, "welcome_text": "字".repeat(700) }),
        )
        .await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("welcome_text"))
    );
}

async fn an_oa_follower_who_chats_through_wecom_is_one_client(backend: Backend) {
    let estate = connect(backend).await;
    // The same person follows an Official Account (their union id known)…
    let oa = estate
        .app
        .connect_official_account(
            &estate.admin,
            &json!({ "name": "HK OA", "app_id": "wx0a0a0a0a0a0a0a0a", "app_secret": "s", "token": "harbourOaToken0123", "mode": "plain" }),
        )
        .await;
    estate
        .app
        .push_plain_text(
            &oa.callback_path,
            "harbourOaToken0123",
            "oFollowerUnion0001",
            9001,
            "我係公眾號粉絲",
        )
        .await;
    estate
        .app
        .db
        .execute("UPDATE contacts SET union_id = 'oUnionSamePerson' WHERE open_id = 'oFollowerUnion0001'")
        .await;
    // …and writes through WeCom: WeCom gives the same union id.
    let customer = estate
        .fake
        .add_kf_customer("陳大文", Some("oUnionSamePerson"));
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "我又係微信客服客戶");
    wait_for_messages(&estate, 1).await;
    let linked = estate.app.wait_for_events("contact.linked", 1).await;
    assert_eq!(linked, 1, "the link is an event");
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    let (_, view) = estate
        .app
        .get_json(
            &format!("/api/v1/conversations/{conversation}"),
            &estate.admin,
        )
        .await;
    let contact = view["contact_id"].as_str().expect("a contact").to_owned();
    let (status, contact) = estate
        .app
        .get_json(&format!("/api/v1/contacts/{contact}"), &estate.admin)
        .await;
    assert_eq!(status, 200, "{contact}");
    let channels: std::collections::BTreeSet<&str> = contact["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .filter_map(|c| c["channel_name"].as_str())
        .collect();
    assert_eq!(
        channels,
        ["HK OA", "WeCom desk"].into_iter().collect(),
        "one client, both channels: {contact}"
    );
}

async fn take_back(
    estate: &Estate,
    conversation: &shared::ConversationId,
    end: bool,
) -> (u16, serde_json::Value) {
    post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/wecom/take-back"),
        &estate.admin,
        &json!({ "end_session": end }),
    )
    .await
}

/// A new session (state 0) is taken for the inbox (state 1); a colleague's
/// (state 3) can only be ended, which is asked for explicitly, named in the
/// timeline, and leaves the inbox waiting for the customer's next message,
/// which it then answers.
async fn a_session_is_taken_back_where_wecom_allows_and_ended_where_it_does_not(backend: Backend) {
    use wechat::kf::SessionState;
    let estate = connect(backend).await;
    let customer = estate.fake.add_kf_customer("陳大文", None);
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "你好");
    wait_for_messages(&estate, 1).await;
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    assert_eq!(
        estate.fake.kf_session_state(&estate.account, &customer),
        SessionState::New
    );
    let (status, taken) = take_back(&estate, &conversation, false).await;
    assert_eq!(
        (status, &taken["session"]),
        (200, &json!("inbox")),
        "{taken}"
    );
    assert_eq!(
        estate.fake.kf_session_state(&estate.account, &customer),
        SessionState::Api
    );

    // A colleague takes it in the WeCom client.
    estate
        .fake
        .kf_servicer_takes(&estate.account, &customer, "lisi");
    refused_for(&estate, &conversation, "held_in_wecom").await;
    let (status, refused) = take_back(&estate, &conversation, false).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["reason"], "wecom_end_to_take_back");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("lisi holds")),
        "{refused}"
    );
    assert_eq!(
        estate.fake.kf_session_state(&estate.account, &customer),
        SessionState::Servicer,
        "nothing changed without end_session"
    );
    let (status, ended) = take_back(&estate, &conversation, true).await;
    assert_eq!(
        (status, &ended["session"]),
        (200, &json!("ended")),
        "{ended}"
    );
    assert_eq!(
        estate.fake.kf_session_state(&estate.account, &customer),
        SessionState::Ended
    );
    refused_for(&estate, &conversation, "session_ended").await;
    let (status, refused) = post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &estate.admin,
        &json!({ "text": "在嗎？", "confirm_recent": true }),
    )
    .await;
    assert_eq!(
        (status, refused["reason"].as_str()),
        (409, Some("window_session_ended")),
        "{refused}"
    );
    let activity: Vec<shared::api::MessageView> =
        messages(&estate.app, &estate.admin, conversation)
            .await
            .into_iter()
            .filter(|m| m.direction == shared::api::Direction::Activity)
            .collect();
    let kinds: Vec<&str> = activity.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["wecom_taken_back", "wecom_session_ended"],
        "{activity:?}"
    );
    assert_eq!(
        activity[1]
            .fields
            .as_ref()
            .and_then(|f| f["servicer"].as_str()),
        Some("lisi")
    );

    // The customer writes again, later: the inbox answers.
    estate.app.clock.advance(60_000);
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "我仲有問題");
    wait_for_messages(&estate, 2).await;
    eventually("the window never opened again", || async {
        let window = window_of(&estate, &conversation).await;
        window["refused"].is_null().then_some(())
    })
    .await;
    let (status, sent) = post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &estate.admin,
        &json!({ "text": "請講。", "confirm_recent": true }),
    )
    .await;
    assert_eq!(status, 202, "{sent}");
    let message = sent["message"].as_str().expect("a message id").to_owned();
    assert_eq!(settled(&estate, &message).await["status"], "sent");
    assert_eq!(estate.fake.kf_received(&customer).len(), 1);
}

/// A file from the composer is kept, uploaded to WeCom as a `file`, and sent
/// once under the name it was chosen with; the timeline names it. Bad names
/// and sizes are refused before anything is kept, and an Official Account
/// conversation cannot send files at all.
async fn a_file_reaches_the_customer_once_under_its_name(backend: Backend) {
    let estate = connect(backend).await;
    let customer = estate.fake.add_kf_customer("陳大文", None);
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "請傳份合約單據畀我");
    wait_for_messages(&estate, 1).await;
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    let window = window_of(&estate, &conversation).await;
    assert_eq!(window["sends_files"], true, "{window}");
    let pdf = b"%PDF-1.4\n% Harbour contract note\n".repeat(64);
    let post_file = |name: &str, bytes: Vec<u8>| {
        let request = estate
            .app
            .client
            .post(estate.app.url(&format!(
                "/api/v1/conversations/{conversation}/files?confirm_recent=true&name={}",
                urlencoding(name)
            )))
            .bearer_auth(&estate.admin)
            .header("content-type", "application/octet-stream")
            .body(bytes);
        async move {
            let response = request.send().await.expect("file");
            let status = response.status().as_u16();
            (
                status,
                response
                    .json::<serde_json::Value>()
                    .await
                    .unwrap_or_default(),
            )
        }
    };
    for (name, bytes, field) in [
        ("", pdf.clone(), "name"),
        ("../secret.pdf", pdf.clone(), "name"),
        ("empty.pdf", Vec::new(), "file"),
        ("huge.bin", vec![7_u8; 20 * 1024 * 1024 + 1], "file"),
    ] {
        let (status, refused) = post_file(name, bytes).await;
        assert_eq!(
            (status, refused["field"].as_str()),
            (422, Some(field)),
            "{name}: {refused}"
        );
    }
    let (status, queued) = post_file("合約單據 2026-12.pdf", pdf.clone()).await;
    assert_eq!(status, 202, "{queued}");
    let message = queued["message"].as_str().expect("a message id").to_owned();
    assert_eq!(settled(&estate, &message).await["status"], "sent");
    let received = estate.fake.kf_received(&customer);
    assert_eq!(received.len(), 1, "received exactly once");
    assert_eq!(received[0].msgtype, "file");
    let media_id = received[0].body["file"]["media_id"]
        .as_str()
        .unwrap_or_default();
    let arrived = reqwest::get(
        estate
            .fake
            .media_url(&wechat::message::MediaId::new(media_id)),
    )
    .await
    .expect("media");
    let disposition = percent_decoded(arrived.headers()["content-disposition"].as_bytes());
    assert!(
        disposition.contains("\"合約單據 2026-12.pdf\""),
        "uploaded under its name: {disposition}"
    );
    assert_eq!(
        arrived.bytes().await.expect("bytes").as_ref(),
        pdf.as_slice()
    );
    let shown = messages(&estate.app, &estate.admin, conversation)
        .await
        .into_iter()
        .find(|m| m.id.to_string() == message)
        .expect("the file in the timeline");
    assert_eq!(shown.kind, "file");
    assert_eq!(
        shown.fields.as_ref().and_then(|f| f["file_name"].as_str()),
        Some("合約單據 2026-12.pdf")
    );
}

/// A header's bytes with `%XX` escapes decoded, as text.
fn percent_decoded(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `name` as a query value.
fn urlencoding(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A team's welcome is sent through each account mapped to the team that
/// has no welcome of its own; texts are trimmed, blank is none, and a text
/// too long for WeCom is refused with its field named.
async fn a_teams_welcome_serves_its_accounts_that_have_none_of_their_own(backend: Backend) {
    let estate = connect(backend).await;
    let (status, team) = post(
        &estate.app,
        "/api/v1/teams",
        &estate.admin,
        &json!({ "name": "Desk A" }),
    )
    .await;
    assert_eq!(status, 201, "{team}");
    let team_id = team["id"].as_str().expect("a team id").to_owned();
    let messages = format!("/api/v1/teams/{team_id}/messages");
    let (status, refused) = estate
        .app
        .send_json(
            reqwest::Method::PUT,
            &messages,
            &estate.admin,
            &json!({ "welcome_text": "字".repeat(700) }),
        )
        .await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("welcome_text"))
    );
    let (status, saved) = estate
        .app
        .send_json(
            reqwest::Method::PUT,
            &messages,
            &estate.admin,
            &json!({ "welcome_text": "  歡迎光臨 Harbour。 ", "closing_text": "   " }),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (&saved["welcome_text"], &saved["closing_text"]),
        (&json!("歡迎光臨 Harbour。"), &json!(null))
    );

    // The account is mapped to the team, with no text of its own.
    let first = estate.fake.add_kf_customer("陳大文", None);
    estate
        .fake
        .kf_customer_says(&estate.account, &first, "你好");
    wait_for_messages(&estate, 1).await;
    let channel = estate.channel.channel.id;
    let (status, mapped) = estate
        .app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/channels/{channel}/kf-accounts/{}", estate.account),
            &estate.admin,
            &json!({ "team": team_id }),
        )
        .await;
    assert_eq!(status, 200, "{mapped}");
    let other = estate.fake.add_kf_customer("Ms Lee", None);
    estate
        .fake
        .kf_enter_session(&estate.account, &other, "website")
        .expect("a welcome code");
    let welcome = eventually("no welcome", || async {
        Some(estate.fake.kf_received(&other)).filter(|r| !r.is_empty())
    })
    .await;
    assert_eq!(welcome.len(), 1);
    assert_eq!(welcome[0].text(), Some("歡迎光臨 Harbour。"));

    // The account's own welcome wins over its team's.
    let (status, mapped) = estate
        .app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/channels/{channel}/kf-accounts/{}", estate.account),
            &estate.admin,
            &json!({ "team": team_id, "welcome_text": "這是帳號自己的歡迎語。" }),
        )
        .await;
    assert_eq!(status, 200, "{mapped}");
    let third = estate.fake.add_kf_customer("Mr Wong", None);
    estate
        .fake
        .kf_enter_session(&estate.account, &third, "website")
        .expect("a welcome code");
    let own = eventually("no welcome", || async {
        Some(estate.fake.kf_received(&third)).filter(|r| !r.is_empty())
    })
    .await;
    assert_eq!(own[0].text(), Some("這是帳號自己的歡迎語。"));
}

/// A servicer who ends the session in the WeCom client leaves the inbox
/// unable to send until the client writes again; when both come in one
/// sync page (ended, then the client writes), the inbox may reply at once.
async fn a_session_ended_in_wecom_frees_the_inbox_once_the_client_writes_again(backend: Backend) {
    let estate = connect(backend).await;
    let customer = estate.fake.add_kf_customer("陳大文", None);
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "你好");
    wait_for_messages(&estate, 1).await;
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    estate
        .fake
        .kf_servicer_takes(&estate.account, &customer, "lisi");
    refused_for(&estate, &conversation, "held_in_wecom").await;
    estate
        .fake
        .kf_servicer_ends(&estate.account, &customer, None);
    refused_for(&estate, &conversation, "session_ended").await;

    // Taken and ended again, and this time the client writes straight after,
    // in the same page and the same millisecond.
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "喂？");
    estate
        .fake
        .kf_servicer_takes(&estate.account, &customer, "lisi");
    refused_for(&estate, &conversation, "held_in_wecom").await;
    estate
        .fake
        .kf_servicer_ends(&estate.account, &customer, Some("我又返嚟喇"));
    // Three messages and four session events (taken, ended, taken, ended).
    wait_for_messages(&estate, 7).await;
    eventually("the window never opened", || async {
        let window = window_of(&estate, &conversation).await;
        window["refused"].is_null().then_some(())
    })
    .await;
    let (status, sent) = post(
        &estate.app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &estate.admin,
        &json!({ "text": "收到。", "confirm_recent": true }),
    )
    .await;
    assert_eq!(status, 202, "{sent}");
    let message = sent["message"].as_str().expect("a message id").to_owned();
    assert_eq!(settled(&estate, &message).await["status"], "sent");
}

/// While a servicer holds the session in WeCom's own client, and once they
/// ended it, the inbox can send nothing: the SLA clock stops counting
/// (shown as paused, window closed), and counts again once the client
/// writes and the session is the inbox's again.
async fn a_session_held_in_wecom_stops_the_sla_clock_until_it_comes_back(backend: Backend) {
    let estate = connect(backend).await;
    let (code, body) = post(
        &estate.app,
        "/api/v1/sla-policies",
        &estate.admin,
        &json!({ "name": "Everyone", "first_response_minutes": 30 }),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let customer = estate.fake.add_kf_customer("陳大文", None);
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "你好");
    wait_for_messages(&estate, 1).await;
    let conversation = conversation_of(&estate.app, &estate.admin, customer.as_str()).await;
    let paused = |wanted: Option<shared::sla::SlaPause>| {
        let estate = &estate;
        async move {
            eventually(
                &format!("the clock never stood at paused={wanted:?}"),
                || async {
                    let row = summary(&estate.app, &estate.admin, conversation).await;
                    let sla = row.sla?;
                    (sla.paused == wanted).then_some(sla)
                },
            )
            .await
        }
    };
    let counting = paused(None).await;
    assert!(counting.due_at.is_some(), "{counting:?}");
    estate
        .fake
        .kf_servicer_takes(&estate.account, &customer, "lisi");
    let held = paused(Some(shared::sla::SlaPause::WindowClosed)).await;
    assert_eq!(held.due_at, None, "{held:?}");
    // Lisi ends it: still nothing can be sent until the client writes.
    estate
        .fake
        .kf_servicer_ends(&estate.account, &customer, None);
    refused_for(&estate, &conversation, "session_ended").await;
    let ended = paused(Some(shared::sla::SlaPause::WindowClosed)).await;
    assert_eq!(ended.left_ms, held.left_ms, "no time counted meanwhile");
    estate
        .fake
        .kf_customer_says(&estate.account, &customer, "喂？");
    let back = paused(None).await;
    assert!(back.due_at.is_some(), "{back:?}");
}
