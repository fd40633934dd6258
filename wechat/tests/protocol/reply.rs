//! `oa_encrypted_reply.json`: sealed passive replies, byte for byte, and the
//! reply builders.

use base64::Engine as _;
use serde_json::Value;
use wechat::callback::{receive, CallbackConfig};
use wechat::crypto::MessageCrypto;
use wechat::message::{seal_reply_with_prefix, OpenId, OriginalId, Reply};
use wechat::query::Query;
use wechat::signature::signature;
use wechat::xml;

use crate::fixtures::{cases, check_all, load, prefix, str_at};

fn account() -> (Value, MessageCrypto) {
    let file = load("oa_encrypted_reply.json");
    let crypto = MessageCrypto::new(
        str_at(&file, "/account/encoding_aes_key"),
        str_at(&file, "/account/receive_id"),
    )
    .expect("key");
    (file, crypto)
}

#[test]
fn every_sealed_reply_vector_is_reproduced_byte_for_byte() {
    let (file, crypto) = account();
    let token = str_at(&file, "/account/token");
    let cases = cases(&file);
    assert_eq!(cases.len(), 7);
    check_all(cases, |case| {
        let plaintext = str_at(case, "/input/reply_plaintext_xml");
        let sealed = seal_reply_with_prefix(
            &crypto,
            token,
            str_at(case, "/input/timestamp"),
            str_at(case, "/input/nonce"),
            plaintext,
            prefix(str_at(case, "/input/random_prefix_hex")),
        )
        .map_err(|e| e.to_string())?;
        if sealed.encrypt != str_at(case, "/expected/encrypt") {
            return Err("Encrypt differs".to_owned());
        }
        if sealed.msg_signature != str_at(case, "/expected/msg_signature") {
            return Err("MsgSignature differs".to_owned());
        }
        if sealed.to_xml() != str_at(case, "/expected/envelope_wechatpy") {
            return Err(format!("envelope differs: {}", sealed.to_xml()));
        }
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(&sealed.encrypt)
            .map_err(|e| e.to_string())?;
        if hex::encode(&ciphertext) != str_at(case, "/expected/aes_ciphertext_hex") {
            return Err("ciphertext hex differs".to_owned());
        }
        let padded_len = case["expected"]["layout"]["padded_len"].as_u64();
        if Some(ciphertext.len() as u64) != padded_len {
            return Err("padded length differs".to_owned());
        }
        match crypto.decrypt_to_string(&sealed.encrypt) {
            Ok(opened) if opened == plaintext => Ok(()),
            other => Err(format!("round trip gave {other:?}")),
        }
    });
}

#[test]
fn a_sealed_reply_envelope_is_accepted_by_the_receiving_side() {
    let (file, _) = account();
    let token = str_at(&file, "/account/token");
    let config = CallbackConfig::safe(
        token,
        str_at(&file, "/account/encoding_aes_key"),
        str_at(&file, "/account/appid"),
    )
    .expect("config");
    check_all(cases(&file), |case| {
        let fields = &case["expected"]["envelope_fields"];
        let (timestamp, nonce) = (str_at(fields, "/TimeStamp"), str_at(fields, "/Nonce"));
        let query = Query::from_pairs([
            ("signature", signature(token, timestamp, nonce).as_str()),
            ("timestamp", timestamp),
            ("nonce", nonce),
            ("encrypt_type", "aes"),
            ("msg_signature", str_at(fields, "/MsgSignature")),
        ])
        .map_err(|e| e.to_string())?;
        let body = str_at(case, "/expected/envelope_wechatpy").as_bytes();
        let message = receive(&config, &query, body).map_err(|e| e.code().to_owned())?;
        if message.raw_xml() != str_at(case, "/input/reply_plaintext_xml") {
            return Err("opened a different reply".to_owned());
        }
        Ok(())
    });
}

