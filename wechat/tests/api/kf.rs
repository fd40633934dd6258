//! The WeCom Customer Service client against the fake over real HTTP: the
//! corp token, callbacks that say "pull", `sync_msg` paging, sends within
//! the window and the session state machine, event codes, accounts,
//! customers and media.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::routing::post;
use wechat::client::{paths, Action, ApiError, CorpSecret, DownloadedMedia, MediaType};
use wechat::fake::FakeWeChat;
use wechat::kf::{
    self, KfBody, KfCallbackConfig, KfClient, KfEvent, KfEventSend, KfMessage, KfOutbound, KfSend,
    Origin, SessionState, StateChange, SyncMsgRequest, SyncNotice,
};
use wechat::message::{CorpId, ExternalUserId, KfMsgId, OpenKfId};
use wechat::query::Query;

const CORPID: &str = "ww4f3e2d1c0b9a8776";
const SECRET: &str = "CoRpSeCrEt0123456789CoRpSeCrEt01";
const TOKEN: &str = "inboxTestToken2024";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

struct Kf {
    fake: FakeWeChat,
    client: KfClient,
    account: OpenKfId,
    customer: ExternalUserId,
}

async fn spawn() -> Kf {
    let fake = FakeWeChat::start("127.0.0.1:0").await.expect("fake starts");
    let corpid = CorpId::new(CORPID);
    fake.register_corp(&corpid, &CorpSecret::new(SECRET));
    let account = fake.add_kf_account(&corpid, "Harbour Desk");
    let customer = fake.add_kf_customer("陳大文", Some("oUnion_chan"));
    let client = KfClient::builder(corpid, CorpSecret::new(SECRET))
        .base_url(fake.base_url())
        .build_kf()
        .expect("client builds");
    Kf {
        fake,
        client,
        account,
        customer,
    }
}

impl Kf {
    /// Pulls everything from `cursor` the way PROTOCOL.md §6.3 says, `limit`
    /// entries a page; returns the entries and the last cursor.
    async fn sync_all(&self, cursor: &str, limit: u32) -> (Vec<KfMessage>, String, usize) {
        let mut cursor = cursor.to_owned();
        let mut entries = Vec::new();
        let mut calls = 0;
        loop {
            let mut request = SyncMsgRequest::new(self.account.clone(), cursor.clone(), None);
            request.limit = limit;
            let page = self.client.sync_msg(&request).await.expect("sync");
            calls += 1;
            entries.extend(page.msg_list);
            cursor = page.next_cursor;
            if !page.has_more {
                return (entries, cursor, calls);
            }
        }
    }

    fn text(&self, content: &str, msgid: &str) -> KfSend {
        KfSend {
            touser: self.customer.clone(),
            open_kfid: self.account.clone(),
            msgid: Some(KfMsgId::new(msgid)),
            message: KfOutbound::text(content),
        }
    }
}

