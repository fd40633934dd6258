//! `oa_plain_messages.json`: plaintext-mode pushes, typed views, dedupe keys
//! and delivery scenarios.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use wechat::callback::{receive, CallbackConfig};
use wechat::message::{Event, MessageKind};
use wechat::query::Query;
use wechat::InboundMessage;

use crate::fixtures::{cases, check_all, load, str_at};

const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

fn receive_case(config: &CallbackConfig, case: &Value) -> Result<InboundMessage, String> {
    let query = Query::parse(str_at(case, "/request/query_string")).map_err(|e| e.to_string())?;
    let body = str_at(case, "/request/body").as_bytes();
    receive(config, &query, body).map_err(|e| e.code().to_owned())
}

/// Checks an accepted push against `expected.fields` and `expected.dedupe_key`.
pub fn check_accepted(case: &Value, message: &InboundMessage) -> Result<(), String> {
    let fields = serde_json::to_value(message.fields()).map_err(|e| e.to_string())?;
    if fields != case["expected"]["fields"] {
        return Err(format!("fields differ: {fields}"));
    }
    let key = message.dedupe_key();
    if key.as_str() != str_at(case, "/expected/dedupe_key") {
        return Err(format!("dedupe key {key}"));
    }
    let typed = match (str_at(case, "/name"), str_at(case, "/kind"), message.kind()) {
        ("unknown_msgtype", _, MessageKind::Unknown) => true,
        ("unknown_msgtype", _, _) => false,
        (_, "message", MessageKind::Message { .. }) => true,
        (_, "event", MessageKind::Event { event, .. }) => !matches!(event, Event::Other { .. }),
        _ => false,
    };
    if !typed {
        return Err(format!("unexpected typed view {:?}", message.kind()));
    }
    Ok(())
}

#[test]
fn every_plaintext_push_vector_is_accepted_or_rejected_as_specified() {
    let file = load("oa_plain_messages.json");
    let config = CallbackConfig::plain(str_at(&file, "/account/token"));
    let cases = cases(&file);
    assert_eq!(cases.len(), 24);
    check_all(cases, |case| {
        match (
            str_at(case, "/expected/outcome"),
            receive_case(&config, case),
        ) {
            ("accept", Ok(message)) => {
                if message.raw_xml() != str_at(case, "/request/body") {
                    return Err("raw XML was not kept verbatim".to_owned());
                }
                check_accepted(case, &message)
            }
            ("reject", Err(code)) if code == str_at(case, "/expected/reason") => Ok(()),
            (outcome, result) => Err(format!("expected {outcome}, got {result:?}")),
        }
    });
}

#[test]
fn plaintext_pushes_are_refused_by_safe_and_compatible_accounts() {
    let file = load("oa_plain_messages.json");
    let token = str_at(&file, "/account/token");
    let appid = str_at(&file, "/account/appid");
    let safe = CallbackConfig::safe(token, KEY, appid).expect("config");
    let compatible = CallbackConfig::compatible(token, KEY, appid).expect("config");
    let accepted: Vec<Value> = cases(&file)
        .iter()
        .filter(|c| c["expected"]["outcome"] == "accept")
        .cloned()
        .collect();
    // Compatible mode too: without `Encrypt` only the URL is signed, so the
    // body could be anyone's.
    check_all(&accepted, |case| {
        for (mode, config) in [("safe", &safe), ("compatible", &compatible)] {
            match receive_case(config, case) {
                Err(code) if code == "encryption_mode_not_enabled" => {}
                other => return Err(format!("{mode} mode answered {other:?}")),
            }
        }
        Ok(())
    });
}

#[test]
fn typed_views_carry_the_protocol_fields() {
    let file = load("oa_plain_messages.json");
    let config = CallbackConfig::plain(str_at(&file, "/account/token"));
    let by_name: HashMap<&str, InboundMessage> = cases(&file)
        .iter()
        .filter(|c| c["expected"]["outcome"] == "accept")
        .map(|c| {
            (
                str_at(c, "/name"),
                receive_case(&config, c).expect("accepted"),
            )
        })
        .collect();
    let event = |name: &str| match by_name[name].kind() {
        MessageKind::Event { event, .. } => event.clone(),
        other => panic!("{name} is not an event: {other:?}"),
    };

    let header = by_name["text"].header().expect("header");
    assert_eq!(header.from.as_str(), "oQ4Xw5tJ2pR7vY9zA1bC3dE5fG7h");
    assert_eq!(header.create_time, 1_717_000_001);
    assert_eq!(event("event_subscribe_qrscene").qr_scene(), Some("123123"));
    assert!(matches!(
        event("event_masssendjobfinish"),
        Event::MassSendJobFinish { msg_id, sent_count: Some(75), .. } if msg_id.get() == 1_000_001_625
    ));
    assert!(matches!(
        event("event_scancode_waitmsg"),
        Event::ScanCodeWaitMsg { info, .. } if info.scan_result == "ORDER-20240529-0001"
    ));
    assert!(matches!(
        event("event_subscribe_msg_popup"),
        Event::SubscribeMsgPopup { items } if items.len() == 2
    ));
    assert!(matches!(event("event_unsubscribe"), Event::Unsubscribe));
}

#[test]
fn delivery_scenarios_store_the_expected_number_of_records() {
    let file = load("oa_plain_messages.json");
    let config = CallbackConfig::plain(str_at(&file, "/account/token"));
    let by_name: HashMap<&str, &Value> = cases(&file)
        .iter()
        .map(|c| (str_at(c, "/name"), c))
        .collect();
    let scenarios = file["delivery_scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 2);
    for scenario in scenarios {
        let mut stored = HashSet::new();
        for delivery in scenario["deliveries"].as_array().expect("deliveries") {
            let case = by_name[delivery.as_str().expect("name")];
            let message = receive_case(&config, case).expect("accepted");
            stored.insert(message.dedupe_key());
        }
        let expected = scenario["expected_stored_records"].as_u64().expect("count");
        assert_eq!(stored.len() as u64, expected, "{}", scenario["name"]);
    }
}
