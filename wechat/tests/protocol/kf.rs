//! `wecom_kf.json`: every WeCom Customer Service vector: URL verification,
//! callbacks, the `sync_msg` pages with their expected outcome, and the API
//! request and answer samples.

use std::collections::BTreeSet;

use serde_json::Value;
use wechat::kf::{
    self, KfBody, KfCallbackConfig, KfEvent, KfEventSend, KfMenu, KfMessage, KfOutbound, KfSend,
    MenuClick, MenuItem, MenuView, Origin, ServiceState, SessionState, StateChange, SyncMsgPage,
    SyncMsgRequest,
};
use wechat::message::{CorpId, ExternalUserId, KfMsgId, OpenKfId};
use wechat::query::Query;
use wechat::ApiError;

use crate::fixtures::{check_all, load, str_at};

fn file() -> Value {
    load("wecom_kf.json")
}

fn config(file: &Value) -> KfCallbackConfig {
    KfCallbackConfig::new(
        str_at(file, "/account/token"),
        str_at(file, "/account/encoding_aes_key"),
        &CorpId::new(str_at(file, "/account/corpid")),
    )
    .expect("the fixture key loads")
}

fn array<'v>(value: &'v Value, pointer: &str) -> &'v Vec<Value> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("fixture has no array at {pointer}"))
}

#[test]
fn every_url_verification_vector_is_accepted_or_rejected_as_specified() {
    let file = file();
    let config = config(&file);
    let cases = array(&file, "/url_verification");
    assert_eq!(cases.len(), 4);
    check_all(cases, |case| {
        let query =
            Query::parse(str_at(case, "/request/query_string")).map_err(|e| e.to_string())?;
        for (name, value) in case["request"]["query"].as_object().expect("query object") {
            if query.get(name) != value.as_str() {
                return Err(format!("query parameter {name} decoded differently"));
            }
        }
        match (
            str_at(case, "/expected/outcome"),
            kf::verify_url(&config, &query),
        ) {
            ("accept", Ok(echo)) if echo == str_at(case, "/expected/response_body") => Ok(()),
            ("reject", Err(err)) if err.code() == str_at(case, "/expected/reason") => Ok(()),
            (outcome, result) => Err(format!("expected {outcome}, got {result:?}")),
        }
    });
}

#[test]
fn every_callback_vector_is_accepted_with_its_fields_or_rejected_for_its_reason() {
    let file = file();
    let config = config(&file);
    let cases = array(&file, "/callbacks");
    assert_eq!(cases.len(), 4);
    check_all(cases, |case| {
        let query =
            Query::parse(str_at(case, "/request/query_string")).map_err(|e| e.to_string())?;
        let body = str_at(case, "/request/body").as_bytes();
        match (
            str_at(case, "/expected/outcome"),
            kf::receive(&config, &query, body),
        ) {
            ("accept", Ok(callback)) => {
                if callback.raw_xml() != str_at(case, "/expected/decrypted_xml") {
                    return Err("decrypted XML differs".into());
                }
                for (name, value) in case["expected"]["fields"].as_object().expect("fields") {
                    if callback.fields().text(name) != value.as_str() {
                        return Err(format!("field {name} differs"));
                    }
                }
                Ok(())
            }
            ("reject", Err(err)) if err.code() == str_at(case, "/expected/reason") => Ok(()),
            (outcome, result) => Err(format!("expected {outcome}, got {result:?}")),
        }
    });
}

#[test]
fn a_kf_msg_or_event_push_says_which_account_to_pull_with_which_token() {
    let file = file();
    let config = config(&file);
    let case = &array(&file, "/callbacks")[0];
    let query = Query::parse(str_at(case, "/request/query_string")).expect("query");
    let callback =
        kf::receive(&config, &query, str_at(case, "/request/body").as_bytes()).expect("accepted");
    let notice = callback.sync_notice().expect("a pull notice");
    assert_eq!(
        notice.open_kfid,
        OpenKfId::new(str_at(&file, "/account/open_kfid"))
    );
    assert_eq!(
        notice.token.as_deref(),
        Some("ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR")
    );
    assert_eq!(notice.create_time, 1_717_006_000);

    // An account authorisation is a record, not a pull.
    let auth = &array(&file, "/callbacks")[2];
    let query = Query::parse(str_at(auth, "/request/query_string")).expect("query");
    let callback =
        kf::receive(&config, &query, str_at(auth, "/request/body").as_bytes()).expect("accepted");
    assert_eq!(callback.event(), Some("kf_account_auth_change"));
    assert!(callback.sync_notice().is_none());
}

#[test]
fn a_tampered_callback_body_is_rejected_before_decryption() {
    let file = file();
    let config = config(&file);
    let case = &array(&file, "/callbacks")[0];
    let query = Query::parse(str_at(case, "/request/query_string")).expect("query");
    let body = str_at(case, "/request/body").replacen("nQr3", "nQr4", 1);
    let err = kf::receive(&config, &query, body.as_bytes()).expect_err("rejected");
    assert_eq!(err.code(), "msg_signature_mismatch");
}

