//! What a WeChat callback must pass beyond its signature: a timestamp
//! within the window, a URL bound to one body on every node, a compatible
//! account's `Encrypt`, a Token no one can guess, and a limit on bad
//! signatures per address. Real HTTP, both backends.

use harbour_tests::desk::{conversation_of, desk, messages, Desk, KEY, TOKEN};
use harbour_tests::{on_both_backends, Backend, TestApp};
use serde_json::json;
use shared::ChannelId;

on_both_backends!(
    a_push_signed_outside_the_window_is_refused,
    a_replayed_url_with_another_body_is_refused_on_every_node,
    a_compatible_account_refuses_a_push_without_encrypt,
    new_channels_get_a_generated_token_and_short_ones_are_refused,
    an_address_sending_bad_signatures_is_refused_for_the_minute,
    old_callback_urls_are_pruned,
);

/// A signed plain-mode URL for `path` at `timestamp` (seconds) with `nonce`.
fn signed(app: &TestApp, path: &str, timestamp: i64, nonce: &str) -> String {
    let timestamp = timestamp.to_string();
    let signature = wechat::signature::signature(TOKEN, &timestamp, nonce);
    app.url(&format!(
        "{path}?signature={signature}&timestamp={timestamp}&nonce={nonce}&openid=oCallback"
    ))
}

fn text_xml(from: &str, msg_id: u64, text: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_desk]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
         <CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>"
    )
}