#[test]
fn the_text_reply_builder_renders_the_fixture_plaintext_exactly() {
    let (file, _) = account();
    let padded: Vec<Value> = cases(&file)
        .iter()
        .filter(|c| str_at(c, "/name").starts_with("reply_pad_"))
        .cloned()
        .collect();
    assert_eq!(padded.len(), 4);
    check_all(&padded, |case| {
        let expected = str_at(case, "/input/reply_plaintext_xml");
        let fields = xml::parse(expected.as_bytes()).map_err(|e| e.to_string())?;
        let text = |name| fields.text(name).unwrap_or_default();
        let reply = Reply::text(
            OpenId::new(text("ToUserName")),
            OriginalId::new(text("FromUserName")),
            text("CreateTime").parse().map_err(|_| "CreateTime")?,
            text("Content"),
        );
        if reply.to_xml() != expected {
            return Err(format!("rendered {}", reply.to_xml()));
        }
        Ok(())
    });
}

fn fixture_fields(name: &str) -> Value {
    let (file, _) = account();
    let case = cases(&file)
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .expect("case exists");
    let parsed =
        xml::parse(str_at(&case, "/input/reply_plaintext_xml").as_bytes()).expect("parses");
    serde_json::to_value(parsed).expect("serialises")
}

fn rendered_fields(reply: &Reply) -> Value {
    let parsed = xml::parse(reply.to_xml().as_bytes()).expect("our XML parses");
    serde_json::to_value(parsed).expect("serialises")
}

#[test]
fn image_and_news_replies_carry_the_same_fields_as_the_reference_renderer() {
    use wechat::message::{Article, MediaId, ReplyBody};
    let to = OpenId::new("oQ4Xw5tJ2pR7vY9zA1bC3dE5fG7h");
    let from = OriginalId::new("gh_3f9a1c2b7d4e");
    let image = Reply {
        to: to.clone(),
        from: from.clone(),
        create_time: 1_717_004_001,
        body: ReplyBody::Image {
            media_id: MediaId::new("MEDIA_REPLY_IMG_Pp8Qq9Rr0Ss1"),
        },
    };
    assert_eq!(rendered_fields(&image), fixture_fields("reply_image"));
    let news = Reply {
        to,
        from,
        create_time: 1_717_004_002,
        body: ReplyBody::News {
            articles: vec![Article {
                title: "Order help".to_owned(),
                description: "How to track your parcel".to_owned(),
                pic_url: "https://example.com/cover.jpg".to_owned(),
                url: "https://example.com/track".to_owned(),
            }],
        },
    };
    assert_eq!(rendered_fields(&news), fixture_fields("reply_news"));
}

#[test]
fn every_reply_type_renders_well_formed_xml_with_its_payload() {
    use wechat::message::{MediaId, ReplyBody};
    let bodies = [
        ReplyBody::Voice {
            media_id: MediaId::new("v]]>1"),
        },
        ReplyBody::Video {
            media_id: MediaId::new("m"),
            title: "t".to_owned(),
            description: "d".to_owned(),
        },
        ReplyBody::Music {
            title: "t".to_owned(),
            description: "d".to_owned(),
            music_url: "https://e/m?a=1&b=2".to_owned(),
            hq_music_url: "https://e/hq".to_owned(),
            thumb_media_id: MediaId::new("th"),
        },
    ];
    let payloads = [
        ("Voice", "MediaId", "v]]>1"),
        ("Video", "Title", "t"),
        ("Music", "MusicUrl", "https://e/m?a=1&b=2"),
    ];
    for (body, (element, child, value)) in bodies.into_iter().zip(payloads) {
        let reply = Reply {
            to: OpenId::new("o"),
            from: OriginalId::new("gh"),
            create_time: 1,
            body,
        };
        let fields = xml::parse(reply.to_xml().as_bytes()).expect("well-formed");
        assert_eq!(
            fields.map(element).and_then(|m| m.text(child)),
            Some(value),
            "{element}"
        );
    }
}
