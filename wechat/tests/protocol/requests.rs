//! API request bodies serialise exactly as `api_samples.json` shows them, and
//! its sample responses and errors read into the client's types.

use serde_json::Value;
use wechat::client::{
    Action, ApiError, CustomMessage, CustomSend, MediaRef, MenuOption, MiniProgramPage, MsgMenu,
    Music, NewsArticle, TypingCommand, TypingRequest, UploadedMedia, UserInfo, Video,
};
use wechat::message::{AppId, MediaId};
use wechat::OpenId;

use crate::fixtures::{load, str_at};

fn sample(name: &str) -> Value {
    let file = load("api_samples.json");
    let samples = file["samples"].as_array().expect("samples");
    samples
        .iter()
        .find(|s| s["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no sample {name}"))
}

fn to() -> OpenId {
    OpenId::new("oQ4Xw5tJ2pR7vY9zA1bC3dE5fG7h")
}

fn media(id: &str) -> MediaId {
    MediaId::new(id)
}

/// Serialises `request` and compares it with the sample's request body, both
/// as JSON values and, for non-ASCII, as raw UTF-8 text.
fn assert_matches_sample(name: &str, request: &impl serde::Serialize) {
    let expected = &sample(name)["request"];
    let text = serde_json::to_string(request).expect("serialises");
    let actual: Value = serde_json::from_str(&text).expect("is JSON");
    assert_eq!(&actual, expected, "{name}");
    assert!(
        !text.contains("\\u"),
        "{name}: non-ASCII must not be escaped"
    );
}

fn custom(message: CustomMessage) -> CustomSend {
    CustomSend::new(to(), message)
}

#[test]
fn a_text_send_matches_the_sample_byte_for_byte_in_utf8() {
    let send = custom(CustomMessage::text("您好，已收到您的问题"));
    assert_matches_sample("custom_send_text", &send);
    let text = serde_json::to_string(&send).expect("serialises");
    assert!(text.contains("您好，已收到您的问题"));
}

#[test]
fn image_and_voice_sends_match_the_samples() {
    assert_matches_sample(
        "custom_send_image",
        &custom(CustomMessage::image(media("MEDIA_ID"))),
    );
    assert_matches_sample(
        "custom_send_voice",
        &custom(CustomMessage::voice(media("MEDIA_ID"))),
    );
}

#[test]
fn a_video_send_without_a_thumbnail_matches_the_sample() {
    let video = CustomMessage::Video(Video {
        media_id: media("MEDIA_ID"),
        thumb_media_id: None,
        title: Some("TITLE".into()),
        description: Some("DESCRIPTION".into()),
    });
    assert_matches_sample("custom_send_video", &custom(video));
}

#[test]
fn a_news_send_carries_its_one_article_in_an_array() {
    let news = CustomMessage::News(NewsArticle {
        title: "T".into(),
        description: "D".into(),
        url: "https://example.com".into(),
        picurl: "https://example.com/p.jpg".into(),
    });
    assert_matches_sample("custom_send_news", &custom(news));
}

#[test]
fn a_mini_program_page_send_matches_the_sample() {
    let page = CustomMessage::MiniProgramPage(MiniProgramPage {
        title: "TITLE".into(),
        appid: AppId::new("wx0123456789abcdef"),
        pagepath: "pages/index/index".into(),
        thumb_media_id: media("THUMB_MEDIA_ID"),
    });
    assert_matches_sample("custom_send_miniprogrampage", &custom(page));
}

#[test]
fn music_mpnews_and_menu_sends_match_the_samples() {
    let music = CustomMessage::Music(Music {
        title: "TITLE".into(),
        description: "DESCRIPTION".into(),
        musicurl: "https://example.com/a.mp3".into(),
        hqmusicurl: "https://example.com/a_hq.mp3".into(),
        thumb_media_id: media("THUMB_MEDIA_ID"),
    });
    assert_matches_sample("custom_send_music", &custom(music));
    let mpnews = CustomMessage::MpNews(MediaRef {
        media_id: media("MEDIA_ID"),
    });
    assert_matches_sample("custom_send_mpnews", &custom(mpnews));
    let option = |id: &str, content: &str| MenuOption {
        id: id.into(),
        content: content.into(),
    };
    let menu = CustomMessage::MsgMenu(MsgMenu {
        head_content: "您对本次服务是否满意呢?".into(),
        list: vec![option("101", "满意"), option("102", "不满意")],
        tail_content: "欢迎再次光临".into(),
    });
    assert_matches_sample("custom_send_msgmenu", &custom(menu));
}

#[test]
fn a_send_as_a_kf_account_adds_customservice() {
    let send = custom(CustomMessage::text("Hi")).as_kf_account("agent01@gh_account");
    assert_matches_sample("custom_send_as_kf_account", &send);
}

#[test]
fn the_typing_indicator_matches_the_sample() {
    let typing = TypingRequest {
        touser: to(),
        command: TypingCommand::Typing,
    };
    assert_matches_sample("custom_typing", &typing);
}

#[test]
fn every_sample_error_maps_to_its_own_variant() {
    let file = load("api_samples.json");
    let errors: Vec<&Value> = file["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .filter(|s| s["response"]["errcode"].as_i64().is_some_and(|c| c != 0))
        .collect();
    assert!(errors.len() >= 10, "the fixture lists the send errors");
    for sample in errors {
        let code = sample["response"]["errcode"].as_i64().unwrap_or_default();
        let error = ApiError::from_errcode(code, str_at(sample, "/response/errmsg"));
        assert_eq!(error.errcode(), Some(code));
        assert!(
            !matches!(error, ApiError::Other { .. }),
            "{} has no variant",
            str_at(sample, "/name")
        );
    }
    assert_eq!(
        ApiError::from_errcode(42001, "").action(),
        Action::RefreshToken
    );
}

#[test]
fn the_sample_upload_and_user_info_answers_parse() {
    let uploaded: UploadedMedia =
        serde_json::from_value(sample("media_upload_temp")["response"].clone()).expect("upload");
    assert_eq!(uploaded.media_id, media("MEDIA_ID"));
    assert_eq!(uploaded.created_at, 1_717_000_000);
    let info: UserInfo =
        serde_json::from_value(sample("user_info")["response"].clone()).expect("user info");
    assert!(info.subscribe);
    assert_eq!(info.openid, to());
    assert_eq!(info.tagid_list, [2]);
    assert_eq!(info.qr_scene, Some(98765));
}