async fn post(app: &TestApp, url: &str, body: String) -> (u16, String) {
    let response = app.client.post(url).body(body).send().await.expect("push");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn stored(app: &TestApp, channel: ChannelId) -> i64 {
    app.store
        .inbound_message_count(channel)
        .await
        .expect("count")
}

async fn channel_of(app: &TestApp, admin: &str, path: &str) -> ChannelId {
    let (_, channels) = app.get_json("/api/v1/channels", admin).await;
    let id = channels
        .as_array()
        .and_then(|all| all.iter().find(|c| c["callback_path"] == path))
        .and_then(|c| c["id"].as_str())
        .expect("the channel");
    id.parse().expect("id")
}

async fn a_push_signed_outside_the_window_is_refused(backend: Backend) {
    let Desk {
        app, admin, path_a, ..
    } = desk(backend).await;
    let channel = channel_of(&app, &admin, &path_a).await;
    let now = app.clock.now() / 1000;
    for (offset, n) in [(-301, 1), (301, 2), (-3_600 * 24, 3)] {
        let url = signed(&app, &path_a, now + offset, &format!("stale{n}"));
        let answer = post(&app, &url, text_xml("oLate", n, "舊訊息")).await;
        assert_eq!(answer, (400, "stale_timestamp".into()), "{offset} s");
    }
    // A timestamp with a leading zero signs like the nonce's last digit moved
    // over: it is not another URL.
    let zero = format!("0{now}");
    let signature = wechat::signature::signature(TOKEN, &zero, "zero");
    let url = app.url(&format!(
        "{path_a}?signature={signature}&timestamp={zero}&nonce=zero&openid=oLate"
    ));
    let answer = post(&app, &url, text_xml("oLate", 9, "零")).await;
    assert_eq!(answer, (400, "stale_timestamp".into()));
    assert_eq!(stored(&app, channel).await, 0);
    // Just inside the window, either way, is WeChat's clock a little off.
    for (offset, n) in [(-299, 4), (299, 5)] {
        let url = signed(&app, &path_a, now + offset, &format!("fresh{n}"));
        let answer = post(&app, &url, text_xml("oLate", n, "準時")).await;
        assert_eq!(answer, (200, "success".into()), "{offset} s");
    }
    assert_eq!(stored(&app, channel).await, 2);
}

async fn a_replayed_url_with_another_body_is_refused_on_every_node(backend: Backend) {
    let Desk {
        app, admin, path_a, ..
    } = desk(backend).await;
    let channel = channel_of(&app, &admin, &path_a).await;
    let other = app
        .second_node(|config| {
            config.run_workers = false;
            config.secret_key = harbour_server::config::Secret::new(KEY);
        })
        .await;
    let url = signed(&app, &path_a, app.clock.now() / 1000, "1320562132");
    let genuine = text_xml("oGenuine", 1, "我想問還款日期");
    assert_eq!(
        post(&app, &url, genuine.clone()).await,
        (200, "success".into())
    );
    // WeChat retrying the same push, on either node: accepted, stored once.
    let retried = other.url(url.trim_start_matches(&app.url("")));
    assert_eq!(
        post(&other, &retried, genuine.clone()).await,
        (200, "success".into())
    );
    assert_eq!(post(&app, &url, genuine).await, (200, "success".into()));
    // Someone who saw the URL sends their own body under it: refused everywhere.
    for (node, url) in [(&app, &url), (&other, &retried)] {
        let forged = text_xml("oGenuine", 2, "請把款項轉到另一個戶口");
        assert_eq!(
            post(node, url, forged).await,
            (400, "replayed_callback".into())
        );
    }
    assert_eq!(stored(&app, channel).await, 1);
    let conversation = conversation_of(&app, &admin, "oGenuine").await;
    let timeline = messages(&app, &admin, conversation).await;
    assert_eq!(timeline.len(), 1);
    assert!(
        !format!("{timeline:?}").contains("另一個戶口"),
        "the forged body reached the inbox"
    );
}

async fn a_compatible_account_refuses_a_push_without_encrypt(backend: Backend) {
    let app = harbour_tests::spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = app
        .connect_official_account(
            &admin,
            &json!({ "name": "Compatible", "app_id": "wxcompatcompat0001", "app_secret": "s", "token": TOKEN,
                     "encoding_aes_key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "mode": "compatible" }),
        )
        .await;
    let url = signed(&app, &channel.callback_path, app.clock.now() / 1000, "77");
    let answer = post(&app, &url, text_xml("oPlain", 1, "冇加密")).await;
    assert_eq!(answer, (400, "encryption_mode_not_enabled".into()));
    assert_eq!(stored(&app, channel.id).await, 0);
}

async fn new_channels_get_a_generated_token_and_short_ones_are_refused(backend: Backend) {
    let app = harbour_tests::spawn_app(backend).await;
    let admin = app.admin_token().await;
    let base = json!({ "name": "Generated", "app_id": "wxgeneratedtoken01", "app_secret": "s", "mode": "plain" });
    for short in ["abc", "fifteenChars123"] {
        let mut body = base.clone();
        body["token"] = json!(short);
        let (status, error) =
            harbour_tests::desk::post(&app, "/api/v1/channels/official-accounts", &admin, &body)
                .await;
        assert_eq!((status, error["field"].as_str()), (422, Some("token")));
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("16 to 32"), "{message}");
    }
    let (status, connected) =
        harbour_tests::desk::post(&app, "/api/v1/channels/official-accounts", &admin, &base).await;
    assert_eq!(status, 201, "{connected}");
    let token = connected["generated_token"]
        .as_str()
        .expect("a generated token");
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    // Shown once: the channel list never carries it.
    let (_, listed) = app.get_json("/api/v1/channels", &admin).await;
    assert!(!listed.to_string().contains(token));
    // And it is the token WeChat must sign with.
    let path = connected["callback_path"].as_str().expect("path");
    app.push_plain_text(path, token, "oGenerated", 1, "你好")
        .await;
    // A typed token of 16 letters and digits is taken as it is.
    let mut typed = base.clone();
    typed["token"] = json!("sixteenChars1234");
    typed["app_id"] = json!("wxgeneratedtoken02");
    let (status, connected) =
        harbour_tests::desk::post(&app, "/api/v1/channels/official-accounts", &admin, &typed).await;
    assert_eq!(status, 201);
    assert!(connected.get("generated_token").is_none());
}

async fn an_address_sending_bad_signatures_is_refused_for_the_minute(backend: Backend) {
    let Desk {
        app,
        admin,
        path_a,
        path_b,
        ..
    } = desk(backend).await;
    let channel = channel_of(&app, &admin, &path_a).await;
    let now = app.clock.now() / 1000;
    let limit = harbour_server::channels::callback_guard::BAD_SIGNATURES_PER_MINUTE;
    for n in 0..limit {
        let url = app.url(&format!(
            "{path_a}?signature=0000&timestamp={now}&nonce=guess{n}&openid=o"
        ));
        let (status, _) = post(&app, &url, text_xml("oGuess", 1, "x")).await;
        assert_eq!(status, 400, "guess {n}");
    }
    // Now even a good signature from that address waits for the next minute.
    let url = signed(&app, &path_a, now, "good1");
    let response = app
        .client
        .post(&url)
        .body(text_xml("oGuess", 1, "真係我"))
        .send()
        .await
        .expect("push");
    assert_eq!(response.status(), 429);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("60")
    );
    let verify = app
        .client
        .get(app.url(&format!(
            "{path_a}?signature=0&timestamp={now}&nonce=1&echostr=hi"
        )))
        .send()
        .await
        .expect("verify");
    assert_eq!(verify.status(), 429, "URL verification is limited too");
    assert_eq!(stored(&app, channel).await, 0);
    // The other channel, whose Token is right, still hears from that address:
    // WeChat sends every account's pushes from the same servers.
    let url = signed(&app, &path_b, now, "other1");
    let answer = post(&app, &url, text_xml("oOther", 1, "另一個帳號")).await;
    assert_eq!(answer, (200, "success".into()));
    app.clock.advance(60_000);
    let url = signed(&app, &path_a, app.clock.now() / 1000, "good2");
    let answer = post(&app, &url, text_xml("oGuess", 1, "真係我")).await;
    assert_eq!(answer, (200, "success".into()));
}

async fn old_callback_urls_are_pruned(backend: Backend) {
    let Desk { app, path_a, .. } = desk(backend).await;
    let now = app.clock.now() / 1000;
    for n in 0..3 {
        let url = signed(&app, &path_a, now - 200 + n, &format!("prune{n}"));
        let answer = post(&app, &url, text_xml("oPrune", n as u64, "hi")).await;
        assert_eq!(answer, (200, "success".into()));
    }
    let pruned = app
        .store
        .prune_callback_urls(now - 199)
        .await
        .expect("prune");
    assert_eq!(pruned, 1, "only the URL signed before the cut-off");
}
