//! Property tests: the envelope round-trips, and no parser panics on any input.

use base64::Engine as _;
use proptest::prelude::*;
use wechat::callback::{receive, CallbackConfig};
use wechat::crypto::MessageCrypto;
use wechat::message::{OpenId, OriginalId, Reply};
use wechat::query::{percent_decode, Query};
use wechat::signature::signature;
use wechat::xml::{self, cdata};

const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

fn crypto(receive_id: &str) -> MessageCrypto {
    MessageCrypto::new(KEY, receive_id).expect("fixture key")
}

/// Strings XML 1.0 can carry (what WeChat can send us).
fn xml_text() -> impl Strategy<Value = String> {
    any::<String>().prop_map(|s| {
        s.chars()
            .filter(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..))
            .collect()
    })
}

/// Byte soup biased towards XML syntax, to get past the first check.
fn xmlish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("<xml>"),
            Just("</xml>"),
            Just("<A>"),
            Just("</A>"),
            Just("<B/>"),
            Just("<![CDATA["),
            Just("]]>"),
            Just("&amp;"),
            Just("&#x41;"),
            Just("&#0;"),
            Just("&x;"),
            Just("<!DOCTYPE x>"),
            Just("<!--c-->"),
            Just("<?pi?>"),
            Just("x"),
            Just(" "),
            Just("\n"),
            Just("<"),
            Just(">"),
            Just("&"),
            Just("é"),
            Just("'\""),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn encrypt_then_decrypt_returns_any_payload(
        payload in proptest::collection::vec(any::<u8>(), 0..2048),
        receive_id in "[ -~]{0,40}",
        prefix in any::<[u8; 16]>(),
    ) {
        let crypto = crypto(&receive_id);
        let sealed = crypto.encrypt_with_prefix(&payload, prefix).expect("encrypts");
        prop_assert_eq!(crypto.decrypt(&sealed).expect("opens"), payload.clone());
        let random = crypto.encrypt(&payload).expect("encrypts");
        prop_assert_eq!(crypto.decrypt(&random).expect("opens"), payload);
    }

    #[test]
    fn a_different_receive_id_never_opens_the_envelope(
        payload in proptest::collection::vec(any::<u8>(), 0..256),
        a in "wx[0-9a-f]{16}",
        b in "wx[0-9a-f]{16}",
    ) {
        prop_assume!(a != b);
        let sealed = crypto(&a).encrypt(&payload).expect("encrypts");
        prop_assert!(crypto(&b).decrypt(&sealed).is_err());
    }

    #[test]
    fn decrypt_never_panics_on_any_string(input in any::<String>()) {
        let _ = crypto("wx1a2b3c4d5e6f7a8b").decrypt(&input);
    }

    #[test]
    fn decrypt_never_panics_on_any_well_encoded_ciphertext(
        blocks in proptest::collection::vec(any::<[u8; 16]>(), 0..8),
    ) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(blocks.concat());
        let _ = crypto("wx1a2b3c4d5e6f7a8b").decrypt(&encoded);
    }

    #[test]
    fn the_xml_parser_never_panics_on_any_bytes(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = xml::parse(&input);
        let _ = xml::parse_encrypted_envelope(&input);
    }

    #[test]
    fn the_xml_parser_never_panics_on_xml_like_input(input in xmlish()) {
        let _ = xml::parse(input.as_bytes());
    }

    #[test]
    fn any_text_survives_cdata_writing_and_parsing(text in xml_text()) {
        let document = format!("<xml><Content>{}</Content></xml>", cdata(&text));
        let fields = xml::parse(document.as_bytes()).expect("well-formed");
        prop_assert_eq!(fields.text("Content"), Some(text.as_str()));
    }

    #[test]
    fn a_text_reply_parses_back_to_its_content(content in xml_text(), time in any::<i64>()) {
        let reply = Reply::text(OpenId::new("o"), OriginalId::new("gh"), time, content.clone());
        let fields = xml::parse(reply.to_xml().as_bytes()).expect("well-formed");
        prop_assert_eq!(fields.text("Content"), Some(content.as_str()));
        let time = time.to_string();
        prop_assert_eq!(fields.text("CreateTime"), Some(time.as_str()));
    }

    #[test]
    fn query_decoding_never_panics_and_keeps_plus_signs(input in any::<String>()) {
        let _ = Query::parse(&input);
        if let Ok(decoded) = percent_decode(&input) {
            prop_assert_eq!(decoded.matches('+').count() >= input.matches('+').count(), true);
        }
    }

    #[test]
    fn a_correctly_signed_push_with_any_body_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        encrypted in any::<bool>(),
    ) {
        let config = CallbackConfig::compatible("token", KEY, "wx1").expect("config");
        let mut pairs = vec![
            ("signature".to_owned(), signature("token", "1", "2")),
            ("timestamp".to_owned(), "1".to_owned()),
            ("nonce".to_owned(), "2".to_owned()),
        ];
        if encrypted {
            pairs.push(("encrypt_type".to_owned(), "aes".to_owned()));
            pairs.push(("msg_signature".to_owned(), "0".repeat(40)));
        }
        let query = Query::from_pairs(pairs).expect("query");
        let _ = receive(&config, &query, &body);
    }
}
