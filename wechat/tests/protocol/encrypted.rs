//! `oa_encrypted_messages.json`: safe- and compatible-mode pushes, including
//! every negative case.

use serde_json::Value;
use wechat::callback::{receive, CallbackConfig};
use wechat::crypto::{decode_encoding_aes_key, MessageCrypto};
use wechat::query::Query;
use wechat::signature::msg_signature;

use crate::fixtures::{cases, check_all, load, prefix, str_at};
use crate::plain::check_accepted;

/// Fixture reasons that name an outcome two error codes can produce.
fn reason_matches(reason: &str, code: &str) -> bool {
    match reason {
        "invalid_padding_or_receive_id" => {
            matches!(code, "invalid_padding" | "receive_id_mismatch")
        }
        _ => reason == code,
    }
}

#[test]
fn the_fixture_encoding_aes_key_decodes_to_the_documented_key() {
    let file = load("oa_encrypted_messages.json");
    let key = decode_encoding_aes_key(str_at(&file, "/account/encoding_aes_key")).expect("decodes");
    assert_eq!(hex::encode(key), str_at(&file, "/account/aes_key_hex"));
    assert_eq!(
        hex::encode(&key[..16]),
        str_at(&file, "/account/aes_iv_hex")
    );
}

#[test]
fn every_encrypted_push_vector_is_accepted_or_rejected_as_specified() {
    let file = load("oa_encrypted_messages.json");
    let token = str_at(&file, "/account/token");
    let key = str_at(&file, "/account/encoding_aes_key");
    let appid = str_at(&file, "/account/appid");
    let safe = CallbackConfig::safe(token, key, appid).expect("config");
    let compatible = CallbackConfig::compatible(token, key, appid).expect("config");
    let cases = cases(&file);
    assert_eq!(cases.len(), 35);
    assert_eq!(cases.iter().filter(|c| c["kind"] == "negative").count(), 11);
    check_all(cases, |case| {
        let config = match str_at(case, "/mode") {
            "safe" => &safe,
            "compatible" => &compatible,
            other => return Err(format!("unknown mode {other}")),
        };
        let query =
            Query::parse(str_at(case, "/request/query_string")).map_err(|e| e.to_string())?;
        let result = receive(config, &query, str_at(case, "/request/body").as_bytes());
        match (str_at(case, "/expected/outcome"), result) {
            ("accept", Ok(message)) => {
                if message.raw_xml() != str_at(case, "/expected/decrypted_xml") {
                    return Err("decrypted XML differs".to_owned());
                }
                check_accepted(case, &message)
            }
            ("reject", Err(err))
                if reason_matches(str_at(case, "/expected/reason"), err.code()) =>
            {
                Ok(())
            }
            (outcome, result) => Err(format!("expected {outcome}, got {result:?}")),
        }
    });
}

#[test]
fn re_encrypting_every_decrypted_push_with_its_prefix_reproduces_the_ciphertext() {
    let file = load("oa_encrypted_messages.json");
    let token = str_at(&file, "/account/token");
    let crypto = MessageCrypto::new(
        str_at(&file, "/account/encoding_aes_key"),
        str_at(&file, "/account/receive_id"),
    )
    .expect("key");
    let accepted: Vec<Value> = cases(&file)
        .iter()
        .filter(|c| c["kind"] != "negative")
        .cloned()
        .collect();
    assert_eq!(accepted.len(), 24);
    check_all(&accepted, |case| {
        let xml = str_at(case, "/expected/decrypted_xml");
        let encrypt = crypto
            .encrypt_with_prefix(
                xml.as_bytes(),
                prefix(str_at(case, "/crypto/random_prefix_hex")),
            )
            .map_err(|e| e.to_string())?;
        if encrypt != str_at(case, "/crypto/encrypt") {
            return Err("ciphertext differs".to_owned());
        }
        let query = &case["request"]["query"];
        let signed = msg_signature(
            token,
            str_at(query, "/timestamp"),
            str_at(query, "/nonce"),
            &encrypt,
        );
        if signed != str_at(query, "/msg_signature") {
            return Err("msg_signature differs".to_owned());
        }
        Ok(())
    });
}
