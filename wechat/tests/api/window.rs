//! The customer-service window: 48 hours and 5 messages after a follower
//! writes, content rules, and exactly-once delivery as the follower sees it.

use std::time::Duration;

use wechat::client::{
    paths, Action, ApiError, CustomMessage, CustomSend, NewsArticle, TypingCommand, REPLY_LIMIT,
    WINDOW_CLOSED,
};

use crate::helpers::{follower, spawn_world, HOUR};

#[tokio::test]
async fn a_send_outside_the_48_hour_window_tells_the_agent_why() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world.advance(48 * HOUR + Duration::from_secs(1));

    let error = world
        .send_text(&openid, "too late")
        .await
        .expect_err("closed");

    assert!(matches!(error, ApiError::ReplyWindowClosed { .. }));
    assert_eq!(
        error.action(),
        Action::TellAgent(
            "WeChat closed the reply window: the client has not written for 48 hours. Send a template message instead."
        )
    );
    assert_eq!(error.agent_sentence(), Some(WINDOW_CLOSED));
    assert!(world.fake.received(&openid).is_empty());
}

#[tokio::test]
async fn a_send_just_inside_the_window_is_delivered() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world.advance(48 * HOUR - Duration::from_secs(1));
    world
        .send_text(&openid, "just in time")
        .await
        .expect("open");
    assert_eq!(world.texts_received(&openid), ["just in time"]);
}

#[tokio::test]
async fn the_sixth_message_in_a_window_is_refused_until_the_follower_writes_again() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    for n in 1..=5 {
        world
            .send_text(&openid, &format!("reply {n}"))
            .await
            .expect("within quota");
    }

    let error = world
        .send_text(&openid, "reply 6")
        .await
        .expect_err("quota");
    assert!(matches!(error, ApiError::ReplyLimitReached { .. }));
    assert_eq!(error.errcode(), Some(45047));
    assert_eq!(
        error.action(),
        Action::TellAgent(
            "You have sent 5 replies since the client last wrote; wait for them to write again."
        )
    );
    assert_eq!(error.agent_sentence(), Some(REPLY_LIMIT));

    world.advance(Duration::from_secs(60));
    world.follower_writes(&openid);
    world
        .send_text(&openid, "reply 6")
        .await
        .expect("new window");
    assert_eq!(world.fake.received(&openid).len(), 6);
}

#[tokio::test]
async fn a_follower_who_never_wrote_or_unfollowed_cannot_be_messaged() {
    let world = spawn_world().await;
    let quiet = follower(1);
    let now = wechat::clock::Clock::now(world.fake.clock());
    world.fake.record_follow(&world.appid, &quiet, now);
    let error = world.send_text(&quiet, "hi").await.expect_err("no window");
    assert!(matches!(error, ApiError::ReplyWindowClosed { .. }));

    let gone = follower(2);
    world.follower_writes(&gone);
    world.fake.record_unsubscribe(&world.appid, &gone);
    let error = world.send_text(&gone, "hi").await.expect_err("unfollowed");
    assert!(matches!(error, ApiError::NotFollowing { .. }));
    assert!(matches!(error.action(), Action::TellAgent(_)));

    let error = world
        .send_text(&follower(3), "hi")
        .await
        .expect_err("stranger");
    assert!(matches!(error, ApiError::InvalidOpenId { .. }));
    assert_eq!(error.action(), Action::GiveUp);
}

#[tokio::test]
async fn empty_too_long_and_multi_article_messages_are_refused_without_using_quota() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);

    let error = world.send_text(&openid, "").await.expect_err("empty");
    assert!(matches!(error, ApiError::EmptyContent { .. }));
    let long = "长".repeat(683); // 2049 bytes
    let error = world.send_text(&openid, &long).await.expect_err("too long");
    assert!(matches!(error, ApiError::ContentTooLong { .. }));
    assert!(world.send_text(&openid, &"a".repeat(2048)).await.is_ok());

    let article = NewsArticle {
        title: "T".into(),
        description: "D".into(),
        url: "https://example.com".into(),
        picurl: "https://example.com/p.jpg".into(),
    };
    let two_articles = serde_json::json!({
        "touser": openid, "msgtype": "news",
        "news": {"articles": [article.clone(), article.clone()]}
    });
    let error = post_raw(&world, two_articles).await;
    assert_eq!(error["errcode"], 45008);
    let news = CustomSend::new(openid.clone(), CustomMessage::News(article));
    world.client.send(&news).await.expect("one article is fine");

    for n in 3..=5 {
        world
            .send_text(&openid, &format!("{n}"))
            .await
            .expect("quota left");
    }
    assert_eq!(world.fake.received(&openid).len(), 5);
}

/// Posts a hand-made body to `custom/send` with a valid token.
async fn post_raw(world: &crate::helpers::World, body: serde_json::Value) -> serde_json::Value {
    let token = world.client.access_token().await.expect("token");
    reqwest::Client::new()
        .post(format!("{}{}", world.fake.base_url(), paths::CUSTOM_SEND))
        .query(&[("access_token", token.expose())])
        .json(&body)
        .send()
        .await
        .expect("fake answers")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn each_follower_receives_each_message_exactly_once_despite_faults() {
    let world = spawn_world().await;
    let followers: Vec<_> = (0..3).map(follower).collect();
    for openid in &followers {
        world.follower_writes(openid);
    }
    world.fake.fail_next(paths::CUSTOM_SEND, 42001);
    world
        .fake
        .delay_next(paths::CUSTOM_SEND, Duration::from_millis(50));
    for round in 0..3 {
        for openid in &followers {
            world
                .send_text(openid, &format!("{openid} #{round}"))
                .await
                .expect("send");
        }
    }
    for openid in &followers {
        let expected: Vec<String> = (0..3).map(|round| format!("{openid} #{round}")).collect();
        assert_eq!(world.texts_received(openid), expected);
    }
}

#[tokio::test]
async fn the_typing_indicator_works_only_inside_the_window() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world
        .client
        .typing(&openid, TypingCommand::Typing)
        .await
        .expect("typing");
    world
        .client
        .typing(&openid, TypingCommand::CancelTyping)
        .await
        .expect("cancel");
    assert!(
        world.fake.received(&openid).is_empty(),
        "typing is no message"
    );

    world.advance(49 * HOUR);
    let error = world
        .client
        .typing(&openid, TypingCommand::Typing)
        .await
        .expect_err("closed");
    assert!(matches!(error, ApiError::ReplyWindowClosed { .. }));
}

#[tokio::test]
async fn user_info_reports_followers_and_rejects_strangers() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    let info = world.client.user_info(&openid).await.expect("info");
    assert!(info.subscribe);
    assert_eq!(info.openid, openid);
    assert!(info.subscribe_time.is_some());

    world.fake.record_unsubscribe(&world.appid, &openid);
    let info = world.client.user_info(&openid).await.expect("info");
    assert!(!info.subscribe);

    let error = world
        .client
        .user_info(&follower(9))
        .await
        .expect_err("stranger");
    assert!(matches!(error, ApiError::InvalidOpenId { .. }));
}