fn pages(file: &Value) -> Vec<(Value, SyncMsgPage)> {
    array(file, "/sync_msg/pages")
        .iter()
        .map(|page| {
            let response = page["response"].clone();
            let parsed: SyncMsgPage = serde_json::from_value(response).expect("every page parses");
            (page["request"].clone(), parsed)
        })
        .collect()
}

#[test]
fn our_sync_requests_are_the_vectors_requests() {
    let file = file();
    for (request, _) in pages(&file) {
        let ours = SyncMsgRequest::new(
            OpenKfId::new(str_at(&request, "/open_kfid")),
            str_at(&request, "/cursor"),
            Some(str_at(&request, "/token").to_owned()),
        );
        assert_eq!(
            serde_json::to_value(&ours).expect("the vector has this shape"),
            request
        );
    }
    // Without a callback token the field is left out, not sent empty.
    let bare = SyncMsgRequest::new(OpenKfId::new("wk"), "", None);
    assert!(serde_json::to_value(&bare)
        .expect("the vector has this shape")
        .get("token")
        .is_none());
}

/// The sync algorithm of PROTOCOL.md §6.3 over the vector pages: store by
/// msgid, page while `has_more` (empty pages too), then replay from an empty
/// cursor and store nothing new.
#[test]
fn syncing_the_vector_pages_stores_each_entry_once_in_order() {
    let file = file();
    let expected = &file["sync_msg"]["expected"];
    let mut stored: Vec<KfMessage> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut store = |page: SyncMsgPage| -> usize {
        let before = seen.len();
        for message in page.msg_list {
            if seen.insert(message.msgid.clone()) {
                stored.push(message);
            }
        }
        seen.len() - before
    };
    let mut pages = pages(&file).into_iter();
    let mut cursor = String::new();
    loop {
        let (request, page) = pages.next().expect("the sync ends with has_more = 0");
        assert_eq!(
            str_at(&request, "/cursor"),
            cursor,
            "each call starts at the stored cursor"
        );
        let (next, more) = (page.next_cursor.clone(), page.has_more);
        store(page);
        cursor = next; // only after the page is stored
        if !more {
            break;
        }
    }
    assert_eq!(cursor, str_at(expected, "/cursor_after_sync"));
    // A lost cursor: resync from empty replays, and dedupe absorbs it.
    let (replay_request, replay) = pages.next().expect("the replay page");
    assert_eq!(str_at(&replay_request, "/cursor"), "");
    assert_eq!(store(replay), 0, "a replay stores nothing new");
    let ids: Vec<&str> = stored.iter().map(|m| m.msgid.as_str()).collect();
    let want: Vec<&str> = array(expected, "/stored_msgids_in_order")
        .iter()
        .map(|v| v.as_str().expect("the vector has this shape"))
        .collect();
    assert_eq!(ids, want);

    let by_origin = |origin: Origin| -> Vec<&str> {
        stored
            .iter()
            .filter(|m| m.origin == origin)
            .map(|m| m.msgid.as_str())
            .collect()
    };
    let strings = |pointer: &str| -> Vec<&str> {
        array(expected, pointer)
            .iter()
            .map(|v| v.as_str().expect("the vector has this shape"))
            .collect()
    };
    assert_eq!(by_origin(Origin::Customer), strings("/customer_messages"));
    assert_eq!(by_origin(Origin::Servicer), strings("/servicer_messages"));
    for (msgid, event_type) in expected["events"]
        .as_object()
        .expect("the vector has this shape")
    {
        let message = stored
            .iter()
            .find(|m| m.msgid.as_str() == msgid)
            .expect("the vector has this shape");
        assert_eq!(
            message.event().map(KfEvent::event_type),
            event_type.as_str(),
            "{msgid}"
        );
        assert!(
            message.open_kfid.is_some() && message.external_userid.is_some()
                || event_type == "servicer_status_change"
        );
    }
    let welcome: Vec<&str> = stored
        .iter()
        .filter_map(|m| match m.event() {
            Some(KfEvent::EnterSession {
                welcome_code: Some(code),
                ..
            }) => Some(code.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(welcome, [str_at(expected, "/welcome_code_to_use")]);
    let recalled: Vec<&str> = stored
        .iter()
        .filter_map(|m| match m.event() {
            Some(KfEvent::UserRecallMsg { recall_msgid }) => Some(recall_msgid.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(recalled, strings("/recalled_msgids"));
    let failed: Vec<&str> = stored
        .iter()
        .filter_map(|m| match m.event() {
            Some(KfEvent::MsgSendFail { fail_msgid, .. }) => Some(fail_msgid.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(failed, strings("/failed_outbound_msgids"));

    // The window: 48 h after the customer's latest message.
    let last = stored
        .iter()
        .filter(|m| m.origin == Origin::Customer)
        .map(|m| m.send_time)
        .max()
        .expect("the vector has this shape");
    assert_eq!(Some(last), expected["last_customer_send_time"].as_i64());
    assert_eq!(
        Some(last + 48 * 3600),
        expected["window_open_until"].as_i64()
    );
}

#[test]
fn every_vector_entry_is_typed_and_kept_whole() {
    let file = file();
    for (_, page) in pages(&file) {
        for message in page.msg_list {
            assert!(
                !matches!(message.body, KfBody::Other { .. }),
                "{} should be typed",
                message.msgid
            );
            assert_eq!(
                serde_json::to_value(&message).expect("the vector has this shape"),
                message.raw
            );
        }
    }
    let (_, third) = &pages(&file)[2];
    let servicer = third
        .msg_list
        .iter()
        .find(|m| m.origin == Origin::Servicer)
        .expect("the vector has this shape");
    assert_eq!(servicer.servicer_userid.as_deref(), Some("zhangsan"));
    let menu_reply = third
        .msg_list
        .iter()
        .find_map(|m| match &m.body {
            KfBody::Text {
                menu_id: Some(id), ..
            } => Some(id.as_str()),
            _ => None,
        })
        .expect("the vector has this shape");
    assert_eq!(menu_reply, "101");
    assert!(third.msg_list.iter().any(|m| matches!(
        m.body,
        KfBody::Location { latitude, .. } if (latitude - 23.106_021_881_103_5).abs() < 1e-9
    )));
}

fn sample(name: &str) -> Value {
    array(&file(), "/api_samples")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no sample {name}"))
        .clone()
}

#[test]
fn our_sends_are_the_samples_requests() {
    let text = sample("send_msg_text");
    let send = KfSend {
        touser: ExternalUserId::new(str_at(&text, "/request/touser")),
        open_kfid: OpenKfId::new(str_at(&text, "/request/open_kfid")),
        msgid: Some(KfMsgId::new("inbox_out_000001")),
        message: KfOutbound::text("您好，请提供订单截图"),
    };
    assert_eq!(
        serde_json::to_value(&send).expect("the vector has this shape"),
        text["request"]
    );

    let invalid = sample("send_msg_session_state_invalid");
    let send = KfSend {
        msgid: None,
        message: KfOutbound::text("hi"),
        ..send
    };
    assert_eq!(
        serde_json::to_value(&send).expect("the vector has this shape"),
        invalid["request"]
    );
    let code = invalid["response"]["errcode"]
        .as_i64()
        .expect("the vector has this shape");
    assert!(matches!(
        ApiError::from_wecom_errcode(code, "x"),
        ApiError::KfSessionNotOwned { .. }
    ));

    let welcome = sample("send_msg_on_event_welcome");
    let send = KfEventSend {
        code: "aaaaaa_welcome_code_1".into(),
        msgid: Some(KfMsgId::new("inbox_welcome_0001")),
        message: KfOutbound::MsgMenu(KfMenu {
            head_content: "欢迎咨询".into(),
            list: vec![
                MenuItem::Click {
                    click: MenuClick {
                        id: "101".into(),
                        content: "转人工".into(),
                    },
                },
                MenuItem::View {
                    view: MenuView {
                        url: "https://example.com/self-service".into(),
                        content: "自助查询".into(),
                    },
                },
            ],
            tail_content: "如有问题随时联系".into(),
        }),
    };
    assert_eq!(
        serde_json::to_value(&send).expect("the vector has this shape"),
        welcome["request"]
    );
}

#[test]
fn the_session_state_samples_read_and_write_as_ours() {
    let get = sample("service_state_get");
    let state: ServiceState =
        serde_json::from_value(get["response"].clone()).expect("the vector has this shape");
    assert_eq!(state.service_state, SessionState::Servicer);
    assert_eq!(state.servicer_userid.as_deref(), Some("zhangsan"));
    assert!(!state.service_state.api_may_send());
    // One SDK spells the field service_userid.
    let other: ServiceState =
        serde_json::from_value(serde_json::json!({"service_state": 1, "service_userid": "li"}))
            .expect("the vector has this shape");
    assert_eq!(other.servicer_userid.as_deref(), Some("li"));

    for name in ["service_state_trans_to_human", "service_state_trans_end"] {
        let trans = sample(name);
        let request = &trans["request"];
        let change = StateChange {
            open_kfid: OpenKfId::new(str_at(request, "/open_kfid")),
            external_userid: ExternalUserId::new(str_at(request, "/external_userid")),
            service_state: SessionState::try_from(
                request["service_state"]
                    .as_i64()
                    .expect("the vector has this shape"),
            )
            .expect("the vector has this shape"),
            servicer_userid: request["servicer_userid"].as_str().map(str::to_owned),
        };
        assert_eq!(
            &serde_json::to_value(&change).expect("the vector has this shape"),
            request,
            "{name}"
        );
    }
}

#[test]
fn the_sync_error_samples_map_to_typed_errors_with_actions() {
    let file = file();
    let codes: Vec<&str> = array(&file, "/sync_msg/error_samples")
        .iter()
        .map(|e| {
            ApiError::from_wecom_errcode(
                e["errcode"].as_i64().expect("the vector has this shape"),
                "x",
            )
            .code()
        })
        .collect();
    assert_eq!(codes, ["invalid_access_token", "kf_rate_limited"]);
}