fn texts(entries: &[KfMessage]) -> Vec<&str> {
    entries
        .iter()
        .filter_map(|m| match &m.body {
            KfBody::Text { content, .. } => Some(content.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn sync_pages_through_everything_once_in_order_including_empty_pages() {
    let kf = spawn().await;
    for n in 0..5 {
        kf.fake
            .kf_customer_says(&kf.account, &kf.customer, &format!("第{n}條"));
    }
    kf.fake.kf_insert_empty_pages(&kf.account, 2);
    let (entries, cursor, calls) = kf.sync_all("", 2).await;
    assert_eq!(
        texts(&entries),
        ["第0條", "第1條", "第2條", "第3條", "第4條"]
    );
    assert!(entries.iter().all(|m| m.origin == Origin::Customer));
    assert_eq!(
        calls,
        2 + 3,
        "two empty pages with has_more = 1, then 2 + 2 + 1"
    );

    // Nothing new: one empty page, no more.
    let (again, _, _) = kf.sync_all(&cursor, 1000).await;
    assert!(again.is_empty());
    kf.fake.kf_customer_says(&kf.account, &kf.customer, "再問");
    let (newer, _, _) = kf.sync_all(&cursor, 1000).await;
    assert_eq!(texts(&newer), ["再問"]);
    // A lost cursor replays what is kept: dedupe by msgid absorbs it.
    let (replay, _, _) = kf.sync_all("", 1000).await;
    assert_eq!(replay.len(), 6);
    assert_eq!(
        kf.fake.calls(paths::GETTOKEN),
        1,
        "one token for every call"
    );
}

#[tokio::test]
async fn entries_older_than_three_days_are_gone() {
    let kf = spawn().await;
    kf.fake.kf_customer_says(&kf.account, &kf.customer, "old");
    kf.fake
        .clock()
        .advance(Duration::from_secs(3 * 24 * 3600 + 1));
    kf.fake.kf_customer_says(&kf.account, &kf.customer, "new");
    let (entries, _, _) = kf.sync_all("", 1000).await;
    assert_eq!(texts(&entries), ["new"]);
}

#[tokio::test]
async fn sends_are_idempotent_by_msgid_and_limited_to_five_per_window() {
    let kf = spawn().await;
    kf.fake.kf_customer_says(&kf.account, &kf.customer, "hi");
    let first = kf.text("您好", "harbour_out_1");
    assert_eq!(
        kf.client.send_msg(&first).await.expect("sent"),
        Some(KfMsgId::new("harbour_out_1"))
    );
    // A retry of the same record reaches the customer once.
    kf.client.send_msg(&first).await.expect("retry answered");
    assert_eq!(kf.fake.kf_received(&kf.customer).len(), 1);
    assert_eq!(
        kf.fake.kf_session_state(&kf.account, &kf.customer),
        SessionState::Api
    );

    for n in 2..=6 {
        kf.client
            .send_msg(&kf.text("more", &format!("harbour_out_{n}")))
            .await
            .expect("accepted: WeCom reports the limit afterwards");
    }
    let (entries, cursor, _) = kf.sync_all("", 1000).await;
    let failures: Vec<_> = entries
        .iter()
        .filter_map(|m| match m.event() {
            Some(KfEvent::MsgSendFail {
                fail_msgid,
                fail_type,
            }) => Some((fail_msgid.as_str(), *fail_type)),
            _ => None,
        })
        .collect();
    assert_eq!(failures, [("harbour_out_6", 6)]);
    let delivered = kf
        .fake
        .kf_received(&kf.customer)
        .iter()
        .filter(|r| r.delivered)
        .count();
    assert_eq!(delivered, 5);

    // The customer writes again: a fresh allowance. After 48 h: expired.
    kf.fake.kf_customer_says(&kf.account, &kf.customer, "again");
    kf.client
        .send_msg(&kf.text("ok", "harbour_out_7"))
        .await
        .expect("sent");
    kf.fake.clock().advance(Duration::from_secs(48 * 3600 + 1));
    kf.client
        .send_msg(&kf.text("late", "harbour_out_8"))
        .await
        .expect("accepted");
    let (later, _, _) = kf.sync_all(&cursor, 1000).await;
    assert!(later.iter().any(|m| matches!(m.event(),
        Some(KfEvent::MsgSendFail { fail_msgid, fail_type: 4 }) if fail_msgid.as_str() == "harbour_out_8")));
    assert_eq!(
        kf::send_failure_reason(4),
        "The client has not written for 48 hours, so the session expired."
    );
}

#[tokio::test]
async fn a_session_a_servicer_holds_refuses_sends_with_95018_and_shows_who() {
    let kf = spawn().await;
    kf.fake.set_kf_servicer(&kf.account, "zhangsan", true);
    kf.fake.kf_customer_says(&kf.account, &kf.customer, "hi");
    kf.fake
        .kf_servicer_takes(&kf.account, &kf.customer, "zhangsan");
    let err = kf
        .client
        .send_msg(&kf.text("from the inbox", "harbour_out_1"))
        .await
        .expect_err("a human owns the session");
    assert!(matches!(err, ApiError::KfSessionNotOwned { .. }));
    assert!(matches!(err.action(), Action::TellAgent(_)));
    assert!(kf.fake.kf_received(&kf.customer).is_empty());

    let state = kf
        .client
        .service_state(&kf.account, &kf.customer)
        .await
        .expect("state");
    assert_eq!(state.service_state, SessionState::Servicer);
    assert_eq!(state.servicer_userid.as_deref(), Some("zhangsan"));

    // 3 → 1 is not in the table; 3 → 4 is, and gives a closing code.
    let back = StateChange {
        open_kfid: kf.account.clone(),
        external_userid: kf.customer.clone(),
        service_state: SessionState::Api,
        servicer_userid: None,
    };
    let err = kf.client.change_state(&back).await.expect_err("illegal");
    assert_eq!(err.code(), "kf_illegal_transition");
    let code = kf
        .client
        .end_session(&kf.account, &kf.customer)
        .await
        .expect("ended")
        .expect("a closing code");
    let closing = KfEventSend {
        code: code.clone(),
        msgid: Some(KfMsgId::new("harbour_close_1")),
        message: KfOutbound::text("多謝查詢"),
    };
    kf.client
        .send_msg_on_event(&closing)
        .await
        .expect("closing message sent");
    assert_eq!(
        kf.fake.kf_received(&kf.customer)[0].text(),
        Some("多謝查詢")
    );

    // The servicer's own messages come through sync as origin 5.
    kf.fake.kf_customer_says(&kf.account, &kf.customer, "again");
    kf.fake
        .kf_servicer_says(&kf.account, &kf.customer, "zhangsan", "我來跟進");
    let (entries, _, _) = kf.sync_all("", 1000).await;
    let servicer = entries
        .iter()
        .find(|m| m.origin == Origin::Servicer)
        .expect("as the test set it up");
    assert_eq!(servicer.servicer_userid.as_deref(), Some("zhangsan"));
    assert!(entries.iter().any(|m| matches!(
        m.event(),
        Some(KfEvent::SessionStatusChange { change_type: 1, new_servicer_userid: Some(s), .. }) if s == "zhangsan"
    )));
}

#[tokio::test]
async fn a_welcome_code_works_once_and_for_twenty_seconds() {
    let kf = spawn().await;
    let code = kf
        .fake
        .kf_enter_session(&kf.account, &kf.customer, "website")
        .expect("a welcome code");
    let welcome = |code: &str, id: &str| KfEventSend {
        code: code.to_owned(),
        msgid: Some(KfMsgId::new(id)),
        message: KfOutbound::text("歡迎！"),
    };
    kf.client
        .send_msg_on_event(&welcome(&code, "w1"))
        .await
        .expect("welcome sent");
    let reused = kf
        .client
        .send_msg_on_event(&welcome(&code, "w2"))
        .await
        .expect_err("single use");
    assert_eq!(reused.errcode(), Some(95015));
    assert_eq!(kf.fake.kf_received(&kf.customer).len(), 1);

    let other = kf.fake.add_kf_customer("李小姐", None);
    let late = kf
        .fake
        .kf_enter_session(&kf.account, &other, "qr")
        .expect("a welcome code");
    kf.fake.clock().advance(Duration::from_secs(21));
    kf.client
        .send_msg_on_event(&welcome(&late, "w3"))
        .await
        .expect_err("expired after 20 s");

    // We wrote within 48 hours: no new welcome code.
    assert!(kf
        .fake
        .kf_enter_session(&kf.account, &kf.customer, "website")
        .is_none());
}

#[tokio::test]
async fn accounts_and_customers_with_their_unionid() {
    let kf = spawn().await;
    let corpid = CorpId::new(CORPID);
    kf.fake.add_kf_account(&corpid, "Harbour Claims");
    kf.fake
        .add_kf_account(&CorpId::new("wwSomeoneElse000000"), "Not ours");
    let accounts = kf.client.accounts().await.expect("accounts");
    let mut names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Harbour Claims", "Harbour Desk"]);
    assert!(accounts.iter().all(|a| a.manage_privilege));

    let unknown = ExternalUserId::new("wmNobody");
    let customers = kf
        .client
        .customers(&[kf.customer.clone(), unknown.clone()])
        .await
        .expect("customers");
    assert_eq!(customers.customer_list.len(), 1);
    assert_eq!(customers.customer_list[0].nickname, "陳大文");
    assert_eq!(
        customers.customer_list[0].unionid.as_deref(),
        Some("oUnion_chan")
    );
    assert_eq!(customers.invalid_external_userid, [unknown]);
}

#[tokio::test]
async fn errors_are_typed_and_a_rejected_token_is_refreshed_once() {
    let kf = spawn().await;
    kf.fake.kf_customer_says(&kf.account, &kf.customer, "hi");
    kf.client
        .send_msg(&kf.text("one", "o1"))
        .await
        .expect("sent");
    kf.fake.fail_next(paths::KF_SEND_MSG, 40014);
    kf.client
        .send_msg(&kf.text("two", "o2"))
        .await
        .expect("sent after one refresh");
    assert_eq!(kf.fake.calls(paths::GETTOKEN), 2);

    let stranger = KfSend {
        touser: ExternalUserId::new("wmNobody"),
        ..kf.text("x", "o3")
    };
    let err = kf.client.send_msg(&stranger).await.expect_err("unknown");
    assert_eq!(err.code(), "invalid_external_userid");
    let elsewhere = KfSend {
        open_kfid: OpenKfId::new("wkNotOurs"),
        ..kf.text("x", "o4")
    };
    let err = kf.client.send_msg(&elsewhere).await.expect_err("unknown");
    assert_eq!(err.code(), "invalid_open_kfid");
    let bad_id = kf.text("x", "not a valid id!");
    assert!(kf.client.send_msg(&bad_id).await.is_err());
    let too_long = kf.text(&"字".repeat(700), "o5");
    assert_eq!(
        kf.client
            .send_msg(&too_long)
            .await
            .expect_err("too long")
            .code(),
        "content_too_long"
    );

    // Without a callback token sync_msg is throttled hard.
    let bare = SyncMsgRequest::new(kf.account.clone(), "", None);
    let mut limited = None;
    for _ in 0..20 {
        if let Err(err) = kf.client.sync_msg(&bare).await {
            limited = Some(err);
            break;
        }
    }
    let limited = limited.expect("throttled");
    assert_eq!(limited.code(), "kf_rate_limited");

    // A wrong secret is refused when the token is fetched.
    let wrong = KfClient::builder(CorpId::new(CORPID), CorpSecret::new("wrong"))
        .base_url(kf.fake.base_url())
        .build_kf()
        .expect("builds");
    let err = wrong.accounts().await.expect_err("refused");
    assert_eq!(err.errcode(), Some(40001));
    assert!(!err.to_string().contains("wrong"));
}

#[tokio::test]
async fn customer_media_downloads_and_our_files_upload_and_send() {
    let kf = spawn().await;
    let photo = b"\x89PNG\r\n\x1a\nfake".to_vec();
    kf.fake
        .kf_customer_sends_media(
            &kf.account,
            &kf.customer,
            MediaType::Image,
            "photo.png",
            "image/png",
            photo.clone(),
        )
        .expect("stored");
    let (entries, _, _) = kf.sync_all("", 1000).await;
    let KfBody::Media { media_id, .. } = &entries[0].body else {
        panic!("an image entry");
    };
    match kf.client.download_media(media_id).await.expect("download") {
        DownloadedMedia::File { bytes, .. } => assert_eq!(bytes, photo),
        other => panic!("expected a file, got {other:?}"),
    }

    let upload = wechat::client::MediaUpload {
        media_type: MediaType::File,
        filename: "contract-note.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.4 fake".to_vec(),
    };
    let uploaded = kf.client.upload_media(&upload).await.expect("uploaded");
    let send = KfSend {
        message: KfOutbound::File {
            media_id: uploaded.media_id.clone(),
        },
        ..kf.text("", "file_1")
    };
    kf.client.send_msg(&send).await.expect("file sent");
    let received = kf.fake.kf_received(&kf.customer);
    assert_eq!(received[0].msgtype, "file");
}

/// Callbacks reach a real HTTP endpoint signed and encrypted; the token in
/// them lets sync_msg through without throttling.
#[tokio::test]
async fn a_customer_message_is_announced_by_a_callback_whose_token_syncs() {
    let kf = spawn().await;
    let config =
        KfCallbackConfig::new(TOKEN, AES_KEY, &CorpId::new(CORPID)).expect("callback config");
    let notices: Arc<Mutex<Vec<SyncNotice>>> = Arc::default();
    let seen = Arc::clone(&notices);
    let check = config.clone();
    let app = axum::Router::new().route(
        "/wechat/kf/1",
        post(move |RawQuery(query): RawQuery, body: Bytes| {
            let seen = Arc::clone(&seen);
            let check = check.clone();
            async move {
                let query = Query::parse(&query.unwrap_or_default()).expect("query");
                let callback = kf::receive(&check, &query, &body).expect("verifies");
                seen.lock()
                    .expect("as the test set it up")
                    .extend(callback.sync_notice());
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("as the test set it up");
    let url = format!(
        "http://{}/wechat/kf/1",
        listener.local_addr().expect("as the test set it up")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    kf.fake.set_kf_callback(&CorpId::new(CORPID), url, config);

    kf.fake
        .kf_customer_says(&kf.account, &kf.customer, "有冇人？");
    let notice = async {
        loop {
            if let Some(notice) = notices
                .lock()
                .expect("as the test set it up")
                .first()
                .cloned()
            {
                return notice;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let notice = tokio::time::timeout(Duration::from_secs(5), notice)
        .await
        .expect("a callback arrives");
    assert_eq!(notice.open_kfid, kf.account);
    for _ in 0..20 {
        let request = SyncMsgRequest::new(kf.account.clone(), "", notice.token.clone());
        let page = kf.client.sync_msg(&request).await.expect("not throttled");
        assert_eq!(texts(&page.msg_list), ["有冇人？"]);
    }
}

#[tokio::test]
async fn simulated_customers_write_bilingual_traffic_that_sync_pulls() {
    let kf = spawn().await;
    let fake = Arc::new(kf.fake);
    let mut customers = wechat::fake::simulator::KfCustomers::new(
        Arc::clone(&fake),
        vec![kf.account.clone()],
        8,
        7,
    );
    let written: Vec<KfMsgId> = (0..60).filter_map(|_| customers.step()).collect();
    assert!(written.len() > 30, "most steps write something");
    let client = kf.client;
    let mut request = SyncMsgRequest::new(kf.account.clone(), "", None);
    let mut entries = Vec::new();
    loop {
        let page = client.sync_msg(&request).await.expect("sync");
        entries.extend(page.msg_list);
        request.cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    for msgid in &written {
        assert!(entries.iter().any(|m| &m.msgid == msgid), "{msgid} pulled");
    }
    let chinese = texts(&entries)
        .iter()
        .filter(|t| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
        .count();
    assert!(chinese > 0, "Chinese texts among them");
    assert!(entries
        .iter()
        .any(|m| matches!(m.body, KfBody::Media { .. })));
}
